"""Turn a ZonePlan into RFC 2136 UPDATE messages, written once, signed when sent. Pure.

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
  (Knot silently ignores data added beside a CNAME);
* the claim state as read for every change that is not a release: "no
  DHCID RRset" at the name, and the TXT RRset at each name where a registry
  record of a configured ExternalDNS layout would claim the name, as read
  (usually "does not exist"), so a concurrent DHCP or ExternalDNS claim fails
  the message (`Change.claims_as_read`);
* a name (or marker name) that held nothing as read is pinned as "name is
  not in use" (RFC 2136 §2.4.5) instead of the RRset, CNAME, DHCID and
  legacy registry TXT there, which it covers in one prerequisite (Knot
  counts an empty non-terminal as not in use, as the RFC does).

Update order within a group: RRset deletes first (so a CNAME can replace
owned data), then adds, then deletes of individual surplus RRs (so an
RRset such as the apex NS is never empty in between).

In a zone Knot signs itself, a CNAME that replaces data (or data that
replaces a CNAME, or a CNAME that replaces a CNAME) in one message is
silently dropped: the name still holds the RRSIG and NSEC of what was
deleted. There the group also deletes the name's RRSIG and NSEC RRsets
before the adds, and a changed CNAME is deleted and added whole; Knot then
re-signs the name (measured with NSEC and NSEC3 on Knot 3.2).

Packing: a message over TCP holds at most 65,535 bytes, TSIG included
(RFC 1035 §4.2.2). Messages are written here, once, byte for byte as
dnspython would render them (`_Message`; dnspython itself renders only the
reference `build_group_message`): each group's prerequisites are written
as the group is added, so their size is exact, with dnspython's name
compression (RFC 1035 §4.1.4: a name is a pointer to an earlier occurrence
of its longest known suffix, and only names that start within the first
16 KiB, offset <= 0x3FFF, can be pointed to). The update section comes
after every prerequisite; it is measured against the pointer targets known
so far, which can only overestimate (later targets only shorten names), and
written when the message is full. The measure therefore never falls short
of the message, and matches it when the prerequisite section of a full
message reaches past 16 KiB. Messages leave here unsigned:
`agent.dns_io` signs each with TSIG (RFC 8945) as it sends it.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

import dns.message
import dns.name
import dns.opcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.mxbase
import dns.rdtypes.nsbase
import dns.rrset
import dns.update

from agent.errors import AgentError
from agent.keyfile import TsigKey
from agent.plan import Action, Change, ZonePlan

#: The largest DNS message a TCP frame carries (RFC 1035 §4.2.2), TSIG included.
DEFAULT_MAX_SIZE = 65_535

_CNAME = dns.rdatatype.CNAME
_TXT = dns.rdatatype.TXT
_SIGNATURES = (dns.rdatatype.RRSIG, dns.rdatatype.NSEC)
_ANY = dns.rdatatype.ANY
#: Types whose RDATA name dnspython compresses (RFC 3597 §4: only the
#: well-known types of RFC 1035 may be compressed; dnspython does NS, CNAME,
#: PTR, MX and SOA). Other names in RDATA are counted uncompressed.
_COMPRESSED_TARGET = frozenset(
    {int(dns.rdatatype.NS), int(dns.rdatatype.CNAME), int(dns.rdatatype.PTR)}
)
_COMPRESSED_MX = int(dns.rdatatype.MX)
_HEADER_SIZE = 12
_RR_FIXED = 10  # type, class, TTL, RDLENGTH
_POINTER = 2
_MAX_POINTER_TARGET = 0x3FFF
_UPDATE_FLAGS = dns.opcode.to_flags(dns.opcode.UPDATE)


class MessageTooBigError(AgentError):
    """The changes at one name do not fit into one UPDATE message."""


RRsetKey = tuple[dns.name.Name, dns.rdatatype.RdataType]
Labels = tuple[bytes, ...]


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


class _Kind(IntEnum):
    """One entry of a section, as the `dns.update.UpdateMessage` call that
    files it (an IntEnum: looked up once per entry written, hashed as an int)."""

    PRESENT = 1  # RRset exists with exactly these RRs (class IN, TTL 0)
    ABSENT = 2  # RRset does not exist (class NONE, no RDATA)
    NAME_FREE = 3  # name is not in use (class NONE, type ANY)
    ADD = 4  # add these RRs (class IN)
    DELETE_RRSET = 5  # delete an RRset (class ANY, no RDATA)
    DELETE_RRS = 6  # delete these RRs (class NONE)


class _Entry(NamedTuple):
    """One entry of a section (a named tuple: a plan makes ~13 per name)."""

    kind: _Kind
    owner: Labels  # the owner name's labels as spelt, root label included
    rdtype: dns.rdatatype.RdataType
    ttl: int = 0
    rdatas: tuple[dns.rdata.Rdata, ...] = ()


@dataclass(frozen=True, slots=True)
class _GroupRecords:
    """What one name group puts into a message: prerequisites and updates."""

    group: NameGroup
    prerequisites: tuple[_Entry, ...]
    updates: tuple[_Entry, ...]


def _adds_data(change: Change) -> bool:
    """Whether the change adds RRs at its owner name (not only a marker)."""
    if change.release_only or change.desired is None:
        return False
    if change.current is None or change.replaces_whole_rrset:
        return True
    return any(rd not in change.current for rd in change.desired)


def _prerequisites(group: NameGroup) -> list[_Entry]:
    out: list[_Entry] = []
    # keyed by the labels as spelt: hashing a Name lower-cases every label each
    # time; a name spelt in two cases would only be required twice, as read both times
    seen: set[tuple[Labels, int]] = set()
    # names that held nothing as read: "name is not in use" pins every RRset there
    free: set[Labels] = set()

    def name_free(owner: Labels) -> None:
        if owner not in free:
            free.add(owner)
            out.append(_Entry(_Kind.NAME_FREE, owner, _ANY))

    def require(
        owner: Labels, rdtype: dns.rdatatype.RdataType, as_read: dns.rrset.RRset | None
    ) -> None:
        key = (owner, int(rdtype))
        if key in seen or (as_read is None and owner in free):
            return
        seen.add(key)
        if as_read is None:
            out.append(_Entry(_Kind.ABSENT, owner, rdtype))
        else:
            out.append(_Entry(_Kind.PRESENT, owner, rdtype, 0, tuple(as_read)))

    for change in group.changes:
        for owner, rdtype, as_read in change.claims_as_read:
            if rdtype == _ANY and as_read is None:
                name_free(owner)
    # What the name held as read, as far as the plan knows it.
    held = {c.rdtype for c in group.changes if c.current is not None}
    for change in group.changes:
        if not change.release_only:
            require(change.name.labels, change.rdtype, change.current)
        if change.add_marker or change.remove_marker:
            require(change.marker_name.labels, _TXT, change.marker_current)
    adds = [c for c in group.changes if _adds_data(c)]
    if any(c.rdtype == _CNAME and c.current is None for c in adds):
        if not held:
            name_free(group.name.labels)
    elif adds and _CNAME not in held:
        require(group.name.labels, _CNAME, None)
    for change in group.changes:
        for owner, rdtype, as_read in change.claims_as_read:
            if rdtype != _ANY:
                require(owner, rdtype, as_read)
    return out


def _changes_cname(change: Change) -> bool:
    """Whether the change replaces a CNAME by another (target or TTL)."""
    current, desired = change.current, change.desired
    return (
        change.rdtype == _CNAME
        and not change.release_only
        and current is not None
        and desired is not None
        and (current.ttl != desired.ttl or set(current) != set(desired))
    )


def swaps_cname(group: NameGroup) -> bool:
    """Whether the group replaces data by a CNAME, a CNAME by data, or a
    CNAME by another CNAME (other target or TTL)."""
    added = {c.rdtype for c in group.changes if _adds_data(c)}
    deleted = {
        c.rdtype
        for c in group.changes
        if c.action is Action.DELETE and c.current is not None and not c.release_only
    }
    return (
        (_CNAME in added and bool(deleted - {_CNAME}))
        or (_CNAME in deleted and bool(added - {_CNAME}))
        or any(_changes_cname(c) for c in group.changes)
    )


def _whole(change: Change, signed: bool) -> bool:
    """Whether the change deletes its RRset and adds the desired one whole: a
    TTL change, and in a signed zone any CNAME change (Knot drops a CNAME
    re-added at a name that keeps the old one's RRSIG and NSEC)."""
    return change.replaces_whole_rrset or (signed and _changes_cname(change))


def _updates(group: NameGroup, signed: bool = False) -> list[_Entry]:
    out: list[_Entry] = []
    # 1. whole-RRset deletes and our markers going away
    for change in group.changes:
        if change.remove_marker:
            out.append(
                _Entry(_Kind.DELETE_RRS, change.marker_name.labels, _TXT, 0, tuple(change.marker))
            )
        if change.release_only:
            continue
        deleted = change.action is Action.DELETE and change.current is not None
        if deleted or (change.desired is not None and _whole(change, signed)):
            out.append(_Entry(_Kind.DELETE_RRSET, change.name.labels, change.rdtype))
    if signed and swaps_cname(group):
        for rdtype in _SIGNATURES:  # what still ties the name to its old type
            out.append(_Entry(_Kind.DELETE_RRSET, group.name.labels, rdtype))
    # 2. adds: new RRsets, missing RRs, re-added RRsets, our new markers
    for change in group.changes:
        if change.release_only:
            continue
        if change.desired is not None:
            if change.current is None or _whole(change, signed):
                added = tuple(change.desired)
            else:
                added = tuple(rd for rd in change.desired if rd not in change.current)
            if added:
                out.append(
                    _Entry(_Kind.ADD, change.name.labels, change.rdtype, change.desired.ttl, added)
                )
        if change.add_marker:
            marker = change.marker
            out.append(
                _Entry(_Kind.ADD, change.marker_name.labels, _TXT, marker.ttl, tuple(marker))
            )
    # 3. surplus RRs of RRsets kept, one by one (never empties the RRset first)
    for change in group.changes:
        if change.release_only or change.desired is None or change.current is None:
            continue
        if _whole(change, signed):
            continue
        surplus = tuple(rd for rd in change.current if rd not in change.desired)
        if surplus:
            out.append(_Entry(_Kind.DELETE_RRS, change.name.labels, change.rdtype, 0, surplus))
    return out


def _group_records(group: NameGroup, signed: bool = False) -> _GroupRecords:
    return _GroupRecords(group, tuple(_prerequisites(group)), tuple(_updates(group, signed)))


_IN = dns.rdataclass.IN
_NONE = dns.rdataclass.NONE
_ANY_CLASS = dns.rdataclass.ANY
#: (section is the prerequisite section, class, deleting) of each kind, as
#: `dns.update.UpdateMessage` files them (RFC 2136 §2.4, §2.5).
_FILING: dict[_Kind, tuple[bool, dns.rdataclass.RdataClass, dns.rdataclass.RdataClass | None]] = {
    _Kind.PRESENT: (True, _IN, None),
    _Kind.ABSENT: (True, _NONE, None),
    _Kind.NAME_FREE: (True, _NONE, None),
    _Kind.ADD: (False, _IN, None),
    _Kind.DELETE_RRSET: (False, _IN, _ANY_CLASS),
    _Kind.DELETE_RRS: (False, _IN, _NONE),
}


#: The class each kind writes on the wire (RFC 2136 §2.4, §2.5).
_WIRE_CLASS: dict[_Kind, int] = {
    kind: int(deleting if deleting is not None else rdclass)
    for kind, (_, rdclass, deleting) in _FILING.items()
}


def _file(msg: dns.update.UpdateMessage, entry: _Entry) -> None:
    """File `entry` into `msg` as the `dns.update.UpdateMessage` method that
    means it would (`present`, `absent`, `add`, `delete`): one RRset per RR,
    in call order (dnspython's own calls never merge them either)."""
    prerequisite, rdclass, deleting = _FILING[entry.kind]
    section = msg.prerequisite if prerequisite else msg.update
    name = dns.name.Name(entry.owner)
    if not entry.rdatas:
        section.append(dns.rrset.RRset(name, rdclass, entry.rdtype, deleting=deleting))
        return
    for rdata in entry.rdatas:
        rrset = dns.rrset.RRset(name, rdclass, entry.rdtype, deleting=deleting)
        # what `RRset.add` does for the first RR of an RRset, which hashes
        # (so encodes) the RDATA twice: once to look for it, once to insert it
        rrset.ttl = entry.ttl
        rrset.items[rdata] = None
        section.append(rrset)


def _new_message(zone: dns.name.Name, key: TsigKey | None) -> dns.update.UpdateMessage:
    if key is None:
        return dns.update.UpdateMessage(zone)
    return dns.update.UpdateMessage(
        zone,
        keyring=key.to_dnspython(),
        keyname=key.name,
        keyalgorithm=key.algorithm,
    )


def _message(
    zone: dns.name.Name, parts: Iterable[_GroupRecords], key: TsigKey | None
) -> dns.update.UpdateMessage:
    parts = list(parts)
    msg = _new_message(zone, key)
    for part in parts:
        for entry in part.prerequisites:
            _file(msg, entry)
    for part in parts:
        for entry in part.updates:
            _file(msg, entry)
    return msg


def build_group_message(
    zone: dns.name.Name,
    groups: Iterable[NameGroup],
    key: TsigKey | None,
    signed: bool = False,
) -> dns.update.UpdateMessage:
    """One UPDATE carrying `groups`: all prerequisites first, then all updates.
    `signed`: the zone is DNSSEC-signed by the server (see the module notes)."""
    return _message(zone, (_group_records(group, signed) for group in groups), key)


# -- writing and measuring ------------------------------------------------------------


def _lower(labels: Labels, cache: dict[Labels, Labels]) -> Labels:
    """`labels` in lower case (compression ignores case), memoised."""
    lowered = cache.get(labels)
    if lowered is None:
        lowered = cache[labels] = tuple(map(bytes.lower, labels))
    return lowered


def tsig_size(key: TsigKey | None) -> int:
    """Bytes the TSIG record signed with `key` adds to a message (RFC 8945
    §4.2: owner = key name, algorithm name, 16 fixed octets, the MAC; no
    other data). Names counted uncompressed, so never short."""
    if key is None:
        return 0
    name = len(key.name.to_wire() or b"")
    algorithm = len(key.algorithm.to_wire() or b"")
    try:
        mac = hashlib.new(key.algorithm_text.removeprefix("hmac-")).digest_size
    except ValueError:
        mac = 64  # the largest HMAC of RFC 8945
    return name + _RR_FIXED + algorithm + 16 + mac


def _wire_name(
    out: bytearray,
    labels: Labels,
    lowered: Labels,
    targets: dict[Labels, int],
    added: list[Labels] | None = None,
) -> None:
    """Append `name` as `dns.name.Name.to_wire` does with compression: a
    pointer to the longest suffix written before (case-insensitively), and
    every suffix it writes that starts within the first 16 KiB becomes a
    target (RFC 1035 §4.1.4), noted in `added` when given. `labels` as
    spelt, `lowered` the same in lower case."""
    for index in range(len(labels) - 1):
        suffix = lowered[index:]
        at = targets.get(suffix)
        if at is not None:
            out += (0xC000 | at).to_bytes(2, "big")
            return
        if len(out) <= _MAX_POINTER_TARGET:
            targets[suffix] = len(out)
            if added is not None:
                added.append(suffix)
        label = labels[index]
        out.append(len(label))
        out += label
    out.append(0)


class _Message:
    """One UPDATE message, written as it grows, byte for byte as dnspython
    renders it (`dns.message.Message.to_wire` without TSIG; RFC 1035 §4.1,
    RFC 2136 §2-3): header, zone section, every prerequisite, every update,
    one RR per RDATA, names compressed as `_wire_name` says, RDATA names
    compressed where dnspython compresses them (NS, CNAME, PTR targets, MX
    exchange), other RDATA as `dns.rdata.Rdata.to_wire` writes it.

    Prerequisites come first, so their offsets are final when a group is
    added: they are written at once, and their size is exact. The update
    section lies past every prerequisite: it is measured against the pointer
    targets known when each group is added, which can only overestimate
    (later targets only shorten names), and written by `wire` when the
    message is done. The measure matches the bytes when the prerequisites
    of a full message reach past 16 KiB.
    """

    __slots__ = ("_lowered", "_out", "_parts", "_prerequisites", "_rdata", "_targets", "updates")

    def __init__(
        self,
        zone: dns.name.Name,
        lowered: dict[Labels, Labels] | None = None,
        rdata: dict[int, tuple[dns.rdata.Rdata, bytes]] | None = None,
    ) -> None:
        self._lowered: dict[Labels, Labels] = {} if lowered is None else lowered
        # RDATA wire by identity (hashing RDATA encodes it); the RDATA is kept
        # with its wire, so an id is never reused while the entry stands
        self._rdata: dict[int, tuple[dns.rdata.Rdata, bytes]] = {} if rdata is None else rdata
        self._targets: dict[Labels, int] = {}
        self._parts: list[_GroupRecords] = []
        self._out = bytearray(_HEADER_SIZE)
        _wire_name(self._out, zone.labels, _lower(zone.labels, self._lowered), self._targets)
        self._out += struct.pack("!HH", int(dns.rdatatype.SOA), int(_IN))
        self._prerequisites = 0  # RRs written
        self.updates = 0  # bytes the update section takes, as measured

    @property
    def size(self) -> int:
        return len(self._out) + self.updates

    # -- measuring the update section ------------------------------------------

    def _name_size(self, labels: Labels) -> int:
        """Bytes the name takes past the first 16 KiB (no new targets)."""
        targets = self._targets
        size = 0
        for index in range(len(labels) - 1):
            if labels[index:] in targets:
                return size + _POINTER
            size += 1 + len(labels[index])
        return size + 1

    def _rdata_wire(self, rdata: dns.rdata.Rdata) -> bytes:
        held = self._rdata.get(id(rdata))
        if held is None:
            held = self._rdata[id(rdata)] = (rdata, rdata.to_wire() or b"")
        return held[1]

    def _rdata_size(self, rdata: dns.rdata.Rdata) -> int:
        value = int(rdata.rdtype)
        if value in _COMPRESSED_TARGET and isinstance(rdata, dns.rdtypes.nsbase.NSBase):
            return self._name_size(_lower(rdata.target.labels, self._lowered))
        if value == _COMPRESSED_MX and isinstance(rdata, dns.rdtypes.mxbase.MXBase):
            return 2 + self._name_size(_lower(rdata.exchange.labels, self._lowered))
        return len(self._rdata_wire(rdata))

    def _measure(self, entry: _Entry) -> int:
        """Bytes `entry` takes in the update section."""
        owner = entry.owner
        lowered = self._lowered.get(owner) or _lower(owner, self._lowered)
        name = self._name_size(lowered) + _RR_FIXED
        if not entry.rdatas:
            return name
        return sum(name + self._rdata_size(rdata) for rdata in entry.rdatas)

    # -- writing ------------------------------------------------------------------

    def _write_rdata(self, rdata: dns.rdata.Rdata, added: list[Labels] | None) -> None:
        out = self._out
        value = int(rdata.rdtype)
        if value in _COMPRESSED_TARGET and isinstance(rdata, dns.rdtypes.nsbase.NSBase):
            target = rdata.target.labels
            _wire_name(out, target, _lower(target, self._lowered), self._targets, added)
        elif value == _COMPRESSED_MX and isinstance(rdata, dns.rdtypes.mxbase.MXBase):
            out += rdata.preference.to_bytes(2, "big")
            exchange = rdata.exchange.labels
            _wire_name(out, exchange, _lower(exchange, self._lowered), self._targets, added)
        else:
            out += self._rdata_wire(rdata)

    def _write(self, entry: _Entry, added: list[Labels] | None) -> int:
        """Append `entry`'s RRs; returns how many."""
        out = self._out
        cls = _WIRE_CLASS[entry.kind]
        owner = entry.owner
        lowered = self._lowered.get(owner) or _lower(owner, self._lowered)
        rdtype = int(entry.rdtype)
        if not entry.rdatas:
            _wire_name(out, owner, lowered, self._targets, added)
            out += struct.pack("!HHIH", rdtype, cls, 0, 0)
            return 1
        for rdata in entry.rdatas:
            _wire_name(out, owner, lowered, self._targets, added)
            out += struct.pack("!HHI", rdtype, cls, entry.ttl)
            length_at = len(out)
            out += b"\0\0"
            self._write_rdata(rdata, added)
            out[length_at : length_at + 2] = (len(out) - length_at - 2).to_bytes(2, "big")
        return len(entry.rdatas)

    # -- growing --------------------------------------------------------------------

    def add(self, part: _GroupRecords, limit: int) -> bool:
        """Append `part` if the message then stays within `limit` bytes.

        When it does not fit, the update section is measured again against
        every target of the message's prerequisites (names measured earlier
        may now point to a later group's name) before giving up."""
        if self._append(part, limit):
            return True
        before = self.updates
        self.finish()
        return self.updates < before and self._append(part, limit)

    def finish(self) -> int:
        """The message's size with every update measured against all its targets."""
        self.updates = sum(
            self._measure(entry) for earlier in self._parts for entry in earlier.updates
        )
        return self.size

    def _append(self, part: _GroupRecords, limit: int) -> bool:
        mark = len(self._out)
        added: list[Labels] = []
        count = sum(self._write(entry, added) for entry in part.prerequisites)
        updates = sum(self._measure(entry) for entry in part.updates)
        if len(self._out) + self.updates + updates > limit:
            del self._out[mark:]
            for suffix in added:
                del self._targets[suffix]
            return False
        self._prerequisites += count
        self.updates += updates
        self._parts.append(part)
        return True

    def wire(self, message_id: int) -> bytes:
        """The whole message (unsigned); the message takes no more groups."""
        updates = sum(self._write(entry, None) for part in self._parts for entry in part.updates)
        self._out[:_HEADER_SIZE] = struct.pack(
            "!HHHHHH", message_id, _UPDATE_FLAGS, 1, self._prerequisites, updates, 0
        )
        return bytes(self._out)


@dataclass(frozen=True, slots=True)
class Batch:
    """One UPDATE message and the plan's changes it carries."""

    wire: bytes  # the whole message, unsigned (`agent.dns_io` signs it when it sends it)
    changes: tuple[Change, ...]
    size: int  # bytes of the signed message
    zone: dns.name.Name
    key: TsigKey | None

    def message(self) -> dns.update.UpdateMessage:
        """The message as dnspython reads it (one RRset per RR), unsigned."""
        message = dns.message.from_wire(self.wire, one_rr_per_rrset=True)
        assert isinstance(message, dns.update.UpdateMessage)
        return message


def build_messages(
    plan: ZonePlan, key: TsigKey, max_size: int = DEFAULT_MAX_SIZE
) -> list[dns.update.UpdateMessage]:
    """The UPDATE messages that carry out `plan`, as dnspython reads them
    (unsigned), each at most `max_size` bytes once signed.

    Raises `MessageTooBigError` when the changes at one name alone exceed the limit.
    """
    return [batch.message() for batch in build_batches(plan, key, max_size)]


def _stuck_hint(group: NameGroup) -> str:
    """What to do when the group changes or removes RRsets as read that are
    themselves too big to travel as its prerequisite."""
    present = [
        f"{dns.rdatatype.to_text(c.rdtype)} ({len(c.current)} RRs)"
        for c in group.changes
        if c.current is not None and not c.release_only
    ]
    if not present:
        return ""
    return (
        f". Changing or removing {', '.join(present)} there carries the RRset as read whole "
        "as a prerequisite (contract §3), so this will fail every run: restore the declared "
        "records as they are, or remove the RRset and its ownership marker by hand "
        "(knsupdate/nsupdate)"
    )


def build_batches(
    plan: ZonePlan, key: TsigKey | None, max_size: int = DEFAULT_MAX_SIZE
) -> list[Batch]:
    """The messages that carry out `plan`, each with the changes it carries,
    written (unsigned) and at most `max_size` bytes once signed with `key`.

    Groups are packed in plan order, each message filled until the next group
    would take it past `max_size`; a group never spans two messages.
    Raises `MessageTooBigError` when the changes at one name alone exceed the limit.
    """
    zone = plan.zone
    limit = max_size - tsig_size(key)
    batches: list[Batch] = []
    parts: list[_GroupRecords] = []
    lowered: dict[Labels, Labels] = {}
    rdata: dict[int, tuple[dns.rdata.Rdata, bytes]] = {}
    model = _Message(zone, lowered, rdata)

    def close() -> None:
        measured = model.finish()
        wire = model.wire(secrets.randbits(16))
        assert len(wire) <= measured, "the size model fell short of the message"
        batches.append(
            Batch(
                wire,
                tuple(change for part in parts for change in part.group.changes),
                len(wire) + tsig_size(key),
                zone,
                key,
            )
        )

    for group in group_changes(plan.changes):
        part = _group_records(group, plan.signed)
        if model.add(part, limit):
            parts.append(part)
            continue
        if parts:
            close()
            parts, model = [], _Message(zone, lowered, rdata)
            if model.add(part, limit):
                parts.append(part)
                continue
        alone = _Message(zone)
        alone.add(part, 1 << 30)
        size = alone.size + tsig_size(key)
        raise MessageTooBigError(
            f"the changes at {group.name.to_text()} need about {size:,} bytes, "
            f"more than one UPDATE message may carry ({max_size:,}), and the changes at "
            "one name are never split (each message is all-or-nothing); nothing was sent. "
            "Split the RRset or declare fewer records at that name" + _stuck_hint(group)
        )
    if parts:
        close()
    return batches
