"""One pass over every record into the lookups the rules share.

Rules never scan the record list for each record: they look names up here, so
checking stays linear in the number of records.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from checker.model import Desired, Record
from checker.names import DomainName, ParsedName
from checker.problems import Location, Problem, Severity
from checker.rdata import T_CNAME, T_NS, Address, RType, Target

Labels = tuple[bytes, ...]
# A record together with the position of its document in the checked set.
Entry = tuple[int, Record]
RRsetKey = tuple[DomainName, DomainName, RType]  # zone, owner, type


class Index(NamedTuple):
    desireds: tuple[Desired, ...]
    zone_labels: frozenset[Labels]  # every zone of the document set
    by_name: dict[DomainName, list[Entry]]  # every record, every document
    # per document: the RRsets at names with several records in the document
    # set (a name's only record is an RRset of one, found in ``typed``)
    rrsets: tuple[dict[RRsetKey, list[Record]], ...]
    # per document: type -> its records in document order (every type a key)
    typed: tuple[dict[RType, list[Record]], ...]
    cnames: dict[DomainName, list[Record]]  # every document
    addresses: dict[DomainName, list[Record]]  # A and AAAA, every document
    holders: dict[int, list[Record]]  # address key -> A/AAAA records holding it
    # zone -> delegation point (a non-apex NS owner) -> its NS records
    cuts: dict[DomainName, dict[Labels, list[Record]]]
    cut_targets: dict[DomainName, frozenset[DomainName]]  # zone -> targets of those NS
    zone_names: dict[Labels, DomainName]  # every zone of the document set, by its labels
    # zones with a more specific zone of the document set below them
    parent_zones: frozenset[DomainName]

    @classmethod
    def build(cls, desireds: Sequence[Desired]) -> Index:
        zone_labels: set[Labels] = set()
        by_name: dict[DomainName, list[Entry]] = {}
        typed_all: list[dict[RType, list[Record]]] = []
        cnames: dict[DomainName, list[Record]] = {}
        addresses: dict[DomainName, list[Record]] = {}
        holders: dict[int, list[Record]] = {}
        cuts: dict[DomainName, dict[Labels, list[Record]]] = defaultdict(lambda: defaultdict(list))
        ns_rtype, cname_rtype = T_NS, T_CNAME
        for doc, desired in enumerate(desireds):
            zone_labels.update(z.labels for z in desired.zones)
            typed: dict[RType, list[Record]] = {rtype: [] for rtype in RType}
            # setdefault: one hash per record and key (most keys are new)
            by_name_at = by_name.setdefault
            addresses_at, holders_at = addresses.setdefault, holders.setdefault
            # A name's records often come one after another: the lists of the
            # last owner are at hand without a lookup.
            last: DomainName | None = None
            at_name: list[Entry] = []
            last_held: DomainName | None = None
            held: list[Record] = []
            for record in desired.records:
                owner, rtype = record.owner, record.rtype
                typed[rtype].append(record)
                if owner is not last:
                    last = owner
                    at_name = by_name_at(owner, [])
                at_name.append((doc, record))
                rdata = record.rdata
                if type(rdata) is Address:
                    if owner is not last_held:
                        last_held = owner
                        held = addresses_at(owner, [])
                    held.append(record)
                    holders_at(rdata.key, []).append(record)
                elif rtype is cname_rtype:
                    cnames.setdefault(owner, []).append(record)
                elif rtype is ns_rtype and owner != record.zone:
                    cuts[record.zone][owner.labels].append(record)
            typed_all.append(typed)
        # Most names hold one record: only the others can hold an RRset of several.
        rrsets_all: list[dict[RRsetKey, list[Record]]] = [{} for _ in desireds]
        for entries in by_name.values():
            if len(entries) > 1:
                for doc, record in entries:
                    key = (record.zone, record.owner, record.rtype)
                    rrsets_all[doc].setdefault(key, []).append(record)
        cut_targets = {
            zone: frozenset(
                r.rdata.target.name
                for ns in points.values()
                for r in ns
                if isinstance(r.rdata, Target)
            )
            for zone, points in cuts.items()
        }
        zone_names = {labels: DomainName(labels) for labels in zone_labels}
        parent_zones = frozenset(
            DomainName(labels[i:])
            for labels in zone_labels
            for i in range(1, len(labels) + 1)
            if labels[i:] in zone_labels
        )
        return cls(
            desireds=tuple(desireds),
            zone_labels=frozenset(zone_labels),
            by_name=by_name,
            rrsets=tuple(rrsets_all),
            typed=tuple(typed_all),
            cnames=cnames,
            addresses=addresses,
            holders=holders,
            cuts={zone: dict(points) for zone, points in cuts.items()},
            cut_targets=cut_targets,
            zone_names=zone_names,
            parent_zones=parent_zones,
        )

    def zone_of(self, name: DomainName) -> DomainName | None:
        """The most specific zone of the document set that holds ``name``."""
        labels = name.labels
        zones = self.zone_names
        for i in range(len(labels) + 1):
            zone = zones.get(labels[i:])
            if zone is not None:
                return zone
        return None

    def cut_above(self, zone: DomainName, name: DomainName) -> DomainName | None:
        """The highest delegation point in ``zone`` at or above ``name`` (not the apex)."""
        points = self.cuts.get(zone)
        if not points:
            return None
        labels = name.labels
        for i in range(len(labels) - len(zone.labels) - 1, -1, -1):
            if labels[i:] in points:
                return DomainName(labels[i:])
        return None


def problem(
    rule: str,
    record: Record,
    message: str,
    hint: str,
    severity: Severity = Severity.ERROR,
) -> Problem:
    return Problem(rule, severity, record.location(), message, hint)


def doc_problem(rule: str, desired: Desired, where: str, message: str, hint: str) -> Problem:
    return Problem(
        rule, Severity.ERROR, Location("", "", "", where, desired.document), message, hint
    )


def ref(record: Record, here: DomainName | None = None) -> str:
    """Another record as messages mention it: name, type, data and its source.

    The name is relative when the record is in zone ``here``, else absolute."""
    name = record.name if record.zone == here else record.owner.to_text()
    return f"{name} {record.rtype} {record.written_data.strip()} ({record.source})"


def refs(records: Iterable[Record], here: DomainName | None = None, limit: int = 3) -> str:
    items = sorted(records, key=sort_key)
    shown = [ref(r, here) for r in items[:limit]]
    if len(items) > limit:
        shown.append(f"and {len(items) - limit} more")
    return ", ".join(shown)


def sort_key(record: Record) -> tuple[str, str, str, int, str, str, str]:
    """A deterministic order, independent of the order records were written in."""
    return (
        record.document,
        record.source,
        record.rdata.to_text(),
        record.ttl,
        record.zone.to_text(),
        record.written_name,
        record.written_data,
    )


def looks_like_address(text: str) -> bool:
    """True when a name as written is really an IP address (``10.0.0.53``, ``fd00::1``)."""
    body = text[:-1] if text.endswith(".") else text
    if not body or not (body[0].isdigit() or ":" in body):
        return False
    try:
        ipaddress.ip_address(body)
    except ValueError:
        return False
    return True


def suspect(target: ParsedName, zone: DomainName) -> bool:
    """A target the trailing-dot rule already reports; other rules leave it alone."""
    if target.absolute or target.written == "@":
        return looks_like_address(target.written)
    return len(target.name.labels) - len(zone.labels) > 1 or looks_like_address(target.written)
