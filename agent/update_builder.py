"""Turn a ZonePlan into signed-at-send-time RFC 2136 UPDATE messages. Pure.

Every message is all-or-nothing on the server, so the unit of packing is a
*name group*: all changes at one owner name together with their marker
changes. A group is never split across messages; groups are packed into as
few messages as fit under the size limit.

Prerequisites (contract §3) make a concurrent write fail the message instead
of being clobbered:

* every RRset a group touches must be exactly as read: value-dependent
  "RRset exists" with the *whole* RRset as read, or "RRset does not exist"
  when it was absent;
* the marker TXT RRset at the marker name likewise (once per name and type,
  even when several changes share it);
* "name is not in use" before adding a CNAME at a name that held nothing,
  and "no CNAME here" before adding other data at a name that held no CNAME
  (Knot silently ignores data added beside a CNAME).

Update order within a group: RRset deletes first (so a CNAME can replace
owned data), then adds, then deletes of individual surplus RRs (so an
RRset such as the apex NS is never empty in between).

In a zone Knot signs itself, a CNAME that replaces data (or data that
replaces a CNAME) in one message is silently dropped: the name still holds
the RRSIG and NSEC of what was deleted. There the group also deletes the
name's RRSIG and NSEC RRsets before the adds; Knot then re-signs the name
(measured with NSEC and NSEC3 on Knot 3.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.update

from agent.errors import AgentError
from agent.keyfile import TsigKey
from agent.plan import Action, Change, ZonePlan

#: Largest message a DNS TCP frame carries is 65,535 bytes; stay well below.
DEFAULT_MAX_SIZE = 60_000
#: Room for the TSIG record added when the message is signed at send time
#: (owner = key name, algorithm name, 32..64-byte MAC, fixed fields).
TSIG_OVERHEAD = 100 + 255

_CNAME = dns.rdatatype.CNAME
_TXT = dns.rdatatype.TXT
_SIGNATURES = (dns.rdatatype.RRSIG, dns.rdatatype.NSEC)


class MessageTooBigError(AgentError):
    """The changes at one name do not fit into one UPDATE message."""


RRsetKey = tuple[dns.name.Name, dns.rdatatype.RdataType]


@dataclass(frozen=True, slots=True)
class NameGroup:
    """The changes at one owner name; they always travel in one message."""

    name: dns.name.Name
    changes: tuple[Change, ...]


def group_changes(changes: Sequence[Change]) -> list[NameGroup]:
    """Group changes by owner name, keeping the plan's order of first appearance."""
    groups: dict[dns.name.Name, list[Change]] = {}
    for change in changes:
        groups.setdefault(change.name, []).append(change)
    return [NameGroup(name, tuple(items)) for name, items in groups.items()]


def _new_message(zone: dns.name.Name, key: TsigKey | None) -> dns.update.UpdateMessage:
    if key is None:
        return dns.update.UpdateMessage(zone)
    return dns.update.UpdateMessage(
        zone,
        keyring=key.to_dnspython(),
        keyname=key.name,
        keyalgorithm=key.algorithm,
    )


def _adds_data(change: Change) -> bool:
    """Whether the change adds RRs at its owner name (not only a marker)."""
    if change.release_only or change.desired is None:
        return False
    if change.current is None or change.replaces_whole_rrset:
        return True
    return any(rd not in change.current for rd in change.desired)


def _prerequisites(msg: dns.update.UpdateMessage, group: NameGroup) -> None:
    seen: set[RRsetKey] = set()

    def require(
        name: dns.name.Name, rdtype: dns.rdatatype.RdataType, as_read: dns.rrset.RRset | None
    ) -> None:
        if (name, rdtype) in seen:
            return
        seen.add((name, rdtype))
        if as_read is None:
            msg.absent(name, rdtype)
        else:
            msg.present(name, *list(as_read))

    # What the name held as read, as far as the plan knows it.
    held = {c.rdtype for c in group.changes if c.current is not None}
    for change in group.changes:
        if not change.release_only:
            require(change.name, change.rdtype, change.current)
        if change.add_marker or change.remove_marker:
            require(change.marker_name, _TXT, change.marker_current)
    adds = [c for c in group.changes if _adds_data(c)]
    if any(c.rdtype == _CNAME and c.current is None for c in adds):
        if not held:
            msg.absent(group.name)
    elif adds and _CNAME not in held:
        require(group.name, _CNAME, None)


def swaps_cname(group: NameGroup) -> bool:
    """Whether the group replaces data by a CNAME, or a CNAME by data."""
    added = {c.rdtype for c in group.changes if _adds_data(c)}
    deleted = {
        c.rdtype
        for c in group.changes
        if c.action is Action.DELETE and c.current is not None and not c.release_only
    }
    return (_CNAME in added and bool(deleted - {_CNAME})) or (
        _CNAME in deleted and bool(added - {_CNAME})
    )


def _updates(msg: dns.update.UpdateMessage, group: NameGroup, signed: bool = False) -> None:
    # 1. whole-RRset deletes and our markers going away
    for change in group.changes:
        if change.remove_marker:
            msg.delete(change.marker_name, *list(change.marker))
        if change.release_only:
            continue
        deleted = change.action is Action.DELETE and change.current is not None
        if deleted or (change.desired is not None and change.replaces_whole_rrset):
            msg.delete(change.name, change.rdtype)
    if signed and swaps_cname(group):
        for rdtype in _SIGNATURES:  # what still ties the name to its old type
            msg.delete(group.name, rdtype)
    # 2. adds: new RRsets, missing RRs, re-added RRsets, our new markers
    for change in group.changes:
        if change.release_only:
            continue
        if change.desired is not None:
            if change.current is None or change.replaces_whole_rrset:
                msg.add(change.name, change.desired.ttl, *list(change.desired))
            else:
                missing = [rd for rd in change.desired if rd not in change.current]
                if missing:
                    msg.add(change.name, change.desired.ttl, *missing)
        if change.add_marker:
            msg.add(change.marker_name, change.marker.ttl, *list(change.marker))
    # 3. surplus RRs of RRsets kept, one by one (never empties the RRset first)
    for change in group.changes:
        if change.release_only or change.desired is None or change.current is None:
            continue
        if change.replaces_whole_rrset:
            continue
        surplus = [rd for rd in change.current if rd not in change.desired]
        if surplus:
            msg.delete(change.name, *surplus)


def build_group_message(
    zone: dns.name.Name,
    groups: Iterable[NameGroup],
    key: TsigKey | None,
    signed: bool = False,
) -> dns.update.UpdateMessage:
    """One UPDATE carrying `groups`: all prerequisites first, then all updates.
    `signed`: the zone is DNSSEC-signed by the server (see the module notes)."""
    groups = list(groups)
    msg = _new_message(zone, key)
    for group in groups:
        _prerequisites(msg, group)
    for group in groups:
        _updates(msg, group, signed)
    return msg


def _unsigned_size(zone: dns.name.Name, groups: Sequence[NameGroup], signed: bool) -> int:
    try:
        return len(build_group_message(zone, groups, None, signed).to_wire())
    except dns.exception.TooBig:
        return 1 << 20


def _fit(
    zone: dns.name.Name, batch: list[NameGroup], budget: int, signed: bool
) -> list[list[NameGroup]]:
    """Split `batch` until each part really fits: the estimate sums standalone
    sizes, but names past offset 16,383 cannot be compression targets, so a
    large message can be bigger than the sum of its parts."""
    if len(batch) == 1 or _unsigned_size(zone, batch, signed) <= budget:
        return [batch]
    half = len(batch) // 2
    return _fit(zone, batch[:half], budget, signed) + _fit(zone, batch[half:], budget, signed)


@dataclass(frozen=True, slots=True)
class Batch:
    """One UPDATE message and the plan's changes it carries."""

    message: dns.update.UpdateMessage
    changes: tuple[Change, ...]


def build_messages(
    plan: ZonePlan, key: TsigKey, max_size: int = DEFAULT_MAX_SIZE
) -> list[dns.update.UpdateMessage]:
    """The UPDATE messages that carry out `plan`, each under `max_size` bytes
    once signed. TSIG is configured, not applied: signing happens at send time.

    Raises `MessageTooBigError` when the changes at one name alone exceed the limit.
    """
    return [batch.message for batch in build_batches(plan, key, max_size)]


def build_batches(plan: ZonePlan, key: TsigKey, max_size: int = DEFAULT_MAX_SIZE) -> list[Batch]:
    """As `build_messages`, each message with the changes it carries."""
    zone = plan.zone
    budget = max_size - TSIG_OVERHEAD
    signed = plan.signed
    base = _unsigned_size(zone, [], signed)
    batches: list[list[NameGroup]] = []
    current: list[NameGroup] = []
    used = base
    for group in group_changes(plan.changes):
        size = _unsigned_size(zone, [group], signed) - base
        if base + size > budget:
            raise MessageTooBigError(
                f"the changes at {group.name.to_text()} need about {base + size} bytes, "
                f"more than one UPDATE message may carry ({max_size}); "
                "split the RRset or declare fewer records at that name"
            )
        if current and used + size > budget:
            batches.append(current)
            current, used = [], base
        current.append(group)
        used += size
    if current:
        batches.append(current)
    fitted = [part for batch in batches for part in _fit(zone, batch, budget, signed)]
    return [
        Batch(
            build_group_message(zone, batch, key, signed),
            tuple(change for group in batch for change in group.changes),
        )
        for batch in fitted
    ]
