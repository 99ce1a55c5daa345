"""classify on a zone read from a real knotd, written by the real other writers:
Kea DHCP-DDNS (A/PTR + DHCID), ExternalDNS-style markers, another owner."""

from __future__ import annotations

import json
from typing import Any

import dns.name
import pytest

from agent.classify import render_classification
from agent.external_dns import DEFAULT_LAYOUTS, Layout
from agent.zone_reader import read_zone
from tests.fixtures.kea import KeaDdns
from tests.fixtures.knot import KnotServer
from tests.fixtures.writers import Writers

pytestmark = pytest.mark.knot


#: The layout the ExternalDNS writer of the fixtures runs with (``--txt-prefix=k8s.``).
K8S = (Layout.of("k8s."),)


def categories(
    knot: KnotServer, zone: str, layouts: tuple[Layout, ...] = K8S
) -> dict[tuple[str, str], str]:
    snapshot = read_zone(knot.server, knot.port, dns.name.from_text(zone), knot.tsig_key)
    rows: list[dict[str, Any]] = json.loads(
        render_classification(snapshot, "nix", "json", layouts=layouts)
    )
    return {(row["name"], row["type"]): row["category"] for row in rows}


@pytest.mark.kea
def test_classify_real_zone(knot: KnotServer, writers: Writers, kea: KeaDdns) -> None:
    kea.add_lease("laptop.internal.", "10.0.0.42")
    writers.external_dns("internal", "forge", data=["10.1.0.5"], marker_format="current")
    writers.external_dns("internal", "argocd", data=["10.1.0.6"], marker_format="old")
    writers.external_dns("internal", "vault", data=["10.1.0.7"], encrypted=True)
    writers.other_owner("internal", "auth", "A", ["10.0.0.9"], managed_by="mysecrets")
    writers.hand_made("internal", ["routy 300 A 10.0.0.1", "dns 300 CNAME ns0.internal."])

    got = categories(knot, "internal")
    assert got[("laptop.internal.", "A")] == "dhcp"
    assert got[("laptop.internal.", "DHCID")] == "dhcp"
    assert got[("forge.internal.", "A")] == "external-dns"
    assert got[("k8s.a-forge.internal.", "TXT")] == "external-dns"
    assert got[("argocd.internal.", "A")] == "external-dns"
    assert got[("k8s.argocd.internal.", "TXT")] == "external-dns"
    assert got[("vault.internal.", "A")] == "external-dns"
    assert got[("auth.internal.", "A")] == "ours"  # our prefix; no id given to classify
    assert got[("nix.auth.internal.", "TXT")] == "ours"
    assert got[("internal.", "SOA")] == "server"
    for static in [
        ("internal.", "NS"),
        ("ns0.internal.", "A"),
        ("routy.internal.", "A"),
        ("dns.internal.", "CNAME"),
    ]:
        assert got[static] == "static-candidate", static
    assert [k for k, v in got.items() if v == "static-candidate"] == [
        ("internal.", "NS"),
        ("dns.internal.", "CNAME"),
        ("ns0.internal.", "A"),
        ("routy.internal.", "A"),
    ]

    # unconfigured, the legacy marker k8s.argocd could stand for the apex
    # (under a prefix "k8s.argocd."): every type ExternalDNS writes stays its
    assert categories(knot, "internal", DEFAULT_LAYOUTS)[("internal.", "NS")] == "external-dns"

    reverse = categories(knot, "10.in-addr.arpa")
    assert reverse[("42.0.0.10.in-addr.arpa.", "PTR")] == "dhcp"
    assert reverse[("42.0.0.10.in-addr.arpa.", "DHCID")] == "dhcp"
    assert reverse[("10.in-addr.arpa.", "NS")] == "static-candidate"


def test_classify_real_zone_nix_snippet(knot: KnotServer, writers: Writers) -> None:
    writers.hand_made(
        "internal",
        [
            "routy 300 A 10.0.0.1",
            '@ 300 TXT "v=spf1 -all"',
            "_sip._tcp 300 SRV 0 5 5060 sip.internal.",
        ],
    )
    writers.external_dns("internal", "forge", data=["10.1.0.5"])
    snapshot = read_zone(knot.server, knot.port, dns.name.from_text("internal"), knot.tsig_key)
    snippet = render_classification(snapshot, "nix", "nix", layouts=K8S)
    assert 'routy.A = [ "10.0.0.1" ];' in snippet
    assert 'TXT = [ "v=spf1 -all" ];' in snippet
    assert 'service = "sip"; proto = "tcp";' in snippet
    assert "forge" not in snippet
