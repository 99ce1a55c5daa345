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


def _long_name(octets: int, zone: str = "internal") -> str:
    """A relative name that, in zone `zone`, takes `octets` in wire form."""
    left = octets - (len(zone) + 2)  # the zone's label and the root label
    labels = []
    while left > 0:
        size = min(63, left - 1)
        labels.append("a" * size)
        left -= size + 1
    return ".".join(labels)


def _report_for(name: str, prefix: str = "nix") -> set[str]:
    doc: Any = {
        "version": 1,
        "owner": {"prefix": prefix, "managedBy": "host"},
        "zones": {"internal": {"records": [{"name": name, "type": "A", "data": "10.0.0.1"}]}},
    }
    report = check_documents([("doc.json", doc)])
    return {p.rule for p in report.problems}


def test_a_name_whose_marker_name_exceeds_255_octets_is_an_error() -> None:
    """`nix.<name>` must fit 255 octets, or the agent can never mark the name."""
    assert "marker-name-length" in _report_for(_long_name(253))
    assert "marker-name-length" in _report_for(_long_name(252))
    assert "marker-name-length" not in _report_for(_long_name(252), prefix="ab")
    assert "marker-name-length" not in _report_for(_long_name(251))  # exactly 255
