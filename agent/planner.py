"""Plan one zone: desired records + a snapshot -> a ZonePlan. Pure, no I/O.

For every desired RRset the decision is, in order:

1. ours (our marker) -> nothing, or update it (data or TTL) / re-create it
   -- unless DHCP or ExternalDNS has claimed the name since: then a conflict;
2. foreign claims -> conflict: DHCP (DHCID at the name), ExternalDNS (a
   marker claims the name), another owner's marker on this RRset, a CNAME
   that would share a name with foreign data;
3. an unmarked RRset with exactly the desired data -> adopt (add our marker,
   fix the TTL); with adoption off -> conflict; with other data -> conflict,
   unless the user named this RRset for take-over: then replace its data and
   mark it (only here: a name DHCP, ExternalDNS or another owner claims is
   decided in step 2 and can never be taken over);
4. nothing there -> add it with its marker.

Every RRset we own that is no longer desired is deleted with its marker; a
marker whose RRset vanished is cleaned up. The apex NS RRset is never
emptied, and records of a name DHCP or ExternalDNS has taken over are never
deleted: then we only drop our marker (release).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterator, Sequence

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.rrset
from dns.rdtypes.txtbase import TXTBase

from agent.external_dns import DEFAULT_LAYOUTS, Layout, registry_names
from agent.names import NameMap, name_key
from agent.names import text as name_text
from agent.ownership import (
    NIX_MARKER,
    JoinedText,
    Ownership,
    RRsetKeys,
    analyse,
    external_dns_apex_marker,
    external_dns_marker,
    is_external_dns,
    is_heritage,
    layout_hint,
    marker_name,
    marker_text,
    txt_texts,
)
from agent.plan import Action, Change, Conflict, ConflictKind, Pin, ZonePlan
from agent.zone_reader import ZoneSnapshot
from checker.model import Owner, Record

RRsetKey = tuple[dns.name.Name, dns.rdatatype.RdataType]
_IN = dns.rdataclass.IN
_CNAME = dns.rdatatype.CNAME
_NS = dns.rdatatype.NS
_TXT = dns.rdatatype.TXT
_DHCID = dns.rdatatype.DHCID
_ANY = dns.rdatatype.ANY
# Types that may share a name with a CNAME (RFC 4035 §2.5).
_CNAME_COMPANIONS = frozenset(
    {dns.rdatatype.RRSIG, dns.rdatatype.NSEC, dns.rdatatype.NSEC3, dns.rdatatype.DHCID}
)


def to_name(text: str) -> dns.name.Name:
    return dns.name.from_text(text)


DesiredRRsets = dict[RRsetKey, tuple[dns.rrset.RRset, str]]


def canonical_order(name: dns.name.Name) -> tuple[bytes, ...]:
    """A sort key giving DNSSEC canonical name order (RFC 4034 §6.1), as
    `dns.name.Name` comparison does, without its per-comparison cost."""
    return tuple(label.lower() for label in reversed(name.labels))


def _rdata(rdtype: dns.rdatatype.RdataType, text: str) -> dns.rdata.Rdata:
    """RDATA from the checker's presentation text; addresses by their class's
    constructor (which validates them) instead of the zone-file tokenizer."""
    if rdtype == dns.rdatatype.A:
        return dns.rdtypes.IN.A.A(_IN, rdtype, text)  # type: ignore[no-untyped-call]
    if rdtype == dns.rdatatype.AAAA:
        return dns.rdtypes.IN.AAAA.AAAA(_IN, rdtype, text)  # type: ignore[no-untyped-call]
    return dns.rdata.from_text(_IN, rdtype, text)


def desired_rrsets(records: Sequence[Record]) -> DesiredRRsets:
    """Group checked records into dnspython RRsets, each with its first source."""
    grouped: DesiredRRsets = {}
    names: dict[tuple[bytes, ...], dns.name.Name] = {}
    rdtypes: dict[str, dns.rdatatype.RdataType] = {}
    for record in records:
        labels = record.owner.labels
        name = names.get(labels)
        if name is None:
            absolute = labels if labels[-1:] == (b"",) else (*labels, b"")
            name = names[labels] = dns.name.Name(absolute)
        rtype = str(record.rtype)
        rdtype = rdtypes.get(rtype)
        if rdtype is None:
            rdtype = rdtypes[rtype] = dns.rdatatype.RdataType.make(rtype)
        rdata = _rdata(rdtype, record.rdata.to_text())
        key = (name, rdtype)
        # (a `dns.name.Name` hashes by lower-casing every label: looked up once)
        entry = grouped.get(key)
        if entry is None:
            rrset = dns.rrset.RRset(name, _IN, rdtype)
            rrset.update_ttl(record.ttl)
            grouped[key] = (rrset, record.source)
        else:
            rrset = entry[0]
        # `rrset.add(rdata, record.ttl)` less its type checks (the type is the
        # RRset's): it hashes, so encodes, the RDATA twice, this once
        rrset.update_ttl(record.ttl)
        rrset.items[rdata] = None
    return grouped


@functools.cache
def _marker_rdata(managed_by: str, rdtype: int) -> dns.rdata.Rdata:
    """Our marker's TXT RDATA for `rdtype` (the same at every name)."""
    text = marker_text(managed_by, dns.rdatatype.RdataType.make(rdtype))
    return dns.rdata.from_text(_IN, _TXT, f'"{text}"')


@functools.cache
def _marker_template(managed_by: str, rdtype: int, ttl: int) -> dns.rrset.RRset:
    """Our marker RRset for `rdtype` at the root: copied to each marker name."""
    return dns.rrset.from_rdata(dns.name.root, ttl, _marker_rdata(managed_by, rdtype))


def _marker_rr(owner: Owner, mname: dns.name.Name, rdtype: int, ttl: int) -> dns.rrset.RRset:
    """Our marker RRset for an RRset of `rdtype`, at the marker name `mname`."""
    # a copy keeps the RDATA's stored hash: adding it anew would encode it again
    rrset: dns.rrset.RRset = _marker_template(owner.managed_by, rdtype, ttl).copy()  # type: ignore[no-untyped-call]
    rrset.name = mname
    return rrset


def _same_data(a: dns.rrset.RRset, b: dns.rrset.RRset) -> bool:
    """Whether `a` and `b` hold the same RDATA. Comparing RDATA encodes both
    (dnspython compares and hashes their wire forms): an RRset of one record,
    the usual case, is compared once instead of hashed into a set."""
    if len(a) != len(b):
        return False
    if len(a) == 1:
        return bool(next(iter(a)) == next(iter(b)))
    return set(a) == set(b)


def _describe(rrset: dns.rrset.RRset | None) -> str:
    if rrset is None:
        return "nothing"
    return f"{rrset.ttl} " + " | ".join(sorted(rd.to_text() for rd in rrset))


def plan_zone(
    zone: dns.name.Name,
    records: Sequence[Record],
    snapshot: ZoneSnapshot,
    owner: Owner,
    default_ttl: int,
    *,
    adopt: bool = True,
    layouts: Sequence[Layout] = DEFAULT_LAYOUTS,
    take_over: Collection[RRsetKey] = (),
    desired: DesiredRRsets | None = None,
) -> ZonePlan:
    """Compute the changes that bring the zone to the desired records.

    `layouts` are the ExternalDNS registry layouts that write the zone
    (`agent.external_dns`); markers that fit none claim every name they could
    stand for, and the plan carries a warning saying so. `take_over` names the
    desired RRsets (absolute name, type) whose hand-made data may be replaced
    (`Action.TAKE_OVER`). `desired` is ``desired_rrsets(records)`` when the
    caller already made it (a run plans the same records against several reads).
    """
    if desired is None:
        desired = desired_rrsets(records)
    declared_texts = {
        name: {b"".join(rdata.strings) for rdata in rrset if isinstance(rdata, TXTBase)}
        for (name, rdtype), (rrset, _) in desired.items()
        if rdtype == dns.rdatatype.TXT
    }
    own = analyse(
        snapshot,
        owner,
        layouts,
        (name for name, _ in desired),
        planned_names_only=True,
        declared_texts=declared_texts,
    )
    wanted = RRsetKeys(desired)  # the desired keys, looked up without hashing names
    changes: list[Change] = []
    conflicts: list[Conflict] = []
    warnings: list[str] = []
    hint = layout_hint(own, layouts)
    if hint is not None:
        warnings.append(hint)
    stale_markers = _stale_marker_ttls(snapshot, owner, own, default_ttl, warnings)
    claims = _ClaimPins(snapshot, tuple(layouts))

    def change(
        action: Action,
        key: RRsetKey,
        want: dns.rrset.RRset | None,
        source: str,
        *,
        add_marker: bool = False,
        remove_marker: bool = False,
        release_only: bool = False,
        mname: dns.name.Name | None = None,
        current: dns.rrset.RRset | None,
    ) -> Change:
        """`current`: the RRset `key` as read (the caller has read it)."""
        name, rdtype = key
        if mname is None:
            mname = marker_name(owner.prefix, name)
        if name in stale_markers and not release_only and action is not Action.DELETE:
            # re-write our marker with defaults.ttl (contract §3): delete + add
            add_marker = remove_marker = True
        marker_current = snapshot.get(mname, _TXT)
        pins: tuple[Pin, ...] = ()
        if not release_only:
            pins = claims.at(name)
            if add_marker and marker_current is None and claims.free(mname):
                pins += ((mname.labels, _ANY, None),)
        return Change(
            action=action,
            name=name,
            rdtype=rdtype,
            current=current,
            desired=want,
            marker_name=mname,
            marker_current=marker_current,
            marker=_marker_rr(owner, mname, rdtype, default_ttl),
            add_marker=add_marker,
            remove_marker=remove_marker,
            source=source,
            release_only=release_only,
            claims_as_read=pins,
        )

    def foreign_types(name: dns.name.Name) -> set[dns.rdatatype.RdataType]:
        """Types at ``name`` that are not ours-and-going-away and not DNSSEC."""
        return {
            t
            for t in snapshot.types_at(name)
            if t not in _CNAME_COMPANIONS
            and not ((name, t) in own.ours and (name, t) not in wanted)
        }

    ordered = sorted(desired.items(), key=lambda kv: (canonical_order(kv[0][0]), int(kv[0][1])))
    for key, (want, source) in ordered:
        name, rdtype = key
        current = snapshot.get(name, rdtype)
        if own.is_ours(name, rdtype):
            in_sync = current is not None and _same_data(current, want) and current.ttl == want.ttl
            if in_sync and name not in stale_markers:
                continue
            taken = _taken_over(key, own, zone)
            if taken is not None:
                # DHCP or ExternalDNS wrote here since we marked it: never fight them
                kind, detail = taken
                conflicts.append(Conflict(kind, name, rdtype, current, want, detail, source))
                continue
            if current is None:
                changes.append(change(Action.ADD, key, want, source, current=current))
            else:
                want = _keep_apex_ns_ttl(zone, key, current, want, warnings)
                differs = not _same_data(current, want) or current.ttl != want.ttl
                if differs or name in stale_markers:
                    changes.append(change(Action.UPDATE, key, want, source, current=current))
            continue
        conflict = _foreign_claim(zone, key, own, foreign_types(name), current)
        if conflict is not None:
            kind, detail = conflict
            if key in take_over:
                detail += f"; take-over refused: {kind} conflicts are never taken over"
            conflicts.append(Conflict(kind, name, rdtype, current, want, detail, source))
            continue
        mname = None
        if current is None or _same_data(current, want) or key in take_over:
            mname = marker_name(owner.prefix, name)
            occupied = _marker_name_blocked(mname, snapshot, own) or _marker_occupied(
                mname, snapshot, owner, default_ttl
            )
            if occupied is not None:
                conflicts.append(
                    Conflict(
                        ConflictKind.MARKER_OCCUPIED, name, rdtype, current, want, occupied, source
                    )
                )
                continue
        if current is None:
            changes.append(
                change(Action.ADD, key, want, source, add_marker=True, mname=mname, current=current)
            )
        elif _same_data(current, want):
            if not adopt:
                conflicts.append(
                    Conflict(
                        ConflictKind.NOT_ADOPTED,
                        name,
                        rdtype,
                        current,
                        want,
                        "an unmarked RRset with exactly the desired data exists and adoption "
                        "is off (--no-adopt)",
                        source,
                    )
                )
                continue
            want = _keep_apex_ns_ttl(zone, key, current, want, warnings)
            changes.append(
                change(
                    Action.ADOPT, key, want, source, add_marker=True, mname=mname, current=current
                )
            )
        elif key in take_over:
            want = _keep_apex_ns_ttl(zone, key, current, want, warnings)
            changes.append(
                change(
                    Action.TAKE_OVER,
                    key,
                    want,
                    source,
                    add_marker=True,
                    mname=mname,
                    current=current,
                )
            )
        else:
            conflicts.append(
                Conflict(
                    ConflictKind.DIFFERS,
                    name,
                    rdtype,
                    current,
                    want,
                    f"an unmarked RRset holds other data: {_describe(current)} "
                    f"(desired {_describe(want)}); change the declaration, or replace it with "
                    f"--take-over {name.to_text(omit_final_dot=True)}/"
                    f"{dns.rdatatype.to_text(rdtype)}",
                    source,
                )
            )

    gone = [key for key in own.ours if key not in wanted]
    for key in sorted(gone, key=lambda k: (canonical_order(k[0]), int(k[1]))):
        name, rdtype = key
        current = snapshot.get(name, rdtype)
        # release: only our marker goes, the records stay
        release = name == zone and rdtype == _NS and current is not None
        if release:
            warnings.append(
                f"the apex NS RRset of {zone.to_text()} is no longer declared; only the "
                "ownership marker is removed (a zone must keep its NS records)"
            )
        elif (taken := _taken_over(key, own, zone)) is not None and current is not None:
            warnings.append(
                f"{name.to_text()} {dns.rdatatype.to_text(rdtype)} is no longer declared, but "
                f"{taken[1]}; only our marker is removed, the records are left to that writer"
            )
            release = True
        changes.append(
            change(
                Action.DELETE,
                key,
                None,
                "",
                remove_marker=True,
                release_only=release,
                current=current,
            )
        )

    changes.sort(
        key=lambda c: (canonical_order(c.name), c.action is not Action.DELETE, int(c.rdtype))
    )
    conflicts.sort(key=lambda c: (canonical_order(c.name), int(c.rdtype)))
    return ZonePlan(
        zone=zone,
        serial=snapshot.serial,
        changes=tuple(changes),
        conflicts=tuple(conflicts),
        owned_before=len(own.ours),
        warnings=tuple(warnings),
        signed=snapshot.get(zone, dns.rdatatype.DNSKEY) is not None,
    )


def _keep_apex_ns_ttl(
    zone: dns.name.Name,
    key: RRsetKey,
    current: dns.rrset.RRset,
    want: dns.rrset.RRset,
    warnings: list[str],
) -> dns.rrset.RRset:
    """Knot ignores deleting the last apex NS, so an apex NS TTL cannot be
    changed by UPDATE: keep the current TTL and say so."""
    name, rdtype = key
    if name != zone or rdtype != _NS or current.ttl == want.ttl:
        return want
    warnings.append(
        f"the apex NS TTL of {zone.to_text()} stays {current.ttl} (declared {want.ttl}): "
        "Knot cannot change it by dynamic update; set it in the zone file"
    )
    return dns.rrset.from_rdata_list(name, current.ttl, list(want))


def _stale_marker_ttls(
    snapshot: ZoneSnapshot,
    owner: Owner,
    own: Ownership,
    default_ttl: int,
    warnings: list[str],
) -> Collection[dns.name.Name]:
    """Names whose marker TXT RRset (ours alone) has another TTL than
    ``defaults.ttl``; a marker RRset shared with another owner's markers is
    left as it is, with a warning (its TTL is theirs too)."""
    stale: list[dns.name.Name] = []
    for name in NameMap((name, None) for name, _ in own.ours):
        mname = marker_name(owner.prefix, name)
        if snapshot.ttl(mname, _TXT) in (None, default_ttl):
            continue  # (read from the index: nothing decoded)
        rrset = snapshot.get(mname, _TXT)
        assert rrset is not None
        texts = txt_texts(rrset)
        if all(
            (m := NIX_MARKER.match(t)) is not None and m.group(1) == owner.managed_by for t in texts
        ):
            stale.append(name)
        else:
            warnings.append(
                f"the marker TXT RRset {mname.to_text()} has TTL {rrset.ttl}, not "
                f"defaults.ttl {default_ttl}, and holds other owners' markers too; left as it is"
            )
    return NameMap((name, None) for name in stale)


def _apex_claim(key: RRsetKey, own: Ownership, zone: dns.name.Name) -> str | None:
    """Why an ExternalDNS marker that fits no configured layout may claim the
    apex RRset `key`, or None (`Ownership.external_dns_apex`)."""
    name, rdtype = key
    if rdtype not in own.external_dns_apex or name != zone:
        return None
    return external_dns_apex_marker(own, rdtype)


def _taken_over(
    key: RRsetKey, own: Ownership, zone: dns.name.Name
) -> tuple[ConflictKind, str] | None:
    """Whether DHCP, ExternalDNS or another owner now claims what we marked
    (or the TXT RRset we marked now holds someone's ownership marker)."""
    name, _ = key
    if name in own.dhcp:
        return (
            ConflictKind.DHCP,
            "the name now holds a DHCID: Kea DHCP-DDNS manages it (our marker is stale)",
        )
    if name in own.external_dns:
        return (
            ConflictKind.EXTERNAL_DNS,
            f"ExternalDNS now claims the name ({external_dns_marker(own, name)}; ours is stale)",
        )
    apex = _apex_claim(key, own, zone)
    if apex is not None:
        return ConflictKind.EXTERNAL_DNS, f"ExternalDNS may claim this RRset ({apex})"
    other = own.other_owners.get(key) or own.other_prefix.get(key, ("",))[0]
    if other:
        return (
            ConflictKind.OTHER_OWNER,
            f"{other!r} marks this RRset too; two owners must not both write it",
        )
    if key in own.markers:
        return (
            ConflictKind.MARKER,
            "the TXT RRset now holds an ownership marker (a heritage= text) that another "
            "writer reads; it is never rewritten or deleted",
        )
    return None


def _foreign_claim(
    zone: dns.name.Name,
    key: RRsetKey,
    own: Ownership,
    foreign: set[dns.rdatatype.RdataType],
    current: dns.rrset.RRset | None,
) -> tuple[ConflictKind, str] | None:
    """Why another writer owns (or blocks) this desired RRset, if it does."""
    name, rdtype = key
    if name in own.dhcp:
        return ConflictKind.DHCP, "the name holds a DHCID: Kea DHCP-DDNS manages it"
    if name in own.external_dns:
        return (
            ConflictKind.EXTERNAL_DNS,
            f"ExternalDNS claims the name ({external_dns_marker(own, name)})",
        )
    apex = _apex_claim(key, own, zone)
    if apex is not None:
        return ConflictKind.EXTERNAL_DNS, f"ExternalDNS may claim this RRset ({apex})"
    # (a key is hashed even to look it up in an empty dict: `Name` hashing
    # lower-cases every label, so an empty one is not asked)
    if own.other_owners and key in own.other_owners:
        return (
            ConflictKind.OTHER_OWNER,
            f"marked as managed by {own.other_owners[key]!r}, not by this host",
        )
    if own.other_prefix and key in own.other_prefix:
        managed_by, prefix = own.other_prefix[key]
        return (
            ConflictKind.OTHER_OWNER,
            f"marked as managed by {managed_by!r} under the owner prefix {prefix!r}",
        )
    if key in own.markers and current is not None:
        return ConflictKind.MARKER, _marker_detail(current)
    others = foreign - {rdtype}
    if rdtype == _CNAME and others:
        listed = ", ".join(sorted(dns.rdatatype.to_text(t) for t in others))
        return (
            ConflictKind.CNAME_CLASH,
            f"a CNAME cannot be added where other data exists ({listed})",
        )
    if rdtype != _CNAME and _CNAME in foreign:
        return (
            ConflictKind.CNAME_CLASH,
            "the name holds a CNAME that is not ours; no other data may be added beside it",
        )
    del zone
    return None


def _marker_detail(current: dns.rrset.RRset) -> str:
    """Why a declared TXT RRset that is a marker (`Ownership.markers`: a
    ``heritage=`` text, or an encrypted registry record) is foreign."""
    texts = [t for t in txt_texts(current) if is_heritage(t)]
    if any(is_external_dns(t) for t in texts):
        whose = "ExternalDNS's registry record (it claims a name by it)"
    elif any(NIX_MARKER.match(t) for t in texts):
        whose = "an ownership marker of this tool (another owner prefix or id)"
    elif texts:
        whose = "an ownership marker (heritage=)"
    else:
        whose = "ExternalDNS's encrypted registry record (it claims a name holding data)"
        texts = txt_texts(current)
    return (
        f"the TXT RRset is {whose}: {texts[0][:80]!r}; a marker is never adopted, taken "
        "over, rewritten or deleted -- remove this TXT declaration"
    )


def _marker_occupied(
    mname: dns.name.Name, snapshot: ZoneSnapshot, owner: Owner, default_ttl: int
) -> str | None:
    """Why our marker cannot be added at `mname`, or None.

    Adding an RR to a TXT RRset sets the TTL of the whole RRset (one TTL per
    RRset, RFC 2181 §5.2): beside a TXT RRset that is not ours alone, our
    marker goes only when the TTLs already agree and the RRset holds no
    ``heritage=`` text but this tool's markers at our prefix (co-owners
    share marker names). Ours alone with another TTL is rewritten as a whole
    (`_stale_marker_ttls`).
    """
    current = snapshot.get(mname, _TXT)
    if current is None:
        return None
    texts = txt_texts(current)
    matches = [NIX_MARKER.match(t) for t in texts]
    if all(m is not None and m.group(1) == owner.managed_by for m in matches):
        return None
    where = mname.to_text()
    clash = [t for t, m in zip(texts, matches, strict=True) if m is None and is_heritage(t)]
    if clash:
        split = (
            " (split into several character-strings: this tool writes one, so it is hand-made)"
            if isinstance(clash[0], JoinedText)
            else ""
        )
        return (
            f"the marker name {where} holds a foreign ownership marker {clash[0][:80]!r}"
            f"{split}; our marker is never added beside it"
        )
    if current.ttl != default_ttl:
        return (
            f"the marker name {where} holds a TXT RRset that is not ours with TTL "
            f"{current.ttl}; adding our marker (TTL {default_ttl}, defaults.ttl) would change "
            f"its TTL (one TTL per RRset), so it is left alone -- move that TXT, or give it "
            f"TTL {default_ttl}"
        )
    return None


class _ClaimPins:
    """The RRsets by which DHCP or ExternalDNS would claim a name, as read:
    the DHCID RRset at the name and the TXT RRset at every name a registry
    record claiming it could have under the configured layouts
    (`agent.external_dns.registry_names`). A name that held nothing as read
    is pinned as "name is not in use" (RFC 2136 §2.4.5) instead: no DHCID,
    no CNAME, no RRset of the change's type and no legacy registry TXT at
    the name itself, in one prerequisite. Made once per name."""

    def __init__(self, snapshot: ZoneSnapshot, layouts: tuple[Layout, ...]) -> None:
        self._snapshot = snapshot
        self._layouts = layouts
        self._zone = snapshot.origin.to_text(omit_final_dot=True).lower()
        self._pins: dict[tuple[bytes, ...], tuple[Pin, ...]] = {}  # by labels as spelt

    def free(self, name: dns.name.Name) -> bool:
        """Whether `name` held no RRset as read."""
        return not self._snapshot.holds(name_key(name))

    def at(self, name: dns.name.Name) -> tuple[Pin, ...]:
        pins = self._pins.get(name.labels)
        if pins is None:
            pins = self._pins[name.labels] = self._make(name)
        return pins

    def _make(self, name: dns.name.Name) -> tuple[Pin, ...]:
        get = self._snapshot.get
        free = self.free(name)
        labels = name.labels
        out: list[Pin] = [(labels, _ANY, None) if free else (labels, _DHCID, get(name, _DHCID))]
        text = _text_of(name)
        for registry, owner in registry_owners(text, self._zone, self._layouts):
            if free and registry == text:
                continue  # the free name's TXT is pinned already
            # registry names are lower case: a plain one is its own key
            plain = "\\" not in registry
            if plain and not self._snapshot.holds(owner):
                out.append((owner, _TXT, None))  # the usual case: nothing there
            elif (held := self._snapshot.lookup(registry)) is not None:
                out.append((held.labels, _TXT, get(held, _TXT)))
            else:
                out.append((owner, _TXT, None))
        return tuple(out)


def registry_owners(
    text: str, zone: str, layouts: tuple[Layout, ...]
) -> Iterator[tuple[str, tuple[bytes, ...]]]:
    """Each name (text, and labels) at which a registry TXT record would
    claim the name spelt `text` under `layouts`, once, in layout order: the
    TXT RRsets every change at that name pins (`registry_names`). `text` and
    `zone` are lower case without the final dot."""
    seen: set[str] = set()
    for layout in layouts:
        for registry in registry_names(layout, text, zone):
            if registry in seen:
                continue
            seen.add(registry)
            owner = _labels_of(registry)
            if owner is not None:
                yield registry, owner


def later_claims(name: dns.name.Name, zone: str, layouts: tuple[Layout, ...]) -> tuple[Pin, ...]:
    """The claim prerequisites of a later change of an RRset at `name` when
    nothing claims the name then (the only case a change is sent in): no
    DHCID at the name, no TXT at each registry name under `layouts`.
    `zone` is the zone's name in lower case without the final dot."""
    pins: list[Pin] = [(name.labels, _DHCID, None)]
    pins.extend((owner, _TXT, None) for _, owner in registry_owners(_text_of(name), zone, layouts))
    return tuple(pins)


_PLAIN_NAME = re.compile(rb"[A-Za-z0-9_*-]+(?:\.[A-Za-z0-9_*-]+)*")


def _text_of(name: dns.name.Name) -> str:
    """`name` in lower case without the final dot, as `dns.name.Name.to_text`
    spells it (escapes included); letters, digits, ``-``, ``_`` and ``*``
    need no escape, so such a name is joined without dnspython."""
    labels = name.labels[:-1]
    joined = b".".join(labels)
    # (a dot inside a label would need an escape: count the dots)
    if _PLAIN_NAME.fullmatch(joined) and joined.count(b".") == len(labels) - 1:
        return joined.decode("ascii").lower()
    return name.to_text(omit_final_dot=True).lower()


def _labels_of(text: str) -> tuple[bytes, ...] | None:
    """The labels of the absolute name spelt `text` (no final dot), or None
    if it is none (no `dns.name.Name` is built for the usual plain name)."""
    if "\\" not in text:
        return (*text.encode("ascii").split(b"."), b"")
    try:
        return dns.name.from_text(text + ".").labels
    except dns.exception.DNSException:
        return None


def _marker_name_blocked(
    mname: dns.name.Name, snapshot: ZoneSnapshot, own: Ownership
) -> str | None:
    """Why our marker TXT cannot go to `mname` at all, or None: the name holds
    a CNAME (Knot silently drops data added beside it, RFC 1034 §3.6.2) or a
    DHCID (Kea DHCP-DDNS owns the name: a DHCP client named like the owner
    prefix). Checked before anything is sent."""
    where = name_text(mname)
    if mname in own.dhcp:
        return (
            f"the marker name {where} holds a DHCID: Kea DHCP-DDNS manages it (a DHCP client "
            f"is named like the owner prefix '{mname.labels[0].decode('ascii', 'replace')}'); "
            "our marker is never written into it -- rename that client, or choose another "
            "ownerPrefix"
        )
    if snapshot.get(mname, _CNAME) is not None:
        return (
            f"the marker name {where} holds a CNAME, and no TXT may stand beside a CNAME "
            "(Knot drops it silently); our marker cannot be written -- remove or rename that "
            "CNAME, or choose another ownerPrefix"
        )
    return None
