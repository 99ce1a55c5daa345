"""Refuse, before anything is sent, an RRset that could be written but never
changed or removed again (pure).

Every change to an RRset we own carries the whole RRset as read as a
value-dependent "RRset exists" prerequisite (contract §3), and a TTL change
deletes it and adds it whole again: replacing an RRset takes about twice its
size in one UPDATE message, which holds at most 65,535 bytes over TCP (RFC
1035 §4.2.2), TSIG included. An RRset over about half of that fits the
message that adds it, but no message could ever replace or remove it: the
name would be stuck. `check_changeable` refuses such an RRset while it is
still only declared.
"""

from __future__ import annotations

import dataclasses

import dns.rdata
import dns.rdatatype
import dns.rdtypes.txtbase
import dns.rrset

from agent.external_dns import DEFAULT_LAYOUTS, TYPE_TOKENS, Layout
from agent.keyfile import TsigKey
from agent.plan import Action, Change, ZonePlan
from agent.planner import later_claims
from agent.update_builder import (
    DEFAULT_MAX_SIZE,
    MessageTooBigError,
    NameGroup,
    _group_records,
    _Message,
    tsig_size,
)

# Bytes one RR takes in the update section besides its RDATA: a name pointer
# (2) and type, class, TTL and RDLENGTH (10); and a bound for the marker, the
# header, the zone section and the claim prerequisites of a group.
_RR_OVERHEAD = 12
_GROUP_OVERHEAD = 2_048
# The longest RDATA of the types whose RDATA holds at most one name (255
# octets) and a few fixed fields (SRV: 6).
_NAME_RDATA = 6 + 255
_FIXED = {int(dns.rdatatype.A): 4, int(dns.rdatatype.AAAA): 16}


def _rdata_bound(rdtype: int, rdata: dns.rdata.Rdata) -> int:
    """An upper bound of the RDATA's wire length, without encoding it."""
    fixed = _FIXED.get(rdtype)
    if fixed is not None:
        return fixed
    if isinstance(rdata, dns.rdtypes.txtbase.TXTBase):
        return sum(1 + len(string) for string in rdata.strings)
    if rdtype in (dns.rdatatype.CNAME, dns.rdatatype.NS, dns.rdatatype.PTR):
        return 255
    if rdtype in (dns.rdatatype.MX, dns.rdatatype.SRV):
        return _NAME_RDATA
    return len(rdata.to_wire() or b"")


def _may_exceed(rrset: dns.rrset.RRset, limit: int) -> bool:
    """Whether replacing `rrset` whole might take more than `limit` bytes."""
    rdtype = int(rrset.rdtype)
    if rdtype in _FIXED or rdtype in (
        dns.rdatatype.CNAME,
        dns.rdatatype.NS,
        dns.rdatatype.PTR,
        dns.rdatatype.MX,
        dns.rdatatype.SRV,
    ):
        bound = len(rrset) * (_RR_OVERHEAD + _FIXED.get(rdtype, _NAME_RDATA))
    else:
        bound = sum(_RR_OVERHEAD + _rdata_bound(rdtype, rd) for rd in rrset)
    return 2 * bound + _GROUP_OVERHEAD > limit


def _claims_bound(name: dns.name.Name, layouts: tuple[Layout, ...]) -> int:
    """An upper bound of the claim prerequisites' bytes at `name` without
    building them: a DHCID pin, and per layout at most 2 splits x 2 hosts x
    (1 + 2 x type tokens) registry names, each at most `name` plus the
    layout's affixes and a type token (uncompressed; RFC 1035 §4.1.3)."""
    length = sum(map(len, name.labels)) + len(name.labels)
    bound = _RR_OVERHEAD
    for layout in layouts:
        affixes = len(layout.prefix) + len(layout.suffix) + len(layout.wildcard_replacement)
        longest = min(255, length + affixes + 6)
        bound += 4 * (1 + 2 * len(TYPE_TOKENS)) * (longest + 10)
    return bound


def replacement_size(
    change: Change,
    key: TsigKey | None,
    signed: bool = False,
    layouts: tuple[Layout, ...] = DEFAULT_LAYOUTS,
    zone: str = "",
) -> int:
    """Bytes (signed with `key`) of the message that would later give the
    RRset `change` writes another TTL: its whole RRset as read as the
    prerequisite, deleted and added whole, its marker rewritten, and the
    claim prerequisites the planner gives that name under `layouts`
    (`agent.planner.later_claims`; `zone` lower case, no final dot)."""
    desired = change.desired
    assert desired is not None
    other = dns.rrset.from_rdata_list(desired.name, (desired.ttl + 1) % (1 << 31), list(desired))
    marker = dns.rrset.from_rdata_list(change.marker_name, change.marker.ttl, list(change.marker))
    later = dataclasses.replace(
        change,
        action=Action.UPDATE,
        current=desired,
        desired=other,
        marker_current=marker,
        add_marker=True,  # (a change of defaults.ttl rewrites the marker too)
        remove_marker=True,
        release_only=False,
        claims_as_read=later_claims(change.name, zone, layouts),
    )
    message = _Message(change.name)
    message.add(_group_records(NameGroup(change.name, (later,)), signed), 1 << 30)
    return message.size + tsig_size(key)


def check_changeable(
    plan: ZonePlan,
    key: TsigKey | None,
    max_size: int = DEFAULT_MAX_SIZE,
    layouts: tuple[Layout, ...] = DEFAULT_LAYOUTS,
) -> None:
    """Raise `MessageTooBigError` (nothing sent) for the first RRset `plan`
    would write that no later UPDATE of at most `max_size` bytes could
    replace or remove. Time: one length per change for the types of short
    RDATA; RRsets that may come near the limit are measured exactly."""
    limit = max_size - tsig_size(key)
    zone = plan.zone.to_text(omit_final_dot=True).lower()
    for change in plan.changes:
        desired = change.desired
        if change.release_only or desired is None:
            continue
        if change.action is Action.UPDATE and change.current == desired:
            continue  # (only its TTL or marker changes: measured as the group itself)
        if not _may_exceed(desired, limit - _claims_bound(change.name, layouts)):
            continue
        size = replacement_size(change, key, plan.signed, layouts, zone)
        if size <= max_size:
            continue
        kind = dns.rdatatype.to_text(change.rdtype)
        source = f" (declared at {change.source})" if change.source else ""
        raise MessageTooBigError(
            f"the {kind} RRset at {change.name.to_text()}{source} ({len(desired)} RRs) is too big "
            f"to change or remove once written: a later change carries the whole RRset as "
            f"read as a prerequisite and re-adds it, about {size:,} bytes, more than one "
            f"UPDATE message may carry ({max_size:,}); nothing was sent. Split the data over "
            "several names or declare fewer or shorter RRs at that name"
        )
