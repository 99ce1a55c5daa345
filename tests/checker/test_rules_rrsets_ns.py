"""RRset rules (TTL, duplicates) and name server rules (glue, TTL 0)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checker.helpers import E, Expect, W, Zones, assert_problems, check, document, rec

NS0 = [rec("@", "NS", "ns0.internal."), rec("ns0", "A", "10.0.0.53")]


def BIG_TXT(count: int) -> list[tuple[Any, ...]]:  # noqa: N802 - reads like a table row
    """`count` TXT records of 262 octets of RDATA at ``big``."""
    return [rec("big", "TXT", f'"{i:05d}{"x" * 250}" "{i}"') for i in range(count)]


CASES: list[tuple[str, Zones, list[Expect]]] = [
    (
        "one TTL per RRset, two RRsets may differ",
        {
            "internal": [
                *NS0,
                rec("w", "A", "10.0.0.1", 60),
                rec("w", "A", "10.0.0.2", 60),
                rec("w", "TXT", '"a"', 600),
            ]
        },
        [],
    ),
    (
        "TTL mismatch reported on the odd one out",
        {
            "internal": [
                *NS0,
                rec("w", "A", "10.0.0.1", 60),
                rec("w", "A", "10.0.0.2", 60),
                rec("w", "A", "10.0.0.3", 3600),
            ]
        },
        [
            E(
                "ttl-mismatch",
                "internal",
                "w",
                "A",
                "internal:4",
                "3600",
                "internal:2",
                "RFC 2181 §5.2",
            )
        ],
    ),
    (
        "TTL from defaults counts too",
        {"internal": [*NS0, rec("w", "A", "10.0.0.1"), rec("w", "A", "10.0.0.2", 60)]},
        [E("ttl-mismatch", "internal", "w", "A", "internal:2", "TTL 300", "internal:3")],
    ),
    (
        "exact duplicate, also when spelled differently",
        {
            "internal": [
                *NS0,
                rec("w", "AAAA", "fd00::1"),
                rec("w.internal.", "AAAA", "fd00:0::1"),
                rec("t", "TXT", '"a b"'),
                rec("t", "TXT", '"a" "b"'),
            ]
        },
        [W("duplicate-record", "internal", "w", "AAAA", "internal:3", "internal:2")],
    ),
    ("glue present", {"internal": NS0}, []),
    (
        "outside name server needs no address here",
        {"internal": [rec("@", "NS", "ns1.example.net.")]},
        [],
    ),
    (
        "in-zone name server without an address",
        {"internal": [*NS0, rec("@", "NS", "ns1.internal.")]},
        [W("ns-glue-missing", "internal", "@", "NS", "internal:2", "ns1.internal.", "A or AAAA")],
    ),
    (
        "name server in another zone of the documents, address there",
        {
            "internal": NS0,
            "10.in-addr.arpa": [
                rec("@", "NS", "ns0.internal."),
                rec("@", "NS", "ns9.internal."),
                rec("53.0.0", "PTR", "ns0.internal."),
            ],
        },
        [W("ns-glue-missing", "10.in-addr.arpa", "@", "NS", "10.in-addr.arpa:1", "zone internal")],
    ),
    (
        "NS with TTL 0",
        {"internal": [rec("@", "NS", "ns0.internal.", 0), rec("ns0", "A", "10.0.0.53")]},
        [W("ns-ttl-zero", "internal", "@", "NS", "internal:0", "TTL 0")],
    ),
    (
        "an RRset that fits the message adding it but not a later change of it",
        {"internal": [*NS0, *BIG_TXT(130)]},
        [E("rrset-size", "internal", "big", "TXT", "internal:2", "130 records", "65,535")],
    ),
    (
        "an RRset that a later change still carries, and many short RRs",
        {
            "internal": [
                *NS0,
                *BIG_TXT(110),
                *(rec("many", "A", f"10.1.{i // 250}.{i % 250 + 1}") for i in range(1500)),
            ]
        },
        [],
    ),
]


@pytest.mark.parametrize(("zones", "expected"), [pytest.param(z, e, id=i) for i, z, e in CASES])
def test_rrsets_and_ns(zones: Zones, expected: list[Expect]) -> None:
    assert_problems(check(document(zones)), expected)


# Eight ExternalDNS layouts with 50-character prefixes: a later change at a
# name pins ~150 registry names, about 10 KB of prerequisites.
LONG_LAYOUTS = [{"prefix": f"{c * 50}-%{{record_type}}."} for c in "abcdefgh"]


@pytest.mark.parametrize(("layouts", "refused"), [(None, False), (LONG_LAYOUTS, True)])
def test_rrset_size_counts_the_claim_prerequisites_of_the_layouts(
    layouts: list[dict[str, str]] | None, refused: bool
) -> None:
    """110 TXT RRs of 262 bytes leave room for the default layout's pins,
    not for eight long layouts' (whose TTL change would need ~70 KB)."""
    doc = document({"internal": [*NS0, *BIG_TXT(110)]})
    if layouts is not None:
        doc["externalDns"] = {"layouts": layouts}
    expected = [E("rrset-size", "internal", "big", "TXT", "internal:2", "110 records")]
    assert_problems(check(doc), expected if refused else [])
