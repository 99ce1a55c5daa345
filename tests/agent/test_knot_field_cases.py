"""Field cases replayed against a real knotd (issue 9): marker TTLs, the owner
prefix's case, signed zones, failures after sending, signals, unwritable
metrics and backup paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.fixtures.knot import KnotServer

pytestmark = pytest.mark.knot

NS = rec("@", "NS", "ns0.internal.", 3600)


@pytest.fixture
def agent(knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> AgentRun:
    return AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)


def rrs(knot: KnotServer, zone: str = "internal") -> list[str]:
    return [" ".join(line.split()) for line in knot.axfr(zone)[1:]]


def doc_file(tmp_path: Path, records: list[dict[str, Any]], ttl: int = 300) -> Path:
    return write_document(tmp_path / "desired.json", document({"internal": records}, ttl=ttl))


def test_markers_follow_defaults_ttl(knot: KnotServer, agent: AgentRun, tmp_path: Path) -> None:
    """Input 7: markers use defaults.ttl (contract §3), also after it changes."""
    records = [NS, rec("www", "A", "10.0.0.80", 300), rec("www", "TXT", '"hi"', 300)]
    assert agent("apply", doc_file(tmp_path, records))[0] == 0
    assert 'nix.www.internal. 300 IN TXT "heritage=nix,managed-by=routy,type=A"' in rrs(knot)

    path = doc_file(tmp_path, records, ttl=600)
    code, out, _ = agent("plan", path)
    assert code == 4
    assert "~ www A ownership marker TTL → 600" in out
    code, out, err = agent("apply", path)
    assert code == 0, err
    markers = [ln for ln in rrs(knot) if ln.startswith("nix.")]
    assert markers
    assert all(" 600 IN TXT " in ln for ln in markers), markers
    assert "www.internal. 300 IN A 10.0.0.80" in rrs(knot)
    assert agent("plan", path)[0] == 0


def test_classify_owner_prefix_is_case_insensitive(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    """Input 7: ``--owner-prefix NIX`` finds our records with their markers."""
    assert agent("apply", doc_file(tmp_path, [NS, rec("www", "A", "10.0.0.80")]))[0] == 0
    code, out, err = agent(
        "classify", None, "--zone", "internal", "--owner-prefix", "NIX", "--format", "json"
    )
    assert code == 0, err
    rows = {(r["name"], r["type"]): r["category"] for r in json.loads(out)}
    assert rows[("www.internal.", "A")] == "ours"
    assert rows[("nix.www.internal.", "TXT")] == "ours"
