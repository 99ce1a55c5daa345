"""`agent.publish.publish` with a stand-in for ``apply``: which runs it makes,
with which documents, and what it records (issue 12). The real thing against
knotd is tests/agent/test_publish_knot.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.errors import AgentError, ConflictsPresent, TransferError, UpdateRefused
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


class ScriptedApply:
    """Answers each run from a script keyed by (managed-by, run number)."""

    def __init__(self, script: dict[tuple[str, int], ApplyOutcome | AgentError]) -> None:
        self.script = script
        self.runs: list[tuple[str, list[str]]] = []

    def __call__(self, argv: list[str]) -> ApplyOutcome:
        doc = json.loads(Path(argv[argv.index("--desired") + 1]).read_text())
        owner = doc["owner"]["managedBy"]
        self.runs.append((owner, argv))
        answer = self.script.get((owner, sum(o == owner for o, _ in self.runs)), ApplyOutcome(0))
        if isinstance(answer, AgentError):
            raise answer
        return answer


def owner_path(tmp_path: Path, owner: str) -> Path:
    doc = document({"internal": [rec(owner, "A", "10.0.0.7")]}, managed_by=owner)
    return write_document(tmp_path / f"{owner}.json", doc)


def publish_owners(tmp_path: Path, fake: ScriptedApply, owners: list[str]) -> tuple[int, list[str]]:
    """publish one document per owner (a fresh state); exit code and errors."""
    errors: list[str] = []
    code = publish(
        [owner_path(tmp_path, o) for o in owners],
        tmp_path / "state.json",
        [],
        fake,
        errors.append,
        dry_run=False,
        metrics_file=None,
        zone_served=never_asked,
    )
    return code, errors


SKIPPED = ApplyOutcome(0, other_owner=True)
DELETED = ApplyOutcome(0, changed=True)


@pytest.mark.parametrize(
    ("script", "owners", "again"),
    [
        pytest.param(
            {("b", 1): SKIPPED, ("a", 1): DELETED}, ["b", "a"], ["b"], id="given-up-later"
        ),
        pytest.param({("a", 1): DELETED, ("b", 1): SKIPPED}, ["a", "b"], [], id="given-up-before"),
        pytest.param({("b", 1): SKIPPED}, ["b", "a"], [], id="nothing-changed"),
        pytest.param(
            {("b", 1): ConflictsPresent("conflicts"), ("a", 1): DELETED},
            ["b", "a"],
            ["b"],
            id="on-conflict-fail",
        ),
    ],
)
def test_an_owner_that_met_another_owners_name_runs_again_after_a_change(
    tmp_path: Path,
    script: dict[tuple[str, int], ApplyOutcome | AgentError],
    owners: list[str],
    again: list[str],
) -> None:
    fake = ScriptedApply(script)
    code, errors = publish_owners(tmp_path, fake, owners)
    assert [o for o, _ in fake.runs] == [*owners, *again]
    assert all(argv[argv.index("--zone") + 1] == "internal" for _, argv in fake.runs)
    assert (code, errors) == (0, [])


def test_a_deferred_failure_is_reported_when_nothing_changed(tmp_path: Path) -> None:
    fake = ScriptedApply({("b", 1): ConflictsPresent("3 conflict(s)")})
    code, errors = publish_owners(tmp_path, fake, ["b"])
    assert code == 3
    assert errors == [f"owner b: applying {tmp_path / 'b.json'} to zone internal: 3 conflict(s)"]


@pytest.mark.parametrize(("served", "kept"), [(False, False), (True, True), (None, True)])
def test_a_retired_zone_is_forgotten_only_when_the_server_says_it_does_not_serve_it(
    tmp_path: Path, served: bool | None, kept: bool
) -> None:
    state = tmp_path / "state.json"
    write_state(state, [Published("beta", "gone.example", "nix")])
    fake = ScriptedApply({("beta", 1): TransferError("AXFR of gone.example refused (NOTAUTH)")})
    errors: list[str] = []
    asked: list[str] = []

    def zone_served(zone: str) -> bool | None:
        asked.append(zone)
        return served

    code = publish(
        [],
        state,
        [],
        fake,
        errors.append,
        dry_run=False,
        metrics_file=None,
        zone_served=zone_served,
    )
    assert asked == ["gone.example"]
    assert (Published("beta", "gone.example", "nix") in read_state(state)) is kept
    assert (code == 1) is kept
    assert bool(errors) is kept
