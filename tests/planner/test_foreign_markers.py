"""Foreign markers and claims in the planner (pure): a TXT RRset holding a
``heritage=`` text is never adopted, taken over, rewritten or deleted; our
marker is never added where it would change a foreign TXT RRset; every
change pins the claim state as read (no DHCID, no registry TXT)."""

from __future__ import annotations

from collections.abc import Sequence

import dns.name
import dns.rdatatype
import pytest

from agent.external_dns import Layout
from agent.plan import Action, ConflictKind, ZonePlan
from agent.planner import plan_zone
from checker.check import check_documents
from checker.model import Record
from tests.planner.test_planner import OWNER, ZONE, desired, doc
from tests.planner.zonetext import snapshot

TXT = dns.rdatatype.TXT
A = dns.rdatatype.A
K8S = (Layout.of("k8s."),)
REGISTRY = 'k8s.a-forge 300 TXT "heritage=external-dns,external-dns/owner=default"\n'
FORGE = "forge 300 A 10.1.0.5\n" + REGISTRY
# --txt-encrypt: base64 of nonce + sealed box, claiming forge (which holds data)
ENCRYPTED = "forge 300 A 10.1.0.5\nk8s.a-forge 300 TXT " + '"' + "QUJD" * 20 + '"\n'
OTHER_PREFIX = 'web 300 A 10.0.0.8\ndns.web 300 TXT "heritage=nix,managed-by=forge,type=A"\n'


def n(text: str) -> dns.name.Name:
    return dns.name.from_text(text)


def unchecked(*records: tuple[str, str, str]) -> list[Record]:
    """Records as the checker reads them, even where it reports `marker-text`
    (the planner must hold on its own)."""
    report = check_documents(
        [("t.json", doc([{"name": r, "type": t, "data": d} for r, t, d in records]))]
    )
    assert {p.rule for p in report.problems} <= {"marker-text"}
    return list(report.desireds[0].records)


def plan(
    zone_text: str,
    records: Sequence[Record],
    take_over: set[tuple[dns.name.Name, dns.rdatatype.RdataType]] | None = None,
    layouts: tuple[Layout, ...] = K8S,
) -> ZonePlan:
    return plan_zone(
        ZONE,
        records,
        snapshot("internal.", zone_text),
        OWNER,
        300,
        layouts=layouts,
        take_over=take_over or set(),
    )


@pytest.mark.parametrize(
    ("zone_text", "name", "data", "says"),
    [
        (FORGE, "k8s.a-forge", '"mine"', "ExternalDNS's registry record"),
        (FORGE, "k8s.a-forge", '"heritage=external-dns,external-dns/owner=default"', "ExternalDNS"),
        (OTHER_PREFIX, "dns.web", '"mine"', "ownership marker of this tool"),
        (OTHER_PREFIX, "dns.web", '"heritage=nix,managed-by=forge,type=A"', "this tool"),
        ('odd 300 TXT "Heritage=foo" "bar"\n', "odd", '"mine"', "heritage="),
        (ENCRYPTED, "k8s.a-forge", '"mine"', "encrypted"),
    ],
)
def test_a_declared_marker_is_never_taken_over_or_adopted(
    zone_text: str, name: str, data: str, says: str
) -> None:
    key = (n(f"{name}.internal."), TXT)
    p = plan(zone_text, unchecked((name, "TXT", data)), {key})
    assert p.changes == ()
    [conflict] = p.conflicts
    assert conflict.kind is ConflictKind.MARKER
    assert says in conflict.detail
    assert "take-over refused" in conflict.detail


def test_a_registry_record_we_marked_before_is_released_never_deleted() -> None:
    # adopted by an older version: our marker on ExternalDNS's registry TXT
    ours = 'nix.k8s.a-forge 300 TXT "heritage=nix,managed-by=routy,type=TXT"\n'
    p = plan(FORGE + ours, [])
    [change] = p.changes
    assert change.action is Action.DELETE
    assert change.release_only
    assert any("never rewritten or deleted" in w for w in p.warnings)
    # still declared with other data: a conflict, never rewritten
    p = plan(FORGE + ours, unchecked(("k8s.a-forge", "TXT", '"mine"')))
    assert p.changes == ()
    assert [c.kind for c in p.conflicts] == [ConflictKind.MARKER]


NOTE = 'nix.printer {ttl} TXT "printer note"\n'


@pytest.mark.parametrize(
    ("zone_text", "take_over"),
    [
        ("printer 3600 A 10.0.0.9\n" + NOTE.format(ttl=3600), True),  # t11 #9
        ("printer 300 A 10.0.0.10\n" + NOTE.format(ttl=3600), False),  # adopt
        (NOTE.format(ttl=600), False),  # add
        # a co-owner's marker with another TTL is theirs too
        ('nix.printer 600 TXT "heritage=nix,managed-by=other,type=AAAA"\n', False),
        # a foreign heritage text at our marker name, even with our TTL
        ('nix.printer 300 TXT "heritage=someone-else,v=1"\n', False),
    ],
)
def test_our_marker_is_never_added_where_it_would_change_a_foreign_txt(
    zone_text: str, take_over: bool
) -> None:
    key = (n("printer.internal."), A)
    p = plan(zone_text, desired(("printer", "A", "10.0.0.10")), {key} if take_over else set())
    assert p.changes == ()
    [conflict] = p.conflicts
    assert conflict.kind is ConflictKind.MARKER_OCCUPIED
    assert "nix.printer.internal." in conflict.detail


@pytest.mark.parametrize(
    "marker_rrset",
    [
        NOTE.format(ttl=300),  # a hand-made TXT with our TTL: no clash
        'nix.printer 300 TXT "heritage=nix,managed-by=other,type=AAAA"\n',  # co-owner
    ],
)
def test_our_marker_joins_a_foreign_txt_whose_ttl_agrees(marker_rrset: str) -> None:
    key = (n("printer.internal."), A)
    p = plan(
        "printer 3600 A 10.0.0.9\n" + marker_rrset, desired(("printer", "A", "10.0.0.10")), {key}
    )
    assert p.conflicts == ()
    [change] = p.changes
    assert change.action is Action.TAKE_OVER
    assert change.add_marker
    assert not change.remove_marker


def _pins(p: ZonePlan, name: str) -> set[tuple[str, str, bool]]:
    return {
        (dns.name.Name(pin).to_text(), dns.rdatatype.to_text(rdtype), as_read is not None)
        for change in p.changes
        if change.name == n(name)
        for pin, rdtype, as_read in change.claims_as_read
    }


def test_every_change_pins_the_claim_state_as_read() -> None:
    zone_text = (
        "h5 300 A 10.9.9.5\n"  # taken over
        'k8s.h5 300 TXT "a note at a registry name"\n'  # read: present, pinned as read
        "old 300 A 10.0.0.9\n"
        'nix.old 300 TXT "heritage=nix,managed-by=routy,type=A"\n'
    )
    p = plan(
        zone_text,
        desired(("h5", "A", "10.0.0.5"), ("new2", "A", "10.0.0.52")),
        {(n("h5.internal."), A)},
        layouts=(Layout.of("k8s."), Layout.of(suffix="-edns")),
    )
    assert {c.action for c in p.changes} == {Action.TAKE_OVER, Action.ADD, Action.DELETE}
    for name in ("h5", "new2", "old"):
        pins = _pins(p, f"{name}.internal.")
        if name == "new2":  # held nothing as read: "name is not in use" covers the DHCID
            assert (f"{name}.internal.", "ANY", False) in pins
            assert ("nix.new2.internal.", "ANY", False) in pins  # the marker name too
        else:
            assert (f"{name}.internal.", "DHCID", False) in pins
        for registry in (f"k8s.{name}", f"k8s.a-{name}", f"k8s.aaaa-{name}", f"a-{name}-edns"):
            present = registry == "k8s.h5"
            assert (f"{registry}.internal.", "TXT", present) in pins, (name, registry)
    # a release (the records stay another writer's) pins nothing
    released = plan(FORGE + 'nix.forge 300 TXT "heritage=nix,managed-by=routy,type=A"\n', [])
    [change] = released.changes
    assert change.release_only
    assert change.claims_as_read == ()
