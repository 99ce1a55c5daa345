"""A zone Knot signs itself (``dnssec-signing: on``), NSEC and NSEC3 (issue 9,
input 4): a CNAME replacing data and data replacing a CNAME at the same name,
in one run, without a window in which the name answers nothing."""

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


def rrs(knot: KnotServer) -> set[str]:
    """Non-DNSSEC RRs of the zone, whitespace normalised."""
    out = set()
    for line in knot.axfr(ZONE)[1:]:
        words = line.split()
        if words[3] not in ("RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "DNSKEY", "CDS", "CDNSKEY"):
            out.add(" ".join(words))
    return out


def apply(agent: AgentRun, tmp_path: Path, records: list[dict[str, Any]]) -> dict[str, Any]:
    path = write_document(tmp_path / "desired.json", document({ZONE: [NS, *records]}))
    code, out, err = agent("apply", path, "--json", "--force")  # a swap deletes 2 of 3
    assert code == 0, err
    zones: list[dict[str, Any]] = json.loads(out)["zones"]
    assert agent("plan", path)[0] == 0
    result: dict[str, Any] = zones[0]["result"]
    return result


@pytest.mark.parametrize("policy", ["nsec", "nsec3"])
def test_cname_and_data_swap_places_in_a_signed_zone(
    knot_factory: KnotFactory,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    policy: str,
) -> None:
    knot = knot_factory(zones=(ZONE,), dnssec={ZONE: policy})
    assert any("\tDNSKEY\t" in line for line in knot.axfr(ZONE))
    agent = AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)
    apply(agent, tmp_path, [rec("www", "A", "10.0.0.80"), rec("web", "CNAME", "www.lan.test.")])

    # CNAME replaces data at www, data replaces the CNAME at web: one attempt
    result = apply(
        agent, tmp_path, [rec("www", "CNAME", "web.lan.test."), rec("web", "A", "10.0.0.80")]
    )
    assert result["attempts"] == 1
    assert "www.lan.test. 300 IN CNAME web.lan.test." in rrs(knot)
    assert "web.lan.test. 300 IN A 10.0.0.80" in rrs(knot)
    assert "www.lan.test. 300 IN A 10.0.0.80" not in rrs(knot)

    # and back
    result = apply(
        agent, tmp_path, [rec("www", "A", "10.0.0.80"), rec("web", "CNAME", "www.lan.test.")]
    )
    assert result["attempts"] == 1
    assert "www.lan.test. 300 IN A 10.0.0.80" in rrs(knot)
    assert "web.lan.test. 300 IN CNAME www.lan.test." in rrs(knot)


def test_an_acknowledged_but_ignored_change_is_retried_in_another_shape(
    knot_factory: KnotFactory,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The message shape Knot ignores (no RRSIG/NSEC delete) is followed, in
    the same run, by one it accepts: exit 0, not exit 1 and a broken name."""
    knot = knot_factory(zones=(ZONE,), dnssec={ZONE: "nsec"})
    agent = AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)
    apply(agent, tmp_path, [rec("www", "A", "10.0.0.80")])
    monkeypatch.setattr("agent.update_builder.swaps_cname", lambda group: False)
    result = apply(agent, tmp_path, [rec("www", "CNAME", "web.lan.test.")])
    assert result["attempts"] == 2
    assert "www.lan.test. 300 IN CNAME web.lan.test." in rrs(knot)


@pytest.mark.parametrize("policy", ["nsec", "nsec3"])
def test_a_cname_changed_in_place_in_a_signed_zone(
    knot_factory: KnotFactory,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    policy: str,
) -> None:
    """A CNAME we own gets another TTL, then another target: one message each
    time, applied at once, counted as one update (never a phantom add)."""
    knot = knot_factory(zones=(ZONE,), dnssec={ZONE: policy})
    agent = AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)
    apply(agent, tmp_path, [rec("www", "A", "10.0.0.80"), rec("c1", "CNAME", "www.lan.test.")])

    for ttl, target in ((600, "www.lan.test."), (600, "web.lan.test.")):
        result = apply(
            agent, tmp_path, [rec("www", "A", "10.0.0.80"), rec("c1", "CNAME", target, ttl)]
        )
        assert result["attempts"] == 1
        assert result["applied"]["update"] == 1, result
        assert result["applied"]["add"] == 0, result
        assert f"c1.lan.test. {ttl} IN CNAME {target}" in rrs(knot)
