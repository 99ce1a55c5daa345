"""Checking one or more documents: normalise, run every rule, collect a report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from checker.document import DocumentJSON
from checker.exceptions import Accepted, ReviewedException, apply_exceptions, read_exceptions
from checker.model import Desired, build_desired
from checker.problems import Problem, Severity
from checker.rules import run_rules


@dataclass(frozen=True, slots=True)
class Report:
    desireds: tuple[Desired, ...]
    problems: tuple[Problem, ...]
    # findings that a reviewed exception accepts: listed, never counted
    accepted: tuple[Accepted, ...] = ()

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
    """Check several owners' documents together (each: its path and its JSON).

    Findings that a document's reviewed exceptions accept move to
    ``Report.accepted``; ``strict`` then makes the remaining warnings errors."""
    desireds: list[Desired] = []
    problems: list[Problem] = []
    exceptions: list[ReviewedException] = []
    for path, doc in docs:
        desired, found = build_desired(doc, path)
        desireds.append(desired)
        problems.extend(found)
        accepting, bad = read_exceptions(doc, path)
        exceptions.extend(accepting)
        problems.extend(bad)
    problems.extend(run_rules(desireds))
    problems, accepted = apply_exceptions(set(problems), exceptions)
    if strict:
        problems = [
            replace(p, severity=Severity.ERROR) if p.severity is Severity.WARNING else p
            for p in problems
        ]
    unique = sorted(set(problems), key=Problem.sort_key)
    accepted.sort(key=lambda a: a.problem.sort_key())
    return Report(tuple(desireds), tuple(unique), tuple(accepted))
