"""What the planner decides: changes, conflicts and their order. Values only.

A :class:`ZonePlan` is computed purely from the desired records and one zone
snapshot; the applier turns it into UPDATE messages. Every change remembers
the RRsets exactly as they were read, because those become the messages'
prerequisites: if another writer changed them meanwhile, the message fails
atomically instead of clobbering the other writer.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

import dns.name
import dns.rdatatype
import dns.rrset


class Action(StrEnum):
    """What a change does; the values are the metrics' ``action`` label."""

    ADD = "add"  # create an RRset and its marker
    DELETE = "delete"  # remove an owned RRset and its marker
    UPDATE = "update"  # replace the data or TTL of an owned RRset
    ADOPT = "adopt"  # mark an existing unmarked RRset with exactly the desired data
    # replace a hand-made (unmarked, unclaimed) RRset's other data and mark it;
    # only when asked for that RRset by name (--take-over)
    TAKE_OVER = "take-over"


class ConflictKind(StrEnum):
    DHCP = "dhcp"  # the name carries a DHCID: Kea owns it
    EXTERNAL_DNS = "external-dns"  # an ExternalDNS marker claims the name
    OTHER_OWNER = "other-owner"  # another managed-by id marks this RRset
    DIFFERS = "differs"  # an unmarked RRset exists with other data
    CNAME_CLASH = "cname-clash"  # CNAME and other data would share a name
    NOT_ADOPTED = "not-adopted"  # matching unmarked RRset, but adoption is off
    # the declared RRset is someone's ownership marker: a TXT holding a
    # ``heritage=`` text (ExternalDNS's registry record, another owner's marker)
    MARKER = "marker"
    # our marker's name holds what our marker TXT may not join: a CNAME, a
    # DHCID, or a foreign TXT RRset that adding our marker would change (its
    # TTL, or a ``heritage=`` text that is not a co-owner's marker)
    MARKER_OCCUPIED = "marker-occupied"


#: An RRset whose state as read a change's message pins: (the owner name's
#: labels as spelt, root label included, as `dns.name.Name.labels` holds
#: them; type; the RRset as read or None when absent). Type ANY with None
#: pins a name that held nothing as read: "name is not in use" (RFC 2136
#: §2.4.5). Labels, not names: most pinned names hold nothing, and the
#: message is written from labels.
Pin = tuple[tuple[bytes, ...], dns.rdatatype.RdataType, dns.rrset.RRset | None]


@dataclass(frozen=True, slots=True)
class Change:
    """One RRset change at ``name`` (plus the marker change that goes with it)."""

    action: Action
    name: dns.name.Name
    rdtype: dns.rdatatype.RdataType
    current: dns.rrset.RRset | None  # the RRset as read (None: absent)
    desired: dns.rrset.RRset | None  # the RRset to leave behind (None: remove it)
    marker_name: dns.name.Name
    marker_current: dns.rrset.RRset | None  # the whole TXT RRset at marker_name as read
    marker: dns.rrset.RRset  # our one marker RR for this RRset (TTL = defaults.ttl)
    add_marker: bool
    remove_marker: bool
    source: str = ""  # where the record was declared, for messages
    release_only: bool = False  # remove our marker, leave the records (e.g. last apex NS)
    # the RRsets by which DHCP (a DHCID at the name) or ExternalDNS (a registry
    # TXT under a configured layout) would claim the name, as read, and the
    # names (this one, the marker name) that held
    # nothing as read: the message's prerequisites pin them, so a concurrent
    # claim fails it
    claims_as_read: tuple[Pin, ...] = ()

    @property
    def replaces_whole_rrset(self) -> bool:
        """True when the data must be deleted and re-added (a TTL change): Knot
        ignores an add that differs from an existing RR only in its TTL."""
        return (
            self.current is not None
            and self.desired is not None
            and self.current.ttl != self.desired.ttl
        )


@dataclass(frozen=True, slots=True)
class Conflict:
    """A desired RRset the agent will not touch, and why."""

    kind: ConflictKind
    name: dns.name.Name
    rdtype: dns.rdatatype.RdataType
    current: dns.rrset.RRset | None
    desired: dns.rrset.RRset
    detail: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class ZonePlan:
    zone: dns.name.Name
    serial: int  # SOA serial of the snapshot the plan was made from
    changes: tuple[Change, ...]
    conflicts: tuple[Conflict, ...]
    owned_before: int  # RRsets carrying our marker in the snapshot
    warnings: tuple[str, ...] = ()
    signed: bool = False  # the zone is DNSSEC-signed by the server (a DNSKEY at its apex)

    @property
    def in_sync(self) -> bool:
        return not self.changes

    @property
    def owned_after(self) -> int:
        """RRsets we will own once every change is applied."""
        delta = {
            Action.ADD: 1,
            Action.ADOPT: 1,
            Action.TAKE_OVER: 1,
            Action.DELETE: -1,
            Action.UPDATE: 0,
        }
        return self.owned_before + sum(delta[c.action] for c in self.changes)

    def counts(self) -> dict[Action, int]:
        found = Counter(c.action for c in self.changes)
        return {action: found.get(action, 0) for action in Action}

    @property
    def deletes(self) -> int:
        return sum(1 for c in self.changes if c.action is Action.DELETE)
