"""RRsets near the message limit against a real knotd: an RRset is written
only if a later change (its whole RRset as read as prerequisite, deleted and
re-added) could still travel in one UPDATE message; otherwise the run fails
before anything is sent, saying so, and the zone keeps every record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.fixtures.knot import KnotServer

pytestmark = pytest.mark.knot

NS = rec("@", "NS", "ns0.internal.", 3600)
NS0 = rec("ns0", "A", "10.0.0.53", 3600)


@pytest.fixture
def agent(knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> AgentRun:
    return AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)


def big_txt(count: int) -> list[dict[str, Any]]:
    """`count` TXT RRs of 262 bytes of RDATA each at ``big``."""
    return [rec("big", "TXT", f'"{i:05d}{"x" * 250}" "{i}"') for i in range(count)]


def doc_file(tmp_path: Path, name: str, records: list[dict[str, Any]], ttl: int = 300) -> Path:
    return write_document(tmp_path / name, document({"internal": [NS, NS0, *records]}, ttl=ttl))


def big_rrs(knot: KnotServer) -> list[str]:
    return [line for line in knot.axfr("internal") if line.startswith("big.")]


def test_an_rrset_too_big_to_change_later_is_refused_before_sending(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    serial = knot.serial("internal")
    # ~34 KB: fits the message adding it, but its TTL change would need ~70 KB
    records = [rec("a", "A", "10.0.0.1"), *big_txt(130)]
    code, _, err = agent("apply", doc_file(tmp_path, "big.json", records))
    assert code == 1, err
    lines = [line for line in err.splitlines() if "too big to change or remove" in line]
    assert len(lines) == 1, err
    assert "rrset-size" in lines[0]
    assert "65,535" in lines[0]
    assert "Traceback" not in err
    assert knot.serial("internal") == serial
    assert big_rrs(knot) == []


def test_an_rrset_below_the_limit_can_still_change_its_ttl_and_go(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    code, _, err = agent("apply", doc_file(tmp_path, "one.json", big_txt(110)))
    assert code == 0, err
    assert len(big_rrs(knot)) == 110
    code, _, err = agent("apply", doc_file(tmp_path, "two.json", big_txt(110), ttl=600))
    assert code == 0, err
    assert all(" 600 " in f" {' '.join(rr.split())} " for rr in big_rrs(knot))
    code, _, err = agent("apply", doc_file(tmp_path, "none.json", []), "--force")
    assert code == 0, err
    assert big_rrs(knot) == []


def test_an_owned_rrset_too_big_to_remove_says_what_to_do(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    """One written before the limit existed (~65 KB, by hand here): removing
    it would carry it whole as the prerequisite, which no message can hold;
    the run says so and what to do, and sends nothing."""
    lines = [f"big 300 TXT {r['data']}" for r in big_txt(240)]
    knot.add_records("internal", lines[:130])  # (~65 KB: two messages)
    knot.add_records("internal", lines[130:])
    knot.add_records("internal", ['nix.big 300 TXT "heritage=nix,managed-by=routy,type=TXT"'])
    serial = knot.serial("internal")
    code, _, err = agent("apply", doc_file(tmp_path, "none.json", []), "--force")
    assert code == 1, err
    assert "Changing or removing TXT (240 RRs) there carries the RRset as read whole" in err
    assert "remove the RRset and its ownership marker by hand" in err
    assert knot.serial("internal") == serial
    assert len(big_rrs(knot)) == 240


# Eight ExternalDNS layouts with 50-character prefixes: every change at a
# name pins the TXT RRset at ~150 registry names (~10 KB of prerequisites).
LONG_LAYOUTS = [{"prefix": f"{c * 50}-%{{record_type}}."} for c in "abcdefgh"]


def layouts_doc(tmp_path: Path, name: str, count: int, ttl: int = 300) -> Path:
    records = [NS, NS0, *(rec("big", "TXT", f'"{i:05d}{"x" * 250}"') for i in range(count))]
    doc = document({"internal": records}, ttl=ttl)
    doc["externalDns"] = {"layouts": LONG_LAYOUTS}
    return write_document(tmp_path / name, doc)


def test_with_long_layouts_an_accepted_rrset_can_change_its_ttl_and_go(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    """The largest RRset the run accepts under eight long-prefix layouts is
    written, its TTL changed and removed; one more RR is refused before
    anything is sent. (Once a fixed 1,024-byte allowance for the claim
    prerequisites let ~111 such RRs in, whose TTL change then needed ~70 KB
    and failed every run.)"""
    serial = knot.serial("internal")
    count = 112
    while True:
        code, _, err = agent("apply", layouts_doc(tmp_path, f"{count}.json", count))
        if code == 0:
            break
        assert code == 1, err
        assert "too big to change or remove" in err, err
        assert knot.serial("internal") == serial
        count -= 1
    assert 90 <= count < 111
    assert len(big_rrs(knot)) == count
    code, _, err = agent("apply", layouts_doc(tmp_path, "ttl.json", count, ttl=600))
    assert code == 0, err
    assert len(big_rrs(knot)) == count
    assert all(" 600 " in f" {' '.join(rr.split())} " for rr in big_rrs(knot))
    code, _, err = agent("apply", layouts_doc(tmp_path, "none.json", 0), "--force")
    assert code == 0, err
    assert big_rrs(knot) == []
