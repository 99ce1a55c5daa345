"""CNAME rules: apex, coexistence, multiple, loops, and CNAMEs as targets."""

from __future__ import annotations

import pytest

from tests.checker.helpers import E, Expect, W, Zones, assert_problems, check, document, rec

NS0 = [rec("@", "NS", "ns0.internal."), rec("ns0", "A", "10.0.0.53")]

CASES: list[tuple[str, Zones, list[Expect]]] = [
    ("a plain alias", {"internal": [*NS0, rec("dns", "CNAME", "ns0.internal.")]}, []),
    (
        "alias to an outside name, and a chain without a loop",
        {
            "internal": [
                *NS0,
                rec("a", "CNAME", "b"),
                rec("b", "CNAME", "www.example."),
                rec("@", "MX", "10 ns0"),
            ]
        },
        [],
    ),
    (
        "CNAME at the apex",
        {"lab.internal": [rec("@", "CNAME", "ns0.internal.")]},
        [E("cname-apex", "lab.internal", "@", "CNAME", "lab.internal:0", "apex", "SOA")],
    ),
    (
        "CNAME beside other data",
        {
            "internal": [
                *NS0,
                rec("dns", "CNAME", "ns0.internal."),
                rec("dns", "A", "10.0.0.54"),
                rec("dns", "TXT", '"x"'),
            ]
        },
        [
            E(
                "cname-coexistence",
                "internal",
                "dns",
                "CNAME",
                "internal:2",
                "dns A 10.0.0.54 (internal:3)",
                "internal:4",
                "RFC 4035",
            )
        ],
    ),
    (
        "two CNAMEs at one name",
        {
            "internal": [
                *NS0,
                rec("dns", "CNAME", "ns0.internal."),
                rec("dns", "CNAME", "ns1.example."),
            ]
        },
        [E("cname-multiple", "internal", "dns", "CNAME", "internal:3", "internal:2")],
    ),
    (
        "the same CNAME twice is a duplicate, not two CNAMEs",
        {"internal": [*NS0, rec("dns", "CNAME", "ns0"), rec("dns", "CNAME", "ns0.internal.")]},
        [W("duplicate-record", "internal", "dns", "CNAME", "internal:3", "internal:2")],
    ),
    (
        "loop across two zones",
        {
            "internal": [*NS0, rec("a", "CNAME", "b.lab.internal.")],
            "lab.internal": [rec("b", "CNAME", "a.internal.")],
        },
        [
            E(
                "cname-loop",
                "internal",
                "a",
                "CNAME",
                "internal:2",
                "a.internal. → b.lab.internal. (internal:2)",
                "b.lab.internal. → a.internal. (lab.internal:0)",
            )
        ],
    ),
    (
        "alias to itself",
        {"internal": [*NS0, rec("self", "CNAME", "self")]},
        [E("cname-loop", "internal", "self", "CNAME", "internal:2", "self.internal.")],
    ),
    (
        "three-step loop reported once",
        {
            "internal": [
                *NS0,
                rec("x", "CNAME", "y"),
                rec("y", "CNAME", "z"),
                rec("z", "CNAME", "x"),
            ]
        },
        [E("cname-loop", "internal", "x", "CNAME", "internal:2", "internal:3", "internal:4")],
    ),
    (
        "MX, NS and SRV pointing at an alias",
        {
            "internal": [
                *NS0,
                rec("mail", "CNAME", "ns0"),
                rec("@", "MX", "10 mail"),
                rec("sub", "NS", "mail.internal."),
                rec("_imap._tcp", "SRV", "0 0 143 mail.internal."),
            ]
        },
        [
            E("cname-target", "internal", "@", "MX", "internal:3", "RFC 2181", "internal:2"),
            E("cname-target", "internal", "sub", "NS", "internal:4", "internal:2"),
            E("cname-target", "internal", "_imap._tcp", "SRV", "internal:5", "RFC 2782"),
        ],
    ),
    (
        "PTR to an alias is a warning",
        {
            "internal": [*NS0, rec("dns", "CNAME", "ns0")],
            "10.in-addr.arpa": [
                rec("53.0.0", "PTR", "ns0.internal."),
                rec("54.0.0", "PTR", "dns.internal."),
            ],
        },
        [W("cname-target", "10.in-addr.arpa", "54.0.0", "PTR", "10.in-addr.arpa:1", "internal:2")],
    ),
]


@pytest.mark.parametrize(("zones", "expected"), [pytest.param(z, e, id=i) for i, z, e in CASES])
def test_cname(zones: Zones, expected: list[Expect]) -> None:
    assert_problems(check(document(zones)), expected)
