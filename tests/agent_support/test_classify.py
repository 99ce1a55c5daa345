"""The migration tool's output: categories, text, JSON and the Nix snippet,
which nix/lib.nix's render turns back into the same records."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from agent.classify import (
    Apart,
    Entry,
    Section,
    classify_snapshot,
    nix_attr,
    nix_string,
    render_classification,
)
from agent.external_dns import Layout
from agent.ownership import Category
from agent.zone_reader import ZoneSnapshot
from tests.agent_support.snapshots import SOA_LINE, snapshot_from_text

REPO = Path(__file__).resolve().parents[2]
LIB = REPO / "nix" / "lib.nix"
NIX_INSTANTIATE = shutil.which("nix-instantiate")
requires_nix = pytest.mark.skipif(
    NIX_INSTANTIATE is None, reason="nix-instantiate not found (Debian package nix-bin)"
)

ENCRYPTED = "ZW5jcnlwdGVkLWV4dGVybmFsLWRucy1tYXJrZXItdmFsdWUtd2l0aC1ub25jZS0xMjM0NTY3OA=="

REALISTIC = "\n".join(
    [
        SOA_LINE.format(serial=2025020401),
        # static, hand-made (knotc zone-set)
        "@ 300 IN NS ns0.internal.",
        "@ 300 IN NS ns1.internal.",
        "@ 3600 IN MX 10 mail.internal.",
        "@ 3600 IN MX 20 mx2.example.com.",
        '@ 300 IN TXT "v=spf1 -all"',
        '@ 300 IN CAA 128 issue "letsencrypt.org"',
        '@ 300 IN CAA 0 iodef "mailto:sec@internal"',
        "ns0 300 IN A 10.0.0.53",
        "ns1 300 IN A 10.1.0.53",
        "ns1 60 IN AAAA fd00:1::53",
        "routy 300 IN A 10.0.0.1",
        "dns 300 IN CNAME ns0.internal.",
        "_sip._tcp 300 IN SRV 0 5 5060 sip.internal.",
        "_sip._tcp 300 IN SRV 10 5 5060 sip2.internal.",
        "_ldap._tcp.dc 600 IN SRV 0 100 389 dc.internal.",
        "plain-srv 300 IN SRV 0 0 1 ns0.internal.",
        'tricky 300 IN TXT "quote \\" back \\\\ dollar ${x} nl"',
        'tricky 300 IN TXT "second RR"',
        'long 300 IN TXT "' + "x" * 255 + '" "tail"',
        "*.apps 300 IN A 10.0.0.80",
        "if 300 IN A 10.0.0.81",
        "sshfp 300 IN SSHFP 1 1 0123456789abcdef0123456789abcdef01234567",
        # DHCP (Kea: A + DHCID at the name)
        "laptop 300 IN A 10.0.0.42",
        "laptop 300 IN DHCID AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=",
        "printer 300 IN A 10.0.0.15",
        "printer 300 IN DHCID AAEBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=",
        # ExternalDNS: current format, old format, encrypted marker
        "forge 300 IN A 10.1.0.5",
        'k8s.a-forge 300 IN TXT "heritage=external-dns,external-dns/owner=default,'
        'external-dns/resource=ingress/forgejo/forge"',
        "argocd 300 IN A 10.1.0.6",
        'k8s.argocd 300 IN TXT "heritage=external-dns,external-dns/owner=default"',
        "secret 300 IN A 10.1.0.7",
        f'k8s.a-secret 300 IN TXT "{ENCRYPTED}"',
        # ours and another owner under our prefix; another prefix
        "mine 300 IN A 10.0.0.7",
        'nix.mine 300 IN TXT "heritage=nix,managed-by=routy,type=A"',
        "theirs 300 IN A 10.0.0.8",
        'nix.theirs 300 IN TXT "heritage=nix,managed-by=mysecrets,type=A"',
        "auth 300 IN A 10.0.0.9",
        'nix-mysecrets.auth 300 IN TXT "heritage=nix,managed-by=mysecrets,type=A"',
        'nix.gone 300 IN TXT "heritage=nix,managed-by=routy,type=A"',
    ]
)

# RRsets (name relative, type) expected per category when no managed-by is given
EXPECTED: dict[Category, set[tuple[str, str]]] = {
    Category.SERVER: {("@", "SOA")},
    Category.OURS: {
        ("mine", "A"),
        ("nix.mine", "TXT"),
        ("theirs", "A"),
        ("nix.theirs", "TXT"),
        ("nix.gone", "TXT"),
    },
    Category.OTHER_OWNER: {("auth", "A"), ("nix-mysecrets.auth", "TXT")},
    Category.EXTERNAL_DNS: {
        ("forge", "A"),
        ("k8s.a-forge", "TXT"),
        ("argocd", "A"),
        ("k8s.argocd", "TXT"),
        ("secret", "A"),
        ("k8s.a-secret", "TXT"),
        # the legacy marker k8s.argocd fits no configured layout and could
        # stand for the apex (a prefix "k8s.argocd."): every type ExternalDNS writes
        ("@", "NS"),
        ("@", "MX"),
        ("@", "TXT"),
    },
    Category.DHCP: {
        ("laptop", "A"),
        ("laptop", "DHCID"),
        ("printer", "A"),
        ("printer", "DHCID"),
    },
}
STATIC = {
    ("@", "CAA"),
    ("ns0", "A"),
    ("ns1", "A"),
    ("ns1", "AAAA"),
    ("routy", "A"),
    ("dns", "CNAME"),
    ("_sip._tcp", "SRV"),
    ("_ldap._tcp.dc", "SRV"),
    ("plain-srv", "SRV"),
    ("tricky", "TXT"),
    ("long", "TXT"),
    ("*.apps", "A"),
    ("if", "A"),
    ("sshfp", "SSHFP"),
}
ORIGIN = dns.name.from_text("internal.")


@pytest.fixture
def snapshot() -> ZoneSnapshot:
    return snapshot_from_text(REALISTIC, "internal.")


def relative(entry: Entry) -> tuple[str, str]:
    name = entry.name.relativize(ORIGIN).to_text()
    return name, dns.rdatatype.to_text(entry.rdtype)


def by_category(entries: list[Entry]) -> dict[Section, set[tuple[str, str]]]:
    out: dict[Section, set[tuple[str, str]]] = {}
    for entry in entries:
        out.setdefault(entry.category, set()).add(relative(entry))
    return out


def test_every_rrset_lands_in_its_category(snapshot: ZoneSnapshot) -> None:
    entries = classify_snapshot(snapshot, "nix")
    assert len(entries) == len(snapshot.rrsets)
    assert by_category(entries) == {**EXPECTED, Category.STATIC_CANDIDATE: STATIC}
    details = {relative(e): e.detail for e in entries}
    assert "managed-by=mysecrets" in details[("theirs", "A")]
    assert "managed-by=routy" in details[("mine", "A")]
    assert "orphan" in details[("nix.gone", "TXT")]
    assert "encrypted" in details[("k8s.a-secret", "TXT")]
    assert "forge.internal." in details[("k8s.a-forge", "TXT")]
    assert "DHCID" in details[("laptop", "A")]
    assert "prefix 'nix-mysecrets'" in details[("auth", "A")]


def test_with_our_id_other_ids_are_other_owners(snapshot: ZoneSnapshot) -> None:
    cats = by_category(classify_snapshot(snapshot, "nix", managed_by="routy"))
    assert cats[Category.OURS] == {("mine", "A"), ("nix.mine", "TXT"), ("nix.gone", "TXT")}
    assert cats[Category.OTHER_OWNER] == {
        ("theirs", "A"),
        ("nix.theirs", "TXT"),
        ("auth", "A"),
        ("nix-mysecrets.auth", "TXT"),
    }


def test_another_prefix_sees_our_markers_as_other_owners(snapshot: ZoneSnapshot) -> None:
    cats = by_category(classify_snapshot(snapshot, "nix-mysecrets"))
    assert ("auth", "A") in cats[Category.OURS]
    assert {("mine", "A"), ("theirs", "A")} <= cats[Category.OTHER_OWNER]


def test_dnssec_types_are_server_managed() -> None:
    text = (
        SOA_LINE.format(serial=1)
        + "\n"
        + (
            "@ 300 IN DNSKEY 257 3 13 "
            "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n"
            "@ 0 IN CDS 0 0 0 00\n"
        )
    )
    cats = by_category(classify_snapshot(snapshot_from_text(text, "internal."), "nix"))
    assert cats == {Category.SERVER: {("@", "SOA"), ("@", "DNSKEY"), ("@", "CDS")}}


def test_text_has_sections_with_counts(snapshot: ZoneSnapshot) -> None:
    text = render_classification(snapshot, "nix", "text")
    assert text.startswith("zone internal. serial 2025020401: ")
    for category, members in {**EXPECTED, Category.STATIC_CANDIDATE: STATIC}.items():
        assert f": {len(members)} RRsets\n" in text.split(category_title(category))[1][:30]
    assert (
        "summary: 14 static-candidate, 0 marker-name, 4 dhcp, 9 external-dns, 2 other-owner, "
        "5 ours, 1 server" in text
    )
    # every record's data is shown, one line each
    assert "10 mail.internal." in text
    assert "20 mx2.example.com." in text
    assert render_classification(snapshot, "nix", "text") == text  # deterministic


def category_title(category: Category) -> str:
    from agent.classify import SECTION_TITLES

    return SECTION_TITLES[category]


def test_json_lists_every_rrset(snapshot: ZoneSnapshot) -> None:
    rows: list[dict[str, Any]] = json.loads(render_classification(snapshot, "nix", "json"))
    assert len(rows) == len(snapshot.rrsets)
    assert all(set(row) == {"name", "type", "ttl", "data", "category", "detail"} for row in rows)
    mx = next(r for r in rows if r["type"] == "MX")
    assert mx == {
        "name": "internal.",
        "type": "MX",
        "ttl": 3600,
        "data": ["10 mail.internal.", "20 mx2.example.com."],
        "category": "external-dns",
        "detail": "claimed by marker k8s.argocd.internal., which fits no configured "
        "ExternalDNS layout and could stand for the zone apex MX (an ExternalDNS prefix "
        "ending in a dot); configure externalDns.layouts",
    }
    dhcid = next(r for r in rows if r["type"] == "DHCID" and r["name"] == "laptop.internal.")
    assert dhcid["category"] == "dhcp"
    assert {r["category"] for r in rows} == {c.value for c in EXPECTED} | {"static-candidate"}


def test_unknown_format_is_rejected(snapshot: ZoneSnapshot) -> None:
    with pytest.raises(ValueError, match="unknown format"):
        render_classification(snapshot, "nix", "yaml")  # type: ignore[arg-type]


def test_nix_escaping() -> None:
    assert nix_string('a"b\\c${d}$e\n') == '"a\\"b\\\\c\\${d}$e\\n"'
    assert nix_attr("ns0") == "ns0"
    assert nix_attr("53.0.0") == '"53.0.0"'
    assert nix_attr("if") == '"if"'
    assert nix_attr("*.apps") == '"*.apps"'


def test_nix_snippet_shape(snapshot: ZoneSnapshot) -> None:
    # with the layout the zone's ExternalDNS runs with, the apex is ours to take
    snippet = render_classification(snapshot, "nix", "nix", layouts=(Layout.of("k8s."),))
    assert 'NS = [ "ns0.internal." "ns1.internal." ];' in snippet
    assert '{ preference = 10; exchange = "mail.internal."; ttl = 3600; }' in snippet
    assert (
        '{ service = "ldap"; proto = "tcp"; priority = 0; weight = 100; port = 389; '
        'target = "dc.internal."; ttl = 600; }'
    ) in snippet
    assert '{ issuerCritical = true; tag = "issue"; value = "letsencrypt.org"; }' in snippet
    assert 'ns0.A = [ "10.0.0.53" ];' in snippet
    assert '{ address = "fd00:1::53"; ttl = 60; }' in snippet
    assert '"quote \\" back \\\\ dollar \\${x} nl"' in snippet
    assert 'plain-srv.SRV = [ "0 0 1 ns0.internal." ];' in snippet
    assert "#   sshfp.internal. 300 SSHFP" in snippet
    # not a static candidate: nothing of it in the snippet
    for foreign in ("laptop", "forge", "argocd", "mine", "theirs", "auth", "k8s", "SOA"):
        body = "\n".join(line for line in snippet.splitlines() if not line.startswith("#"))
        assert foreign not in body, foreign
    assert render_classification(snapshot, "nix", "nix", layouts=(Layout.of("k8s."),)) == snippet


def test_nix_snippet_notes_txt_it_cannot_reproduce() -> None:
    text = "\n".join(
        [
            SOA_LINE.format(serial=1),
            'split 300 IN TXT "a  b" "" "c"',
            'binary 300 IN TXT "\\255\\000"',
        ]
    )
    snippet = render_classification(snapshot_from_text(text, "internal."), "nix", "nix")
    assert "# note: TXT" in snippet
    assert "split into strings differently" in snippet
    assert '"a  bc"' in snippet
    assert "#   binary.internal. 300 TXT" in snippet


def test_reverse_zone_snippet() -> None:
    text = "\n".join(
        [
            SOA_LINE.format(serial=1),
            "@ 300 IN NS ns0.internal.",
            "53.0.0 300 IN PTR ns0.internal.",
            "1.0.0 300 IN PTR routy.internal.",
        ]
    )
    snippet = render_classification(snapshot_from_text(text, "10.in-addr.arpa."), "nix", "nix")
    assert '"53.0.0".PTR = [ "ns0.internal." ];' in snippet
    assert 'zones."10.in-addr.arpa"' in snippet


# -- the migration round trip through nix/lib.nix -------------------------------------


def nix_eval(expression: str) -> Any:
    assert NIX_INSTANTIATE is not None
    result = subprocess.run(
        [NIX_INSTANTIATE, "--eval", "--strict", "--json", "--expr", expression],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def rendered_rrsets(
    document: dict[str, Any], zone: str
) -> dict[tuple[dns.name.Name, dns.rdatatype.RdataType], dns.rrset.RRset]:
    origin = dns.name.from_text(zone)
    default_ttl = document["defaults"]["ttl"]
    out: dict[tuple[dns.name.Name, dns.rdatatype.RdataType], dns.rrset.RRset] = {}
    for record in document["zones"][zone]["records"]:
        name = origin if record["name"] == "@" else dns.name.from_text(record["name"], origin)
        rdtype = dns.rdatatype.from_text(record["type"])
        rdata = dns.rdata.from_text(
            dns.rdataclass.IN, rdtype, record["data"], origin=origin, relativize=False
        )
        rrset = out.setdefault((name, rdtype), dns.rrset.RRset(name, dns.rdataclass.IN, rdtype))
        rrset.add(rdata, record.get("ttl", default_ttl))
    return out


def round_trip(snapshot: ZoneSnapshot, tmp_path: Path) -> None:
    zone = snapshot.origin.to_text(omit_final_dot=True)
    snippet_path = tmp_path / "snippet.nix"
    snippet_path.write_text(render_classification(snapshot, "nix", "nix"))
    # the snippet on its own is a valid Nix value
    nix_eval(f"import {snippet_path}")
    document = nix_eval(
        f'(import {LIB}).render {{ zones = {{ "{zone}" = import {snippet_path}; }}; '
        'managedBy = "x"; }'
    )
    rendered = rendered_rrsets(document, zone)
    expected = {
        (e.name, e.rdtype): e.rrset
        for e in classify_snapshot(snapshot, "nix")
        if e.category == Category.STATIC_CANDIDATE and e.rdtype != dns.rdatatype.SSHFP
    }
    assert set(rendered) == set(expected)
    for key, rrset in expected.items():
        assert rendered[key] == rrset, key
        assert rendered[key].ttl == rrset.ttl, key


@requires_nix
def test_round_trip_through_lib_render(snapshot: ZoneSnapshot, tmp_path: Path) -> None:
    round_trip(snapshot, tmp_path)


@requires_nix
def test_round_trip_reverse_zone_and_odd_names(tmp_path: Path) -> None:
    text = "\n".join(
        [
            SOA_LINE.format(serial=1),
            "@ 300 IN NS ns0.internal.",
            "53.0.0 300 IN PTR ns0.internal.",
            "53.0.1 120 IN PTR ns1.internal.",
            "odd\\032label\\.dot 300 IN PTR weird.internal.",
            'utf8 300 IN TXT "caf\\195\\169 \\"x\\""',
        ]
    )
    round_trip(snapshot_from_text(text, "10.in-addr.arpa."), tmp_path)


@requires_nix
def test_empty_candidates_give_an_empty_zone(tmp_path: Path) -> None:
    snapshot = snapshot_from_text(SOA_LINE.format(serial=1), "internal.")
    assert nix_eval(f"import {write(tmp_path, snapshot)}") == {}


def write(tmp_path: Path, snapshot: ZoneSnapshot) -> Path:
    path = tmp_path / "s.nix"
    path.write_text(render_classification(snapshot, "nix", "nix"))
    return path


def test_unmarked_data_at_a_marker_name_is_listed_apart() -> None:
    """A hand-made record at ``nix.<name>`` can never be declared (the checker
    reports marker-collision) and would be clobbered by our marker: not a
    candidate, listed apart with the reason, in every format."""
    text = "\n".join(
        [
            SOA_LINE.format(serial=1),
            "@ 300 IN NS ns0.internal.",
            "printer 300 IN A 10.0.0.15",
            'nix.printer 3600 IN TXT "printer note"',
            "nix.old 300 IN A 10.0.0.99",
            'nix 300 IN TXT "the apex marker name"',
            'nix.ours 300 IN TXT "heritage=nix,managed-by=routy,type=A"',
            "ours 300 IN A 10.0.0.7",
        ]
    )
    snapshot = snapshot_from_text(text, "internal.")
    cats = by_category(classify_snapshot(snapshot, "nix"))
    assert cats[Apart.MARKER_NAME] == {("nix.printer", "TXT"), ("nix.old", "A"), ("nix", "TXT")}
    assert cats[Category.STATIC_CANDIDATE] == {("@", "NS"), ("printer", "A")}
    assert cats[Category.OURS] == {("ours", "A"), ("nix.ours", "TXT")}
    snippet = render_classification(snapshot, "nix", "nix")
    body = [line for line in snippet.splitlines() if not line.startswith("#")]
    assert not any("nix" in line or "note" in line for line in body), body
    assert '#   nix.printer.internal. 3600 TXT "printer note"' in snippet
    assert "marker-collision" in snippet
    rows = json.loads(render_classification(snapshot, "nix", "json"))
    note = next(r for r in rows if r["name"] == "nix.printer.internal.")
    assert note["category"] == "marker-name"
    assert "rename it" in note["detail"]
    listing = render_classification(snapshot, "nix", "text")
    assert "== at ownership-marker names (not declarable: rename them by hand): 3 RRsets" in (
        listing
    )
    # another prefix: its marker names are its own
    assert ("nix.printer", "TXT") in by_category(classify_snapshot(snapshot, "dns"))[
        Category.STATIC_CANDIDATE
    ]
