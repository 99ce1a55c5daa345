"""Output shapes: JSON plans, journald-friendly logs, classify."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.fixtures.knot import KnotServer
from tests.fixtures.writers import Writers

pytestmark = pytest.mark.knot


@pytest.fixture
def run(knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> AgentRun:
    return AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)


def test_plan_json_is_machine_readable(
    knot: KnotServer, writers: Writers, run: AgentRun, tmp_path: Path
) -> None:
    writers.hand_made("internal", ["busy 300 A 10.0.0.8"])
    path = write_document(
        tmp_path / "d.json",
        document({"internal": [rec("www", "A", "10.0.0.80"), rec("busy", "A", "10.0.0.9")]}),
    )
    code, out, _ = run("plan", path, "--json")
    assert code == 4
    data = json.loads(out)
    zone = data["zones"][0]
    assert zone["zone"] == "internal"
    assert zone["counts"]["add"] == 1
    change = zone["changes"][0]
    assert change["action"] == "add"
    assert change["fqdn"] == "www.internal."
    assert change["after"] == {"ttl": 300, "data": ["10.0.0.80"]}
    assert change["source"] == "test.www.A"
    conflict = zone["conflicts"][0]
    assert conflict["kind"] == "differs"
    assert conflict["current"] == {"ttl": 300, "data": ["10.0.0.8"]}


def test_logs_have_no_timestamps_under_journald(
    knot: KnotServer, run: AgentRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_document(tmp_path / "d.json", document({"internal": [rec("a", "A", "10.0.0.1")]}))
    monkeypatch.setenv("JOURNAL_STREAM", "8:12345")
    code, _, err = run("apply", path)
    assert code == 0
    lines = err.splitlines()
    # journald reads the priority from a "<N>" prefix and adds its own time
    assert "<6>internal: + a A 300 10.0.0.1  (test.a.A)" in lines
    assert any(ln.startswith("<6>internal: in sync; applied 1 add") for ln in lines)
    assert not any(re.match(r"\d{4}-\d\d-\d\d", ln) for ln in lines)


@pytest.mark.parametrize("journald", [False, True])
def test_every_change_line_carries_the_log_prefix(
    knot: KnotServer,
    run: AgentRun,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    journald: bool,
) -> None:
    """The changes a run made are written to the log at once, and still one
    line each, each with what a line of its own would start with."""
    records = [rec("a", "A", "10.0.0.1"), rec("b", "A", "10.0.0.2"), rec("b", "AAAA", "fd00::2")]
    path = write_document(tmp_path / "d.json", document({"internal": records}))
    if journald:
        monkeypatch.setenv("JOURNAL_STREAM", "8:12345")
    else:
        monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    code, _, err = run("apply", path)
    assert code == 0
    prefix = r"<6>" if journald else r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO "
    changes = [ln for ln in err.splitlines() if re.search(r"internal: \+ ", ln)]
    assert len(changes) == 3, err
    for line, tail in zip(
        changes,
        [
            "internal: + a A 300 10.0.0.1  (test.a.A)",
            "internal: + b A 300 10.0.0.2  (test.b.A)",
            "internal: + b AAAA 300 fd00::2  (test.b.AAAA)",
        ],
        strict=True,
    ):
        assert re.fullmatch(prefix + re.escape(tail), line), line


def test_classify_sorts_the_zone(
    knot: KnotServer, writers: Writers, run: AgentRun, tmp_path: Path
) -> None:
    writers.hand_made("internal", ["printer 300 A 10.0.0.15"])
    writers.external_dns("internal", "forge", data=["10.1.0.5"])
    code, out, err = run("classify", None, "--zone", "internal", "--format", "json")
    assert code == 0, err
    assert "printer" in out
    assert "external-dns" in out
    code, out, _ = run("classify", None, "--zone", "internal", "--format", "nix")
    assert code == 0
    assert "printer" in out
    assert "forge" not in out
