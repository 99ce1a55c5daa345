"""``publish --on-conflict fail`` against a real knotd: owners whose runs end
in conflicts wait until the zone is done, but only with their message: the
zone snapshot each run read is gone before the next run reads its own, so
memory does not grow with the number of conflicting owners."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from agent import zone_reader
from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.fixtures.knot import KnotServer

pytestmark = pytest.mark.knot

OWNERS = 4


@pytest.fixture
def agent(knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> AgentRun:
    return AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)


def test_conflicting_owners_do_not_keep_their_zone_snapshots(
    knot: KnotServer, agent: AgentRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    knot.add_records("internal", [f"hand{i} 300 A 10.9.9.{i + 1}" for i in range(OWNERS)])
    docs: list[str] = []
    for i in range(OWNERS):
        owner = f"owner{i}"
        doc = document({"internal": [rec(f"hand{i}", "A", f"10.0.1.{i + 1}")]}, managed_by=owner)
        docs += ["--desired", str(write_document(tmp_path / f"{owner}.json", doc))]

    seen: list[int] = []  # snapshots alive when each new one is made
    built = zone_reader.ZoneSnapshot.__dict__["_indexed"].__func__  # every transfer's snapshot

    def tracked(cls: Any, *args: Any) -> Any:
        gc.collect()  # count only what is still referenced
        seen.append(sum(isinstance(o, zone_reader.ZoneSnapshot) for o in gc.get_objects()))
        return built(cls, *args)

    monkeypatch.setattr(zone_reader.ZoneSnapshot, "_indexed", classmethod(tracked))
    state = str(tmp_path / "state.json")
    code, _, err = agent("publish", None, *docs, "--state-file", state, "--on-conflict", "fail")
    assert code == 3, err
    assert err.count("conflict") >= OWNERS, err
    assert len(seen) >= OWNERS
    assert max(seen) == 0, seen  # none kept, let alone one per conflicting owner
