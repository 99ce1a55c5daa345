"""Spellings near the edges of the checker's fast paths give the same verdicts."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from checker.names import NameSyntaxError, _examine_labels, _parse_labels
from tests.checker.helpers import check, document

# Name-like text: label characters (runs near the 63-octet limit too), dots,
# escapes, blanks, controls, non-ASCII.
_NAME_TEXT = st.lists(
    st.sampled_from([*'aZ09-_*.\\ \t\x00\x7f"@;é', "a" * 31, "a" * 62]), max_size=12
).map("".join)


@settings(max_examples=1000, deadline=None)
@given(_NAME_TEXT)
@example("a" * 63 + "." + "b" * 63)
@example("a" * 64)
@example("a..b")
@example(".a")
@example("a.")
@example(".")
@example("")
def test_plain_names_read_as_examined(text: str) -> None:
    """Accepting a usual name in one step gives what reading it label by
    label gives, and accepts nothing that reading refuses."""
    try:
        examined = _examine_labels(text)
    except NameSyntaxError:
        with pytest.raises(NameSyntaxError):
            _parse_labels(text)
        return
    assert _parse_labels(text) == examined


@pytest.mark.parametrize(
    ("name", "rules"),
    [
        ("internal", ["trailing-dot"]),
        ("Internal", ["trailing-dot"]),
        ("\\105nternal", ["trailing-dot"]),
        ("x.internal", ["trailing-dot"]),
        ("x", []),
        ("X", []),
        ("*.x", []),
        ("x\\.y", []),
    ],
)
def test_owner_repeating_the_zone(name: str, rules: list[str]) -> None:
    report = check(document({"internal": [(name, "A", "10.0.0.1")]}))
    assert [p.rule for p in report.problems if p.rule != "ptr-missing"] == rules


@pytest.mark.parametrize(
    ("rtype", "data", "rule"),
    [
        ("MX", "\u0661\u0660 host", "rdata-syntax"),  # Arabic-Indic digits
        ("MX", "65536 host", "field-range"),
        ("SRV", "1 2 65536 host", "field-range"),
        ("AAAA", "fe80::1%eth0", "address-syntax"),
        ("AAAA", "1:2:3:4:5:6:7::8", "address-syntax"),
        ("AAAA", "::1.2.3.04", "address-syntax"),
        ("A", "1.2.3", "address-syntax"),
        ("A", " 10.0.0.1", None),
        ("CNAME", "a..b", "target-syntax"),
    ],
)
def test_data_edges(rtype: str, data: str, rule: str | None) -> None:
    report = check(document({"internal": [("host", "A", "10.0.0.2"), ("x", rtype, data)]}))
    assert [p.rule for p in report.problems] == ([rule] if rule else [])
