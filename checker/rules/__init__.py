"""The checker's rules. Each module holds related rules; ``run_rules`` runs all."""

from __future__ import annotations

from collections.abc import Sequence

from checker.model import Desired
from checker.problems import Problem


def run_rules(desireds: Sequence[Desired]) -> list[Problem]:
    """Every problem the rules find across the given owners' documents."""
    return []
