"""Spellings near the edges of the checker's fast paths give the same verdicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from checker.names import DomainName, NameReader, NameSyntaxError, _examine_labels, _parse_labels
from checker.rdata import RdataError, _scan_tokens, tokenize
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
    _agree(_parse_labels, _examine_labels, NameSyntaxError, text)


def _agree(
    shortcut: Callable[[str], object],
    full: Callable[[str], object],
    error: type[Exception],
    text: str,
) -> None:
    """``shortcut`` reads ``text`` as ``full`` does, and refuses what it refuses."""
    try:
        expected = full(text)
    except error:
        with pytest.raises(error):
            shortcut(text)
        return
    assert shortcut(text) == expected


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
        ("A", "10.0.0.1\x00", "address-syntax"),  # an embedded NUL: a finding, no traceback
        ("AAAA", "::1\x00", "address-syntax"),
        ("TXT", '"a\nb"', "rdata-syntax"),  # dnspython refuses a line break in a string
        ("TXT", "b\nc", "rdata-syntax"),  # ...and ends unquoted data at it
        ("TXT", '"a"\r\n"b"', "rdata-syntax"),
        ("CNAME", "b\x00c", "target-syntax"),
    ],
)
def test_data_edges(rtype: str, data: str, rule: str | None) -> None:
    report = check(document({"internal": [("host", "A", "10.0.0.2"), ("x", rtype, data)]}))
    assert [p.rule for p in report.problems] == ([rule] if rule else [])


# Presentation-text pieces: bare characters, blanks, quotes, escapes, the
# special characters a token may not hold, line breaks, non-ASCII.
_DATA_TEXT = st.lists(
    st.sampled_from(
        [
            *("a", "0", "h1.internal.", " ", "\t", '"', '"x y"', '""', "\\", '\\"', "\\065"),
            *(";", "(", "\n", "\r", "\x0b", "é"),
        ]
    ),
    max_size=10,
).map("".join)


@settings(max_examples=1000, deadline=None)
@given(_DATA_TEXT)
@example('"id=1" "owner=bench"')
@example("0 5 5060 h1.internal.")
@example(' "a b"\t"" ')
@example('"a\nb"')
def test_tokenizer_shortcuts_read_as_scanned(text: str) -> None:
    """Splitting bare words or unescaped quoted strings in one step gives what
    reading token by token gives, and accepts nothing that reading refuses."""
    _agree(tokenize, _scan_tokens, RdataError, text)


# Labels of 1-63 octets, some written with \DDD escapes (4 characters for
# one octet), so a text can be far longer than the name it spells.
_LABEL = st.lists(st.sampled_from(["a", "\\097", "\\."]), min_size=1, max_size=63).map("".join)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(_LABEL, min_size=1, max_size=8),
    st.booleans(),
    st.lists(st.integers(min_value=1, max_value=63), min_size=1, max_size=4),
)
@example(["a" * 63] * 3 + ["a" * 61], True, [1])
@example(["a" * 63] * 3 + ["a" * 62], True, [1])
@example(["a" * 63] * 3, False, [61])
@example(["a" * 63] * 3, False, [62])
def test_long_names_refused_by_their_octets(
    labels: list[str], absolute: bool, origin_sizes: list[int]
) -> None:
    """A name is refused exactly when its wire form (origin appended to a
    relative name) exceeds 255 octets, whatever the length of its text."""
    origin = DomainName(tuple(b"o" * n for n in origin_sizes))
    text = ".".join(labels) + ("." if absolute else "")
    spelled, _ = _examine_labels(text)
    full = spelled if absolute else spelled + origin.labels
    octets = sum(map(len, full)) + len(full) + 1
    if octets > 255:
        with pytest.raises(NameSyntaxError, match="octets on the wire"):
            NameReader(origin).read(text)
    else:
        assert NameReader(origin).read(text).name == DomainName(full)


def _record(**fields: Any) -> dict[str, Any]:
    doc = document({"internal": [("h", "A", "10.0.0.1")]})
    doc["zones"]["internal"]["records"] = [{"name": "h", "type": "A", "data": "10.0.0.1", **fields}]
    return doc


@pytest.mark.parametrize(
    ("fields", "messages"),
    [
        ({}, []),
        ({"ttl": 60, "source": "s"}, []),
        ({"color": "red"}, ['unknown field(s) "color"']),
        ({"ttl": 60, "source": "s", "color": "red"}, ['unknown field(s) "color"']),
        ({"source": None}, ['"source" must be a string']),
        ({"source": None, "ttl": 60}, ['"source" must be a string']),
        ({"source": 7, "tll": 60}, ['"source" must be a string', 'unknown field(s) "tll"']),
    ],
)
def test_record_keys(fields: dict[str, Any], messages: list[str]) -> None:
    """Keys other than name, type, data, ttl and source are reported, with
    or without the optional ones, and a source that is no string too."""
    report = check(_record(**fields))
    found = [p.message for p in report.problems if p.rule == "record-schema"]
    assert found == messages


def test_a_control_character_in_a_target_is_printed_escaped() -> None:
    """A NUL or line break in a target is named as an escape, never written raw
    into the build log."""
    report = check(document({"internal": [("host", "A", "10.0.0.2"), ("x", "CNAME", "b\x00c")]}))
    [problem] = report.problems
    assert "\x00" not in problem.message
    assert "'b\\x00c'" in problem.message
