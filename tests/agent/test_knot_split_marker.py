"""A marker-looking TXT split into several character-strings, against a real
knotd. We write our marker as ONE string; deleting that RDATA would not
match a split one, so a split one is hand-made: it claims nothing for us,
is never deleted, and the RRset it seems to mark is not ours -- reported as
a conflict when declared, left alone when not. Each run ends the same way,
without the misleading "did not apply" failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.fixtures.knot import KnotServer

pytestmark = pytest.mark.knot

NS = rec("@", "NS", "ns0.internal.", 3600)
NS0 = rec("ns0", "A", "10.0.0.53", 3600)
SPLIT = 'nix.sp 300 TXT "heritage=nix,managed-by=routy," "type=A"'


@pytest.fixture
def agent(knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> AgentRun:
    return AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)


def sp_rrs(knot: KnotServer) -> list[str]:
    return sorted(
        " ".join(line.split()) for line in knot.axfr("internal") if "sp.internal." in line
    )


def doc_file(tmp_path: Path, name: str, records: list[dict[str, Any]]) -> Path:
    return write_document(tmp_path / name, document({"internal": [NS, NS0, *records]}))


def test_a_split_marker_is_not_ours_and_never_deleted(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    knot.add_records("internal", ["sp 300 A 10.0.0.1", SPLIT])
    before = sp_rrs(knot)

    # undeclared: the A it seems to mark is not ours, nothing is deleted
    for attempt in range(2):
        code, _, err = agent("apply", doc_file(tmp_path, f"none{attempt}.json", []), "--force")
        assert code == 0, err
        assert "did not apply" not in err
        assert sp_rrs(knot) == before

    # declared: the A is hand-made (other data: a conflict), and adopting the
    # same data would need our marker beside the split one: a conflict saying why
    serial = knot.serial("internal")
    code, _, err = agent("apply", doc_file(tmp_path, "other.json", [rec("sp", "A", "10.0.0.2")]))
    assert code == 0, err
    assert "sp A skipped" in err
    code, _, err = agent("apply", doc_file(tmp_path, "same.json", [rec("sp", "A", "10.0.0.1")]))
    assert code == 0, err
    assert "sp A skipped" in err
    assert "several character-strings" in err
    assert knot.serial("internal") == serial
    assert sp_rrs(knot) == before
