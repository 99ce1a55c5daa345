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
    code, _, err = agent(
        "apply", doc_file(tmp_path, "big.json", [rec("a", "A", "10.0.0.1"), *big_txt(130)])
    )
    assert code == 1, err
    lines = [line for line in err.splitlines() if "too big to change or remove" in line]
    assert len(lines) == 1, err
    assert "big.internal." in lines[0]
    assert "65,535" in lines[0]
    assert "Split the data" in lines[0]
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


def test_an_owned_rrset_too_big_to_change_says_what_to_do(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    """One written before the limit existed (~52 KB): removing it still fits,
    another TTL never will; the run says so instead of failing obscurely."""
    records = big_txt(200)
    knot.add_records(
        "internal",
        [f"big 300 TXT {r['data']}" for r in records]
        + ['nix.big 300 TXT "heritage=nix,managed-by=routy,type=TXT"'],
    )
    code, _, err = agent("apply", doc_file(tmp_path, "same.json", records))
    assert code == 0, err
    serial = knot.serial("internal")
    code, _, err = agent("apply", doc_file(tmp_path, "ttl.json", records, ttl=600))
    assert code == 1, err
    assert "Changing or removing TXT (200 RRs) there carries the RRset as read whole" in err
    assert "by hand" in err
    assert knot.serial("internal") == serial
    code, _, err = agent("apply", doc_file(tmp_path, "none.json", []), "--force")
    assert code == 0, err
    assert big_rrs(knot) == []
