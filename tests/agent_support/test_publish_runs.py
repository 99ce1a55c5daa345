"""`agent.publish.publish` with a stand-in for ``apply``: which runs it makes,
with which documents, and what it records (issue 12). The real thing against
knotd is tests/agent/test_publish_knot.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.errors import UpdateRefused
from agent.publish import ApplyOutcome, publish
from agent.published_owners import Published, read_state, write_state
from tests.agent.helpers import document, rec, write_document

LAYOUTS = {"layouts": [{"prefix": "", "suffix": "-edns", "wildcardReplacement": ""}]}


class FakeApply:
    """Records each run's arguments and the document it was given."""

    def __init__(self, fail_for: str | None = None) -> None:
        self.runs: list[tuple[list[str], dict[str, Any]]] = []
        self.fail_for = fail_for

    def __call__(self, argv: list[str]) -> ApplyOutcome:
        doc = json.loads(Path(argv[argv.index("--desired") + 1]).read_text())
        self.runs.append((argv, doc))
        if doc["owner"]["managedBy"] == self.fail_for:
            raise UpdateRefused("REFUSED")
        return ApplyOutcome(0)


def never_asked(zone: str) -> bool | None:
    raise AssertionError(f"asked whether {zone} is served")


def alpha(tmp_path: Path) -> Path:
    doc = document({"internal": [rec("auth", "A", "10.0.0.7")]}, managed_by="alpha")
    doc["externalDns"] = LAYOUTS
    return write_document(tmp_path / "alpha.json", doc)


def test_a_retired_owner_gets_an_empty_forced_run_with_the_same_layouts(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    write_state(
        state, [Published("alpha", "internal", "nix"), Published("beta", "internal", "nix")]
    )
    fake = FakeApply()
    errors: list[str] = []
    code = publish(
        [alpha(tmp_path)],
        state,
        ["--server", "127.0.0.1"],
        fake,
        errors.append,
        dry_run=False,
        metrics_file=None,
        zone_served=never_asked,
    )
    assert code == 0
    assert errors == []
    # retirements first: names a current owner takes over are free by then
    (retire_argv, retire_doc), (first, _) = fake.runs
    assert "--force" not in first
    assert "--metrics-owner" in first
    assert "--force" in retire_argv
    assert retire_doc["owner"] == {"prefix": "nix", "managedBy": "beta"}
    assert retire_doc["zones"] == {"internal": {"records": []}}
    assert retire_doc["externalDns"] == LAYOUTS
    assert read_state(state) == [Published("alpha", "internal", "nix")]


def test_one_owner_failing_does_not_stop_the_others(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    write_state(state, [Published("beta", "internal", "nix")])
    fake = FakeApply(fail_for="beta")
    errors: list[str] = []
    code = publish(
        [alpha(tmp_path)],
        state,
        [],
        fake,
        errors.append,
        dry_run=False,
        metrics_file=None,
        zone_served=never_asked,
    )
    assert code == 1
    assert [doc["owner"]["managedBy"] for _, doc in fake.runs] == ["beta", "alpha"]
    assert errors == [
        "owner beta: no longer publishes in zone internal; removing its records: REFUSED"
    ]
    # the removal failed: beta stays recorded, to be retried
    assert {p.owner for p in read_state(state)} == {"alpha", "beta"}
