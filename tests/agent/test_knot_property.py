"""Property: for random foreign zone contents and random desired sets, apply
leaves every foreign RR unchanged, puts every non-conflicting desired RRset in
place with its marker, and a second apply changes nothing. One knotd for the
module; the zone is reset between examples."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.name
import dns.query
import dns.update
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from agent.cli import main
from agent.zone_reader import read_zone
from checker.check import check_documents
from checker.document import validate_shape
from tests.agent.helpers import document, write_document
from tests.fixtures.knot import KnotServer, require_tool, start_knot

pytestmark = pytest.mark.knot

ZONE = dns.name.from_text("internal.")
LABELS = ["a", "b", "c", "d", "e"]
DHCID = "AAIBY2/AoCDkAHcaYK6fRNhPqkWkJqTnJmqr1X0m6A8="


@pytest.fixture(scope="module")
def shared_knot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnotServer]:
    require_tool("knotd", "knot")
    server = start_knot(tmp_path_factory.mktemp("knot-property"))
    try:
        yield server
    finally:
        server.stop()


def reset_zone(knot: KnotServer) -> None:
    """Remove everything but SOA, the apex NS and the ns0 glue."""
    key = knot.tsig_key
    snapshot = read_zone(knot.server, knot.port, ZONE, key, 10.0)
    keep = {ZONE, dns.name.from_text("ns0.internal.")}
    names = sorted(n for n in snapshot.names() if n not in keep)
    if not names:
        return
    msg = dns.update.UpdateMessage(
        ZONE, keyring=key.to_dnspython(), keyname=key.name, keyalgorithm=key.algorithm
    )
    for name in names:
        msg.delete(name)
    answer = dns.query.tcp(msg, knot.server, port=knot.port, timeout=10.0)
    assert answer.rcode() == 0


FOREIGN_KINDS = ["a", "txt", "cname", "dhcp", "external-dns", "other-owner"]


def foreign_lines(kinds: dict[str, tuple[str, int]]) -> list[str]:
    lines: list[str] = []
    for label, (kind, n) in sorted(kinds.items()):
        ip = f"10.0.0.{n}"
        if kind == "a":
            lines.append(f"{label} 300 A {ip}")
        elif kind == "txt":
            lines.append(f'{label} 600 TXT "hand made {n}"')
        elif kind == "cname":
            lines.append(f"{label} 300 CNAME ns0.internal.")
        elif kind == "dhcp":
            lines += [f"{label} 3600 A {ip}", f"{label} 3600 DHCID {DHCID}"]
        elif kind == "external-dns":
            lines += [
                f"{label} 300 A {ip}",
                f'k8s.a-{label} 300 TXT "heritage=external-dns,external-dns/owner=default"',
            ]
        else:
            lines += [
                f"{label} 300 A {ip}",
                f'nix.{label} 300 TXT "heritage=nix,managed-by=otherhost,type=A"',
            ]
    return lines


@st.composite
def desired_sets(draw: st.DrawFn) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for label in draw(st.lists(st.sampled_from(LABELS), unique=True, max_size=4)):
        rtype = draw(st.sampled_from(["A", "AAAA", "TXT", "CNAME"]))
        if rtype == "A":
            values = draw(st.lists(st.integers(1, 4), min_size=1, max_size=2, unique=True))
            records += [{"name": label, "type": "A", "data": f"10.0.0.{v}"} for v in values]
        elif rtype == "AAAA":
            records.append({"name": label, "type": "AAAA", "data": "fd00::1"})
        elif rtype == "TXT":
            n = draw(st.integers(1, 3))
            records.append({"name": label, "type": "TXT", "data": f'"hand made {n}"'})
        else:
            records.append({"name": label, "type": "CNAME", "data": "ns0.internal."})
        if draw(st.booleans()):
            records[-1]["ttl"] = draw(st.sampled_from([60, 300, 600]))
    return records


def _valid(records: list[dict[str, Any]]) -> bool:
    doc = validate_shape(json.loads(json.dumps(document({"internal": records}))), "p.json")
    return check_documents([("p.json", doc)]).ok


def _agent(command: str, knot: KnotServer, path: Path, *extra: str) -> int:
    argv = [command, "--desired", str(path), "--server", knot.server, "--port", str(knot.port)]
    return main([*argv, "--key-file", str(knot.key_file("one-line")), *extra])


def _present(lines: list[str], text: str) -> bool:
    return any(ln.split() == text.split() for ln in lines)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    foreign=st.dictionaries(
        st.sampled_from(LABELS),
        st.tuples(st.sampled_from(FOREIGN_KINDS), st.integers(1, 4)),
        max_size=4,
    ),
    first=desired_sets(),
    second=desired_sets(),
)
def test_apply_never_touches_foreign_records_and_converges(
    shared_knot: KnotServer,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    foreign: dict[str, tuple[str, int]],
    first: list[dict[str, Any]],
    second: list[dict[str, Any]],
) -> None:
    assume(_valid(first) and _valid(second))
    knot = shared_knot
    reset_zone(knot)
    lines = foreign_lines(foreign)
    if lines:
        knot.add_records("internal", lines)
    before = knot.axfr("internal")[1:]
    tmp = tmp_path_factory.mktemp("example")
    one = write_document(tmp / "one.json", document({"internal": first}))
    two = write_document(tmp / "two.json", document({"internal": second}))
    opts = ("--no-adopt", "--force")
    assert _agent("apply", knot, one, *opts) == 0
    capsys.readouterr()
    assert _agent("apply", knot, two, *opts, "--json") == 0
    out, err = capsys.readouterr()
    zone = json.loads(out)["zones"][0]
    after = knot.axfr("internal")[1:]
    # 1. every foreign RR unchanged
    for line in before:
        assert line in after, f"foreign RR changed: {line}\n{err}"
    # 2. every non-conflicting desired RRset present, exactly, with its marker
    conflicted = {(c["fqdn"], c["type"]) for c in zone["conflicts"]}
    wanted: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in second:
        wanted.setdefault((f"{record['name']}.internal.", record["type"]), []).append(record)
    for (fqdn, rtype), recs in wanted.items():
        if (fqdn, rtype) in conflicted:
            continue
        ttl = recs[0].get("ttl", 300)
        for r in recs:
            assert _present(after, f"{fqdn} {ttl} IN {rtype} {r['data']}"), (fqdn, rtype, after)
        have = [ln for ln in after if ln.split()[0] == fqdn and ln.split()[3] == rtype]
        assert len(have) == len(recs)
        assert _present(
            after, f'nix.{fqdn} 300 IN TXT "heritage=nix,managed-by=routy,type={rtype}"'
        )
    # 3. a second apply changes nothing
    serial = knot.serial("internal")
    assert _agent("apply", knot, two, "--no-adopt", "--dry-run") == 0
    assert _agent("apply", knot, two, *opts) == 0
    assert knot.serial("internal") == serial
    capsys.readouterr()
