"""An ExternalDNS marker that fits no configured layout may stand for the zone
apex (ExternalDNS run with a prefix ending in a dot, e.g.
``--txt-prefix=%{record_type}-abc-.``): against a real knotd, the apex RRsets
of the types it can name are never adopted, taken over or deleted, and
classify never offers them; the apex's other types stay ours to write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.fixtures.knot import KnotFactory, KnotServer

pytestmark = pytest.mark.knot

ZONE = "lan.test"
NS = rec("@", "NS", "ns0.internal.", 3600)
REGISTRY = '"heritage=external-dns,external-dns/owner=k8s,external-dns/resource=service/web"'


def _rrs(knot: KnotServer) -> set[str]:
    return {" ".join(line.split()) for line in knot.axfr(ZONE)[1:]}


def _start(
    knot_factory: KnotFactory, capsys: pytest.CaptureFixture[str], marker: str, *more: str
) -> tuple[KnotServer, AgentRun]:
    """A knotd whose zone holds an apex A and ExternalDNS's registry record at
    `marker` (and `more` RRs), with an agent for it."""
    knot = knot_factory(
        zones=(ZONE,),
        extra_records={ZONE: ["@ 300 IN A 10.0.0.50", f"{marker} 300 IN TXT {REGISTRY}", *more]},
    )
    return knot, AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)


def _apply(agent: AgentRun, tmp_path: Path, records: list[dict[str, Any]]) -> dict[str, Any]:
    path = write_document(tmp_path / "d.json", document({ZONE: [NS, *records]}))
    code, out, err = agent("apply", path, "--json")
    assert code == 0, err
    zone: dict[str, Any] = json.loads(out)["zones"][0]
    zone["stderr"] = err
    return zone


def test_a_new_format_marker_blocks_only_the_apex_type_it_names(
    knot_factory: KnotFactory, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    knot, agent = _start(knot_factory, capsys, "a-abc-")
    zone = _apply(
        agent,
        tmp_path,
        [
            rec("@", "A", "10.0.0.50"),
            rec("@", "MX", "10 mail.lan.test."),
            rec("mail", "A", "10.0.0.25"),
        ],
    )
    conflicts = {(c["name"], c["type"], c["kind"]) for c in zone["conflicts"]}
    assert conflicts == {("@", "A", "external-dns")}, zone
    assert "at the apex the RRsets of the types it could name" in zone["stderr"]
    rrs = _rrs(knot)
    assert "lan.test. 300 IN A 10.0.0.50" in rrs
    assert "lan.test. 300 IN MX 10 mail.lan.test." in rrs  # our other apex types go on
    assert not any("type=A" in rr and rr.startswith("nix.lan.test.") for rr in rrs), rrs

    # classify never offers ExternalDNS's apex A as a static record
    code, out, err = agent("classify", None, "--zone", ZONE, "--format", "nix")
    assert code == 0, err
    assert "10.0.0.50" not in out, out


def test_an_apex_rrset_we_marked_is_released_not_deleted(
    knot_factory: KnotFactory, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Our marker on the apex A from before the ExternalDNS marker came: the
    declaration removed, only our marker goes; the A stays ExternalDNS's."""
    marked = 'nix 300 IN TXT "heritage=nix,managed-by=routy,type=A"'
    knot, agent = _start(knot_factory, capsys, "a-abc-", marked)
    zone = _apply(agent, tmp_path, [rec("mail", "A", "10.0.0.25")])
    assert "only our marker is removed" in zone["stderr"], zone["stderr"]
    rrs = _rrs(knot)
    assert "lan.test. 300 IN A 10.0.0.50" in rrs
    assert not any(rr.startswith("nix.lan.test. ") and "type=A" in rr for rr in rrs), rrs


def test_a_legacy_marker_blocks_every_type_externaldns_writes_at_the_apex(
    knot_factory: KnotFactory, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    knot, agent = _start(knot_factory, capsys, "abc")
    zone = _apply(
        agent,
        tmp_path,
        [
            rec("@", "A", "10.0.0.50"),
            rec("@", "MX", "10 mail.lan.test."),
            rec("@", "CAA", '0 issue "letsencrypt.org"'),
        ],
    )
    conflicts = {(c["name"], c["type"]) for c in zone["conflicts"]}
    assert conflicts == {("@", "A"), ("@", "MX"), ("@", "NS")}, zone  # NS: ExternalDNS writes it
    assert 'lan.test. 300 IN CAA 0 issue "letsencrypt.org"' in _rrs(knot)
