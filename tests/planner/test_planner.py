"""The planner and ownership analysis, as tables and properties (pure, no server)."""

from __future__ import annotations

import dns.name
import dns.rdatatype
import dns.rrset
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from agent.ownership import Category, analyse, classify, marker_name
from agent.plan import Action, Change, ConflictKind, ZonePlan
from agent.planner import plan_zone
from agent.zone_reader import ZoneSnapshot
from checker.check import check_documents
from checker.document import DocumentJSON, RecordJSON
from checker.model import Owner, Record
from tests.planner.zonetext import snapshot

ZONE = dns.name.from_text("internal.")
OWNER = Owner("nix", "routy")
RRsetKey = tuple[dns.name.Name, dns.rdatatype.RdataType]


def doc(records: list[RecordJSON], zone: str = "internal") -> DocumentJSON:
    return {
        "version": 1,
        "owner": {"prefix": "nix", "managedBy": "routy"},
        "defaults": {"ttl": 300},
        "zones": {zone: {"records": records}},
    }


def desired(*records: tuple[str, str, str] | tuple[str, str, str, int]) -> list[Record]:
    rows: list[RecordJSON] = []
    for rec in records:
        row: RecordJSON = {"name": rec[0], "type": rec[1], "data": rec[2]}
        if len(rec) == 4:
            row["ttl"] = rec[3]
        rows.append(row)
    report = check_documents([("t.json", doc(rows))])
    assert report.ok, [p.to_text() for p in report.problems]
    return list(report.desireds[0].records)


def plan(zone_text: str, *records: tuple[str, str, str] | tuple[str, str, str, int]) -> ZonePlan:
    return plan_zone(ZONE, desired(*records), snapshot("internal.", zone_text), OWNER, 300)


def summary(p: ZonePlan) -> list[tuple[str, str, str]]:
    rows = [(str(c.action), c.name.to_text(), dns.rdatatype.to_text(c.rdtype)) for c in p.changes]
    rows += [("!" + c.kind, c.name.to_text(), dns.rdatatype.to_text(c.rdtype)) for c in p.conflicts]
    return rows


MARK_A = 'nix.ns0 300 TXT "heritage=nix,managed-by=routy,type=A"\n'
DHCP_LAPTOP = (
    "laptop 300 A 10.0.0.42\nlaptop 300 DHCID AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=\n"
)
EXT_FORGE = (
    'forge 300 A 10.1.0.5\nk8s.forge 300 TXT "heritage=external-dns,external-dns/owner=default"\n'
)


@pytest.mark.parametrize(
    ("zone_text", "records", "expected"),
    [
        pytest.param("", [("ns0", "A", "10.0.0.53")], [("add", "ns0.internal.", "A")], id="create"),
        pytest.param(
            "ns0 300 A 10.0.0.53\n" + MARK_A,
            [("ns0", "A", "10.0.0.53")],
            [],
            id="in-sync",
        ),
        pytest.param(
            "ns0 300 A 10.0.0.53\n",
            [("ns0", "A", "10.0.0.53")],
            [("adopt", "ns0.internal.", "A")],
            id="adopt",
        ),
        pytest.param(
            "ns0 300 A 10.0.0.53\n" + MARK_A,
            [("ns0", "A", "10.0.0.54")],
            [("update", "ns0.internal.", "A")],
            id="modify",
        ),
        pytest.param(
            "ns0 300 A 10.0.0.53\n" + MARK_A,
            [("ns0", "A", "10.0.0.53", 600)],
            [("update", "ns0.internal.", "A")],
            id="ttl-only",
        ),
        pytest.param(
            "ns0 300 A 10.0.0.53\n" + MARK_A, [], [("delete", "ns0.internal.", "A")], id="remove"
        ),
        pytest.param(MARK_A, [], [("delete", "ns0.internal.", "A")], id="orphan-marker-cleanup"),
        pytest.param(
            MARK_A, [("ns0", "A", "10.0.0.53")], [("add", "ns0.internal.", "A")], id="repair"
        ),
        pytest.param(
            DHCP_LAPTOP,
            [("laptop", "A", "10.0.0.42")],
            [("!dhcp", "laptop.internal.", "A")],
            id="dhcp",
        ),
        pytest.param(
            EXT_FORGE,
            [("forge", "A", "10.1.0.5")],
            [("!external-dns", "forge.internal.", "A")],
            id="external-dns-old-format",
        ),
        pytest.param(
            'k8s.a-forge 300 TXT "heritage=external-dns,external-dns/owner=default"\n',
            [("forge", "CNAME", "ns0.internal.")],
            [("!external-dns", "forge.internal.", "CNAME")],
            id="external-dns-new-format-name-still-free",
        ),
        pytest.param(
            "forge 300 A 10.1.0.5\n"
            'k8s.a-forge 300 TXT "nm9YtDmsgE5KsZ1Dg+in5fSYnm9YtDmsgE5KsZ1Dg+in5fSYn'
            'm9YtDmsgE5KsZ1DERERERERERERERER"\n',
            [("forge", "A", "10.1.0.5")],
            [("!external-dns", "forge.internal.", "A")],
            id="external-dns-encrypted",
        ),
        pytest.param(
            'auth 300 A 10.1.0.9\nnix.auth 300 TXT "heritage=nix,managed-by=mysecrets,type=A"\n',
            [("auth", "A", "10.1.0.9")],
            [("!other-owner", "auth.internal.", "A")],
            id="other-owner",
        ),
        pytest.param(
            'auth 300 A 10.1.0.9\nsec.auth 300 TXT "heritage=nix,managed-by=mysecrets,type=A"\n',
            [("auth", "A", "10.1.0.9")],
            [("!other-owner", "auth.internal.", "A")],
            id="other-owner-with-its-own-prefix-is-never-adopted",
        ),
        pytest.param(
            'ns0 300 A 10.0.0.53\ndns.ns0 300 TXT "heritage=nix,managed-by=routy,type=A"\n',
            [("ns0", "A", "10.0.0.53")],
            [("!other-owner", "ns0.internal.", "A")],
            id="our-id-under-an-old-prefix-is-not-ours",
        ),
        pytest.param(
            "routy 300 A 10.0.0.2\n",
            [("routy", "A", "10.0.0.1")],
            [("!differs", "routy.internal.", "A")],
            id="differs",
        ),
        pytest.param(
            "dns 300 A 10.0.0.9\n",
            [("dns", "CNAME", "ns0.internal.")],
            [("!cname-clash", "dns.internal.", "CNAME")],
            id="cname-over-foreign-data",
        ),
        pytest.param(
            "www 300 CNAME forge.internal.\n",
            [("www", "TXT", '"hello"')],
            [("!cname-clash", "www.internal.", "TXT")],
            id="data-beside-foreign-cname",
        ),
        pytest.param(
            'dns 300 A 10.0.0.9\nnix.dns 300 TXT "heritage=nix,managed-by=routy,type=A"\n',
            [("dns", "CNAME", "ns0.internal.")],
            [("delete", "dns.internal.", "A"), ("add", "dns.internal.", "CNAME")],
            id="own-a-becomes-cname",
        ),
        pytest.param(
            "@ 300 NS ns0.internal.\n",
            [("@", "NS", "ns0.internal.")],
            [("adopt", "internal.", "NS")],
            id="adopt-apex-ns",
        ),
    ],
)
def test_plan_table(
    zone_text: str,
    records: list[tuple[str, str, str] | tuple[str, str, str, int]],
    expected: list[tuple[str, str, str]],
) -> None:
    assert summary(plan(zone_text, *records)) == expected


MARK_LAPTOP = 'nix.laptop 300 TXT "heritage=nix,managed-by=routy,type=A"\n'


def test_a_name_dhcp_took_over_is_never_rewritten() -> None:
    # Kea without conflict resolution overwrote our record; our marker is stale.
    p = plan(DHCP_LAPTOP + MARK_LAPTOP, ("laptop", "A", "10.0.0.5"))
    assert summary(p) == [("!dhcp", "laptop.internal.", "A")]


def test_a_name_dhcp_took_over_is_released_not_deleted() -> None:
    p = plan(DHCP_LAPTOP + MARK_LAPTOP)
    (change,) = p.changes
    assert change.action is Action.DELETE
    assert change.release_only
    assert any("left to that writer" in w for w in p.warnings)


def test_an_rrset_two_owners_mark_is_left_alone() -> None:
    both = MARK_A + 'nix.ns0 300 TXT "heritage=nix,managed-by=mysecrets,type=A"\n'
    p = plan("ns0 300 A 10.0.0.53\n" + both, ("ns0", "A", "10.0.0.54"))
    assert summary(p) == [("!other-owner", "ns0.internal.", "A")]
    released = plan("ns0 300 A 10.0.0.53\n" + both)
    assert [c.release_only for c in released.changes] == [True]


def test_no_adopt_turns_adoption_into_a_conflict() -> None:
    p = plan_zone(
        ZONE,
        desired(("ns0", "A", "10.0.0.53")),
        snapshot("internal.", "ns0 300 A 10.0.0.53\n"),
        OWNER,
        300,
        adopt=False,
    )
    assert summary(p) == [("!not-adopted", "ns0.internal.", "A")]


def test_releasing_apex_ns_keeps_the_records() -> None:
    p = plan('@ 300 NS ns0.internal.\nnix 300 TXT "heritage=nix,managed-by=routy,type=NS"\n')
    (change,) = p.changes
    assert change.release_only
    assert change.action is Action.DELETE
    assert p.warnings


def test_apex_ns_ttl_is_not_changed_and_warned() -> None:
    p = plan(
        '@ 300 NS ns0.internal.\nnix 300 TXT "heritage=nix,managed-by=routy,type=NS"\n',
        ("@", "NS", "ns0.internal.", 600),
    )
    assert p.changes == ()
    assert any("apex NS TTL" in w for w in p.warnings)


def test_adopt_with_other_ttl_fixes_the_ttl() -> None:
    p = plan("ns0 60 A 10.0.0.53\n", ("ns0", "A", "10.0.0.53"))
    (change,) = p.changes
    assert change.action is Action.ADOPT
    assert change.replaces_whole_rrset
    assert change.desired is not None
    assert change.desired.ttl == 300


def test_changes_carry_the_rrsets_as_read_for_prerequisites() -> None:
    p = plan(
        'ns0 300 A 10.0.0.53\nnix.ns0 300 TXT "heritage=nix,managed-by=routy,type=A"\n'
        'nix.ns0 300 TXT "heritage=nix,managed-by=routy,type=AAAA"\n',
        ("ns0", "A", "10.0.0.54"),
    )
    change = next(c for c in p.changes if c.rdtype == dns.rdatatype.A)
    assert change.current is not None
    assert {rd.to_text() for rd in change.current} == {"10.0.0.53"}
    assert change.marker_current is not None
    assert len(change.marker_current) == 2


def test_markers_of_the_legacy_seed_format_are_left_alone() -> None:
    # The seed's early markers had no type: not ours (contract §3), never deleted.
    p = plan('ns0 300 A 10.0.0.53\nnix.ns0 300 TXT "heritage=nix,managed-by=routy"\n')
    assert p.changes == ()


def test_classify_sorts_every_rrset() -> None:
    snap = snapshot(
        "internal.",
        "@ 300 NS ns0.internal.\n"
        "ns0 300 A 10.0.0.53\n" + MARK_A + "laptop 300 A 10.0.0.42\n"
        "laptop 300 DHCID AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=\n"
        "forge 300 A 10.1.0.5\n"
        'k8s.a-forge 300 TXT "heritage=external-dns,external-dns/owner=default"\n'
        'auth 300 A 10.1.0.9\nnix.auth 300 TXT "heritage=nix,managed-by=mysecrets,type=A"\n'
        "printer 300 A 10.0.0.15\n",
    )
    got = {
        (c.rrset.name.to_text(), dns.rdatatype.to_text(c.rrset.rdtype)): c.category
        for c in classify(snap, OWNER)
    }
    assert got == {
        ("internal.", "SOA"): Category.SERVER,
        ("internal.", "NS"): Category.STATIC_CANDIDATE,
        ("ns0.internal.", "A"): Category.OURS,
        ("nix.ns0.internal.", "TXT"): Category.MARKER,
        ("laptop.internal.", "A"): Category.DHCP,
        ("laptop.internal.", "DHCID"): Category.DHCP,
        ("forge.internal.", "A"): Category.EXTERNAL_DNS,
        ("k8s.a-forge.internal.", "TXT"): Category.MARKER,
        ("auth.internal.", "A"): Category.OTHER_OWNER,
        ("nix.auth.internal.", "TXT"): Category.MARKER,
        ("printer.internal.", "A"): Category.STATIC_CANDIDATE,
    }


# --- properties ---------------------------------------------------------------

NAMES = ["a", "b", "c", "www", "mail"]
FOREIGN_KINDS = ["plain", "dhcp", "external-dns", "other-owner", "ours", "cname"]
DHCID = "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA="


@st.composite
def zones(draw: st.DrawFn) -> str:
    lines = []
    for name in draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=5)):
        kind = draw(st.sampled_from(FOREIGN_KINDS))
        octet = draw(st.integers(1, 3))
        ttl = draw(st.sampled_from([60, 300]))
        if kind == "cname":
            lines.append(f"{name} {ttl} CNAME target.example.")
            continue
        lines.append(f"{name} {ttl} A 10.0.0.{octet}")
        if kind == "dhcp":
            lines.append(f"{name} {ttl} DHCID {DHCID}")
        elif kind == "external-dns":
            lines.append(f'k8s.a-{name} 300 TXT "heritage=external-dns,external-dns/owner=default"')
        elif kind == "other-owner":
            lines.append(f'nix.{name} 300 TXT "heritage=nix,managed-by=other,type=A"')
        elif kind == "ours":
            lines.append(f'nix.{name} 300 TXT "heritage=nix,managed-by=routy,type=A"')
    return "\n".join(lines) + "\n"


@st.composite
def wanted(draw: st.DrawFn) -> list[RecordJSON]:
    rows: list[RecordJSON] = []
    for name in draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=5)):
        kind = draw(st.sampled_from(["A", "TXT", "CNAME", "A+TXT"]))
        ttl = draw(st.sampled_from([60, 300]))
        if kind == "CNAME":
            rows.append({"name": name, "type": "CNAME", "data": "target.example.", "ttl": ttl})
            continue
        if "A" in kind.split("+"):
            for octet in draw(st.sets(st.integers(1, 3), min_size=1, max_size=2)):
                rows.append({"name": name, "type": "A", "data": f"10.0.0.{octet}", "ttl": ttl})
        if "TXT" in kind:
            rows.append({"name": name, "type": "TXT", "data": '"x y" "\\"q\\""', "ttl": ttl})
    return rows


def simulate(snap: ZoneSnapshot, changes: tuple[Change, ...]) -> ZoneSnapshot:
    """What the zone holds after the changes, applied as the UPDATEs would."""
    rrsets: dict[RRsetKey, dns.rrset.RRset] = dict(snap.rrsets)

    def marker_edit(change: Change, add: bool) -> None:
        key = (change.marker_name, dns.rdatatype.TXT)
        old = list(rrsets[key]) if key in rrsets else []
        rr = next(iter(change.marker))
        new = [*old, rr] if add and rr not in old else [r for r in old if r != rr or add]
        ttl = rrsets[key].ttl if key in rrsets else change.marker.ttl
        if new:
            rrsets[key] = dns.rrset.from_rdata_list(change.marker_name, ttl, new)
        else:
            rrsets.pop(key, None)

    for change in changes:
        key = (change.name, change.rdtype)
        if not change.release_only:
            if change.desired is None:
                rrsets.pop(key, None)
            else:
                rrsets[key] = change.desired
        if change.add_marker:
            marker_edit(change, add=True)
        if change.remove_marker:
            marker_edit(change, add=False)
    return ZoneSnapshot(snap.origin, snap.serial + 1, rrsets)


def rr_set(snap: ZoneSnapshot) -> set[tuple[dns.name.Name, int, int, str]]:
    return {
        (name, int(rdtype), rrset.ttl, rd.to_text())
        for (name, rdtype), rrset in snap.rrsets.items()
        for rd in rrset
    }


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(zone_text=zones(), rows=wanted())
def test_apply_converges_and_never_touches_foreign_records(
    zone_text: str, rows: list[RecordJSON]
) -> None:
    report = check_documents([("t.json", doc(rows))])
    assume(report.ok)
    records = list(report.desireds[0].records)
    before = snapshot("internal.", zone_text)
    own = analyse(before, OWNER)
    first = plan_zone(ZONE, records, before, OWNER, 300)
    after = simulate(before, first.changes)

    # Every RR that is neither ours nor our marker is still there, unchanged.
    ours_before = {
        (name, int(rdtype), rr.ttl, rd.to_text())
        for (name, rdtype) in own.ours
        if (rr := before.get(name, rdtype)) is not None
        for rd in rr
    }
    # Our markers gain or lose our RR; adopted RRsets become ours (TTL fixed).
    touched = {(c.marker_name, int(dns.rdatatype.TXT)) for c in first.changes} | {
        (c.name, int(c.rdtype)) for c in first.changes if c.action is Action.ADOPT
    }
    foreign = {rr for rr in rr_set(before) - ours_before if (rr[0], rr[1]) not in touched}
    assert foreign <= rr_set(after)

    # Every desired, non-conflicting RRset is present with our marker.
    conflicted = {(c.name, c.rdtype) for c in first.conflicts}
    own_after = analyse(after, OWNER)
    for record in records:
        name = dns.name.from_text(record.owner.to_text())
        rdtype = dns.rdatatype.RdataType.make(str(record.rtype))
        if (name, rdtype) in conflicted:
            continue
        present = after.get(name, rdtype)
        assert present is not None
        assert record.rdata.to_text() in {rd.to_text() for rd in present}
        assert (name, rdtype) in own_after.ours
        assert marker_name("nix", name) in after.names()

    # A second plan changes nothing and reports the same conflicts.
    second = plan_zone(ZONE, records, after, OWNER, 300)
    assert second.changes == ()
    assert {(c.name, c.rdtype, c.kind) for c in second.conflicts} <= {
        (c.name, c.rdtype, c.kind) for c in first.conflicts
    } | {(c.name, c.rdtype, ConflictKind.CNAME_CLASH) for c in first.conflicts}
