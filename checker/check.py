"""Checking one or more documents: normalise, run every rule, collect a report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from checker.document import DocumentJSON
from checker.model import Desired, build_desired
from checker.problems import Problem, Severity
from checker.rules import run_rules


@dataclass(frozen=True, slots=True)
class Report:
    desireds: tuple[Desired, ...]
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        return self.errors == 0


def check_documents(docs: Sequence[tuple[str, DocumentJSON]], *, strict: bool = False) -> Report:
    """Check several owners' documents together (each: its path and its JSON)."""
    desireds: list[Desired] = []
    problems: list[Problem] = []
    for path, doc in docs:
        desired, found = build_desired(doc, path)
        desireds.append(desired)
        problems.extend(found)
    problems.extend(run_rules(desireds))
    if strict:
        problems = [
            replace(p, severity=Severity.ERROR) if p.severity is Severity.WARNING else p
            for p in problems
        ]
    unique = sorted(set(problems), key=Problem.sort_key)
    return Report(tuple(desireds), tuple(unique))
