"""Marker names, reverse DNS consistency, several owners, and value rules."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from checker.problems import Severity
from tests.checker.helpers import E, Expect, W, Zones, assert_problems, check, document, rec

NS0 = [rec("@", "NS", "ns0.internal."), rec("ns0", "A", "10.0.0.53")]
# fd00::53 relative to 0.0.d.f.ip6.arpa
V6_PTR = ipaddress.ip_address("fd00::53").reverse_pointer.removesuffix(".0.0.d.f.ip6.arpa")
REV = [rec("@", "NS", "ns0.internal."), rec("53.0.0", "PTR", "ns0.internal.")]

CASES: list[tuple[str, Zones, list[Expect]]] = [
    (
        "the prefix inside a name is fine",
        {"internal": [*NS0, rec("a.nix", "A", "10.0.0.2"), rec("nixos", "A", "10.0.0.3")]},
        [],
    ),
    (
        "a TXT whose text is an ownership marker: ExternalDNS's registry, another prefix's",
        {
            "internal": [
                *NS0,
                rec("k8s.a-forge", "TXT", '"heritage=external-dns,external-dns/owner=default"'),
                rec("dns.web", "TXT", '"heritage=nix,managed-by=forge,type=A"'),
                rec("split", "TXT", '"HERITAGE=" "external-dns,x"'),
                rec("note", "TXT", '"a heritage=nix note"'),
            ]
        },
        [
            E("marker-text", "internal", "k8s.a-forge", "TXT", "internal:2", "ExternalDNS"),
            E("marker-text", "internal", "dns.web", "TXT", "internal:3", "never adopts"),
            E("marker-text", "internal", "split", "TXT", "internal:4"),
        ],
    ),
    (
        "a name at a marker name",
        {"internal": [*NS0, rec("nix.ns0", "TXT", '"x"'), rec("nix", "A", "10.0.0.9")]},
        [
            E("marker-collision", "internal", "nix.ns0", "TXT", "internal:2", "ns0.internal."),
            E("marker-collision", "internal", "nix", "A", "internal:3", "internal."),
        ],
    ),
    (
        "forward and reverse agree",
        {"internal": NS0, "10.in-addr.arpa": REV},
        [],
    ),
    (
        "IPv6 forward and reverse agree",
        {
            "internal": [*NS0, rec("v6", "AAAA", "fd00::53")],
            "0.0.d.f.ip6.arpa": [
                rec(V6_PTR, "PTR", "v6.internal."),
            ],
        },
        [],
    ),
    (
        "PTR owners that name no address",
        {
            "internal": NS0,
            "10.in-addr.arpa": [
                *REV,
                rec("0.0", "PTR", "ns0.internal."),
                rec("10.0.0.53", "PTR", "ns0.internal."),
                rec("053.0.0", "PTR", "ns0.internal."),
            ],
            "d.f.ip6.arpa": [rec("1.0", "PTR", "ns0.internal.")],
        },
        [
            E("ptr-owner", "10.in-addr.arpa", "0.0", "PTR", "10.in-addr.arpa:2", "four octets"),
            E("ptr-owner", "10.in-addr.arpa", "10.0.0.53", "PTR", "10.in-addr.arpa:3", "has 5"),
            E("ptr-owner", "10.in-addr.arpa", "053.0.0", "PTR", "10.in-addr.arpa:4", "leading"),
            E("ptr-owner", "d.f.ip6.arpa", "1.0", "PTR", "d.f.ip6.arpa:0", "32 nibbles"),
        ],
    ),
    (
        "RFC 2317 classless names and non-reverse PTRs are left alone",
        {
            "0/25.2.0.192.in-addr.arpa": [rec("1", "PTR", "host.example.")],
            "internal": [*NS0, rec("_http._tcp", "PTR", "web._http._tcp.internal.")],
        },
        [],
    ),
    (
        "PTR to a name with another address, or none",
        {
            "internal": [*NS0, rec("web", "A", "10.0.0.80"), rec("mail", "A", "10.0.0.25")],
            "10.in-addr.arpa": [
                *REV,
                rec("80.0.0", "PTR", "ns0.internal."),
                rec("25.0.0", "PTR", "nothere.internal."),
            ],
        },
        [
            E(
                "ptr-mismatch",
                "10.in-addr.arpa",
                "80.0.0",
                "PTR",
                "10.in-addr.arpa:2",
                "ns0.internal. A 10.0.0.53 (internal:1)",
                "not 10.0.0.80",
            ),
            # nothere.internal. may be another writer's name: a warning.
            W(
                "ptr-mismatch",
                "10.in-addr.arpa",
                "25.0.0",
                "PTR",
                "10.in-addr.arpa:3",
                "no A record",
            ),
        ],
    ),
    (
        "a PTR alone, its target's A written by another system (issue 10)",
        {
            "internal": [rec("@", "TXT", '"v=spf1 -all"')],
            "10.in-addr.arpa": [rec("53.0.0", "PTR", "ns0.internal.")],
        },
        [W("ptr-mismatch", "10.in-addr.arpa", "53.0.0", "PTR", "10.in-addr.arpa:0", "no A")],
    ),
    (
        "a multi-homed router: the PTR for its second address is an error",
        {
            "internal": [*NS0, rec("routy", "A", "10.0.0.1")],
            "10.in-addr.arpa": [
                *REV,
                rec("1.0.0", "PTR", "routy.internal."),
                rec("1.0.1", "PTR", "routy.internal."),
            ],
        },
        [E("ptr-mismatch", "10.in-addr.arpa", "1.0.1", "PTR", "10.in-addr.arpa:3", "not 10.1.0.1")],
    ),
    (
        "an IPv4 PTR to a name with only AAAA: a warning (its A may be DHCP's)",
        {
            "internal": [*NS0, rec("v6only", "AAAA", "fd00::1")],
            "10.in-addr.arpa": [*REV, rec("7.0.0", "PTR", "v6only.internal.")],
        },
        [W("ptr-mismatch", "10.in-addr.arpa", "7.0.0", "PTR", "10.in-addr.arpa:2", "no A")],
    ),
    (
        "RFC 2317: the PTR reached through a CNAME into a child zone",
        {
            "internal": [*NS0, rec("web", "A", "10.0.0.80"), rec("mail", "A", "10.0.0.25")],
            "10.in-addr.arpa": [
                *REV,
                rec("80.0.0", "CNAME", "80.0/26.0.0.10.in-addr.arpa."),
                rec("25.0.0", "CNAME", "25.0/26.0.0.10.in-addr.arpa."),
            ],
            "0/26.0.0.10.in-addr.arpa": [
                rec("@", "NS", "ns0.internal."),
                rec("80", "PTR", "web.internal."),
                rec("25", "PTR", "web.internal."),
            ],
        },
        # 10.0.0.80 is fine through its CNAME; 10.0.0.25's PTR names the wrong host.
        [
            E(
                "ptr-mismatch",
                "0/26.0.0.10.in-addr.arpa",
                "25",
                "PTR",
                "0/26.0.0.10.in-addr.arpa:2",
                "the PTR for 10.0.0.25 points to web.internal.",
            )
        ],
    ),
    (
        "RFC 2317: a CNAME into a child zone served elsewhere, or a delegation",
        {
            "internal": [
                *NS0,
                rec("web", "A", "10.0.0.80"),
                rec("lab", "A", "10.0.9.1"),
                rec("lost", "A", "10.0.0.81"),
            ],
            "10.in-addr.arpa": [
                *REV,
                rec("0/26.0.0", "NS", "ns.isp.example."),
                rec("80.0.0", "CNAME", "80.0/26.0.0.10.in-addr.arpa."),
                rec("9.0", "NS", "ns.lab.example."),
                rec("81.0.0", "CNAME", "81.nowhere.0.0.10.in-addr.arpa."),
            ],
        },
        # The CNAME for 10.0.0.81 leads to a name of these documents with no PTR.
        [W("ptr-missing", "internal", "lost", "A", "internal:4", "10.0.0.81")],
    ),
    (
        "RFC 2317 in a forward-only document: no ptr-missing under --strict",
        {
            "internal": [*NS0, rec("web", "A", "10.0.0.80")],
            "10.in-addr.arpa": [
                *REV,
                rec("0/26.0.0", "NS", "ns.isp.example."),
                rec("80.0.0", "CNAME", "80.0/26.0.0.10.in-addr.arpa."),
            ],
        },
        [],
    ),
    (
        "PTR to an outside name is not checked",
        {"internal": NS0, "10.in-addr.arpa": [*REV, rec("1.0.0", "PTR", "gw.example.")]},
        [],
    ),
    (
        "address in a reverse zone without PTR",
        {"internal": [*NS0, rec("routy", "A", "10.0.0.1")], "10.in-addr.arpa": REV},
        [W("ptr-missing", "internal", "routy", "A", "internal:2", "10.0.0.1", "10.in-addr.arpa")],
    ),
    (
        "address outside the reverse zones needs no PTR",
        {"internal": [*NS0, rec("ext", "A", "192.0.2.1")], "10.in-addr.arpa": REV},
        [],
    ),
    (
        "two PTRs for one address",
        {
            "internal": [*NS0, rec("dns", "A", "10.0.0.53")],
            "10.in-addr.arpa": [*REV, rec("53.0.0", "PTR", "dns.internal.")],
        },
        [
            W(
                "ptr-duplicate",
                "10.in-addr.arpa",
                "53.0.0",
                "PTR",
                "10.in-addr.arpa:1",
                "10.in-addr.arpa:2",
            )
        ],
    ),
    (
        "MX, SRV and CAA done right",
        {
            "internal": [
                *NS0,
                rec("@", "MX", "10 ns0"),
                rec("nomail", "MX", "0 ."),
                rec("_sip._tcp", "SRV", "0 5 5060 ns0.internal."),
                rec("_x._udp", "SRV", "0 0 0 ."),
                rec("@", "CAA", '0 issue "letsencrypt.org; validationmethods=dns-01"'),
                rec("@", "CAA", '0 issuewild ";"'),
                rec("@", "CAA", '0 iodef "mailto:sec@example.org"'),
            ]
        },
        [],
    ),
    (
        "null MX mixed with real ones, or with a preference",
        {
            "internal": [
                *NS0,
                rec("@", "MX", "0 ."),
                rec("@", "MX", "10 ns0"),
                rec("other", "MX", "10 ."),
            ]
        },
        [
            E("null-mx", "internal", "@", "MX", "internal:2", "RFC 7505", "internal:3"),
            W("null-mx", "internal", "other", "MX", "internal:4", "preference 10"),
        ],
    ),
    (
        "SRV owner and '.' target mixed with real targets",
        {
            "internal": [
                *NS0,
                rec("sip", "SRV", "0 5 5060 ns0"),
                rec("_sip._udp", "SRV", "0 0 0 ."),
                rec("_sip._udp", "SRV", "0 5 5060 ns0"),
            ]
        },
        [
            W("srv-owner", "internal", "sip", "SRV", "internal:2", "_service._proto"),
            W("srv-null-target", "internal", "_sip._udp", "SRV", "internal:3", "internal:4"),
        ],
    ),
    (
        "root as a host",
        {"internal": [*NS0, rec("x", "CNAME", ".")]},
        [E("root-target", "internal", "x", "CNAME", "internal:2", "root")],
    ),
    (
        "CAA values CAs cannot read",
        {
            "internal": [
                *NS0,
                rec("@", "CAA", '0 issue "https://letsencrypt.org"'),
                rec("@", "CAA", '0 issue "letsencrypt.org."'),
                rec("@", "CAA", '0 iodef "sec@example.org"'),
                rec("@", "CAA", '128 issuer "letsencrypt.org"'),
            ]
        },
        [
            E("caa-value", "internal", "@", "CAA", "internal:2", "RFC 8659"),
            E("caa-value", "internal", "@", "CAA", "internal:3", "letsencrypt.org."),
            E("caa-value", "internal", "@", "CAA", "internal:4", "iodef"),
            W("caa-unknown-tag", "internal", "@", "CAA", "internal:5", "critical"),
        ],
    ),
]


@pytest.mark.parametrize(("zones", "expected"), [pytest.param(z, e, id=i) for i, z, e in CASES])
def test_rules(zones: Zones, expected: list[Expect]) -> None:
    assert_problems(check(document(zones)), expected)


def _two(a: Zones, b: Zones, b_id: str = "forge") -> tuple[dict[str, Any], dict[str, Any]]:
    return document(a), document(b, managed_by=b_id)


def test_two_owners_sharing_a_zone_is_fine() -> None:
    a, b = _two({"internal": NS0}, {"internal": [rec("forge", "A", "10.0.0.7")]})
    assert check(a, b).problems == ()


def test_owner_collision_names_both_owners_and_sources() -> None:
    a, b = _two({"internal": NS0}, {"internal": [rec("ns0", "A", "10.0.0.99")]})
    report = check(a, b)
    found = {(p.location.document, p.rule): p for p in report.problems}
    assert set(found) == {("doc0.json", "owner-collision"), ("doc1.json", "owner-collision")}
    mine = found[("doc0.json", "owner-collision")]
    assert mine.severity is Severity.ERROR
    assert mine.location.source == "internal:1"
    for word in ("'routy'", "'forge'", "doc1.json", "internal:0", "ns0 A 10.0.0.99"):
        assert word in mine.message
    assert "doc0.json: internal: ns0 A (internal:1)" in mine.to_text(show_document=True)


def test_owner_cname_collision() -> None:
    a, b = _two(
        {"internal": [*NS0, rec("forge", "CNAME", "ns0")]},
        {"internal": [rec("forge", "A", "10.0.0.7")]},
    )
    report = check(a, b)
    assert [(p.rule, p.location.document, p.location.source) for p in report.problems] == [
        ("owner-cname-collision", "doc0.json", "internal:2")
    ]
    message = report.problems[0].message
    assert "'forge' (doc1.json)" in message
    assert "internal:0" in message


def test_same_managed_by_twice() -> None:
    a, b = _two({"internal": NS0}, {"internal": [rec("forge", "A", "10.0.0.7")]}, "routy")
    report = check(a, b)
    rules = sorted((p.rule, p.location.document) for p in report.problems)
    assert rules == [("owner-duplicate", "doc0.json"), ("owner-duplicate", "doc1.json")]
    assert "doc1.json" in report.problems[0].message
    assert report.problems[0].to_text().startswith("error[owner-duplicate] doc0.json: ")


def test_marker_collision_with_another_owners_prefix() -> None:
    a = document({"internal": [*NS0, rec("k.web", "A", "10.0.0.8")]})
    b = document({"internal": [rec("forge", "A", "10.0.0.7")]}, managed_by="forge", prefix="k")
    report = check(a, b)
    assert [(p.rule, p.location.name) for p in report.problems] == [("marker-collision", "k.web")]
    assert "'forge'" in report.problems[0].message
