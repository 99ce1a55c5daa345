"""Placement: child zones, delegations and the missing trailing dot."""

from __future__ import annotations

import pytest

from tests.checker.helpers import E, Expect, Zones, assert_problems, check, document, rec

NS0 = [rec("@", "NS", "ns0.internal."), rec("ns0", "A", "10.0.0.53")]

CASES: list[tuple[str, Zones, list[Expect]]] = [
    ("relative single-label target is fine", {"internal": [*NS0, rec("dns", "CNAME", "ns0")]}, []),
    (
        "absolute owner inside the zone is fine",
        {"internal": [*NS0, rec("www.internal.", "A", "10.0.0.8")]},
        [],
    ),
    (
        "delegation with its own glue",
        {
            "internal": [
                *NS0,
                rec("lab", "NS", "ns.lab.internal."),
                rec("ns.lab", "A", "10.9.0.1"),
                rec("ns.lab", "AAAA", "fd00::1"),
            ]
        },
        [],
    ),
    (
        "parent delegates to a child zone of the document, with glue",
        {
            "internal": [
                *NS0,
                rec("s3.garage", "NS", "ns.s3.garage.internal."),
                rec("ns.s3.garage", "A", "10.0.0.9"),
            ],
            "s3.garage.internal": [rec("@", "NS", "ns"), rec("ns", "A", "10.0.0.9")],
        },
        [],
    ),
    (
        "owner inside a more specific zone of the document",
        {
            "internal": [*NS0, rec("bucket.s3.garage", "A", "10.0.0.7")],
            "s3.garage.internal": [rec("@", "NS", "ns0.internal.")],
        },
        [
            E(
                "in-child-zone",
                "internal",
                "bucket.s3.garage",
                "A",
                "internal:2",
                "s3.garage.internal",
                "never served",
            )
        ],
    ),
    (
        "data at the child zone's apex in the parent",
        {
            "internal": [*NS0, rec("s3.garage", "TXT", '"x"')],
            "s3.garage.internal": [rec("@", "NS", "ns0.internal.")],
        },
        [E("in-child-zone", "internal", "s3.garage", "TXT", "internal:2")],
    ),
    (
        "data below a delegation",
        {
            "internal": [
                *NS0,
                rec("lab", "NS", "ns.lab.internal."),
                rec("ns.lab", "A", "10.9.0.1"),
                rec("www.lab", "A", "10.9.0.2"),
                rec("lab", "A", "10.9.0.3"),
            ]
        },
        [
            E("occluded", "internal", "www.lab", "A", "internal:4", "below", "internal:2"),
            E("occluded", "internal", "lab", "A", "internal:5", "at the delegation", "internal:2"),
        ],
    ),
    (
        "address below a delegation that is not its name server",
        {
            "internal": [
                *NS0,
                rec("lab", "NS", "ns.example."),
                rec("ns.lab", "A", "10.9.0.1"),
            ]
        },
        [E("occluded", "internal", "ns.lab", "A", "internal:3", "lab NS ns.example. (internal:2)")],
    ),
    (
        "glue is only addresses",
        {
            "internal": [
                *NS0,
                rec("lab", "NS", "ns.lab.internal."),
                rec("ns.lab", "A", "10.9.0.1"),
                rec("ns.lab", "TXT", '"hi"'),
            ]
        },
        [E("occluded", "internal", "ns.lab", "TXT", "internal:4")],
    ),
    (
        "relative target that repeats the zone",
        {"internal": [*NS0, rec("dns", "CNAME", "ns0.internal")]},
        [
            E(
                "trailing-dot",
                "internal",
                "dns",
                "CNAME",
                "internal:2",
                "ns0.internal.internal.",
                "ns0.internal.",
            )
        ],
    ),
    (
        "relative NS target in a reverse zone",
        {"internal": NS0, "168.192.in-addr.arpa": [rec("@", "NS", "ns0.internal")]},
        [
            E(
                "trailing-dot",
                "168.192.in-addr.arpa",
                "@",
                "NS",
                "168.192.in-addr.arpa:0",
                "ns0.internal.168.192.in-addr.arpa.",
            )
        ],
    ),
    (
        "relative dotted SRV target",
        {"internal": [*NS0, rec("_sip._tcp", "SRV", "0 5 5060 sip.lab")]},
        [E("trailing-dot", "internal", "_sip._tcp", "SRV", "internal:2", "sip.lab.internal.")],
    ),
    (
        "an address where a host name belongs",
        {
            "internal": [
                *NS0,
                rec("@", "MX", "10 10.0.0.25"),
                rec("www", "CNAME", "10.0.0.80"),
                rec("x", "NS", "fd00::53"),
            ]
        },
        [
            E("trailing-dot", "internal", "@", "MX", "internal:2", "IP address", "host name"),
            E("trailing-dot", "internal", "www", "CNAME", "internal:3", "IP address"),
            E("trailing-dot", "internal", "x", "NS", "internal:4", "IP address"),
        ],
    ),
    (
        "owner written relative that ends in the zone's name",
        {"internal": [*NS0, rec("ns1.internal", "A", "10.1.0.53")]},
        [
            E(
                "trailing-dot",
                "internal",
                "ns1.internal",
                "A",
                "internal:2",
                "ns1.internal.internal.",
            )
        ],
    ),
]


@pytest.mark.parametrize(("zones", "expected"), [pytest.param(z, e, id=i) for i, z, e in CASES])
def test_placement(zones: Zones, expected: list[Expect]) -> None:
    assert_problems(check(document(zones)), expected)
