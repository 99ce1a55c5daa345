"""The checker's rules. Each module holds related rules; ``run_rules`` runs all.

Every rule module exposes ``check(index) -> Iterator[Problem]`` and reads the
shared :class:`~checker.rules.index.Index`, built once in a single pass.
"""

from __future__ import annotations

from collections.abc import Sequence

from checker.model import Desired
from checker.problems import Problem
from checker.rules import cname, ns, owners, ownership, placement, reverse, rrsets, values
from checker.rules.index import Index

_MODULES = (placement, cname, rrsets, ns, ownership, reverse, owners, values)


def run_rules(desireds: Sequence[Desired]) -> list[Problem]:
    """Every problem the rules find across the given owners' documents."""
    index = Index.build(desireds)
    problems: list[Problem] = []
    for module in _MODULES:
        problems.extend(module.check(index))
    return problems
