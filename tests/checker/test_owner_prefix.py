"""A non-ASCII owner prefix is reported, never a crash (found by Hypothesis)."""

from __future__ import annotations

from typing import Any

from checker.check import check_documents


def test_non_ascii_prefix_is_a_problem_not_a_crash() -> None:
    doc: Any = {
        "version": 1,
        "owner": {"prefix": "\x80", "managedBy": "host"},
        "zones": {"internal": {"records": [{"name": "@", "type": "NS", "data": "ns0.internal."}]}},
    }
    report = check_documents([("doc.json", doc)])
    assert "owner-config" in {p.rule for p in report.problems}
