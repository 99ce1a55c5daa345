"""Where records sit: child zones, delegations, and the missing trailing dot.

- ``in-child-zone`` (error): the owner lies in a more specific zone of the
  document set, which answers for it instead.
- ``occluded`` (error): the owner lies at or below a non-apex NS delegation
  of its zone; only the delegation's NS and the glue addresses of in-zone NS
  targets belong there.
- ``trailing-dot`` (error): a relative name that was almost certainly meant
  to be absolute (``ns0.internal`` in zone ``internal``), or an IP address
  where a host name belongs.
"""

from __future__ import annotations

from collections.abc import Iterator

from checker.model import Record
from checker.names import DomainName, ParsedName
from checker.problems import Problem
from checker.rdata import ADDRESS_TYPES, T_CNAME, T_MX, T_NS, T_PTR, T_SRV
from checker.rules.index import Index, looks_like_address, problem, refs

_FIELD = {T_MX: "MX exchange", T_SRV: "SRV target"}
# The types whose data names hosts (RDATA with targets).
_TARGET_TYPES = (T_CNAME, T_NS, T_PTR, T_MX, T_SRV)


def check(index: Index) -> Iterator[Problem]:
    # An owner lies inside its zone, so only a zone with a more specific zone of
    # the documents below it, or with delegations, can hold misplaced records.
    crowded = index.parent_zones | index.cuts.keys()
    for desired in index.desireds:
        zone: DomainName | None = None
        zone_len, zone_last, in_crowded = 0, b"", False
        for record in desired.records:
            if record.zone is not zone:  # records come zone by zone
                zone = record.zone
                zone_len, zone_last = len(zone.labels), zone.labels[-1]
                in_crowded = zone in crowded
            if in_crowded:
                yield from _zone_and_cut(index, record)
            # The owner part of the rule needs relative labels that end in the
            # zone's own name: the last of them is the zone's last label.
            owner_labels = record.owner.labels
            relative = len(owner_labels) - zone_len
            if relative >= zone_len and owner_labels[relative - 1] == zone_last:
                yield from _owner_dot(record)
    # Only records whose data names a host have targets to look at.
    for typed in index.typed:
        for rtype in _TARGET_TYPES:
            for record in typed[rtype]:
                for target in record.rdata.targets():
                    if _suspicious(target):
                        yield from _target_dot(record, target)


def _suspicious(target: ParsedName) -> bool:
    """Whether the trailing-dot rule may have something to say about a target:
    a relative name with a dot, or one that may be an address."""
    text = target.written
    return ("." in text and not target.absolute) or text[:1].isdigit() or ":" in text


def _zone_and_cut(index: Index, record: Record) -> Iterator[Problem]:
    zone, owner = record.zone, record.owner
    deeper = index.zone_of(owner)
    if deeper is not None and deeper != zone:
        if record.rtype is T_NS and owner == deeper:
            return  # the parent's delegation to the child zone
        if record.rtype in ADDRESS_TYPES and owner in index.cut_targets.get(zone, ()):
            return  # glue for that delegation
        yield problem(
            "in-child-zone",
            record,
            f"{owner.to_text()} lies in zone {deeper.display()}, which these documents also "
            f"declare; the server answers for it from that zone, so this record in "
            f"{zone.display()} is never served",
            f"move it to zone {deeper.display()} as '{owner.relative_to(deeper)}'",
        )
        return
    cut = index.cut_above(zone, owner)
    if cut is None:
        return
    delegation = index.cuts[zone][cut.labels]
    if owner == cut and record.rtype is T_NS:
        return
    if record.rtype in ADDRESS_TYPES and owner in index.cut_targets[zone]:
        return  # glue for an in-zone name server of a delegation
    cut_name = cut.relative_to(zone)
    where = "at" if owner == cut else "below"
    yield problem(
        "occluded",
        record,
        f"{record.name} is {where} the delegation of {cut_name} ({refs(delegation, zone)}), "
        f"so zone {zone.display()} is not authoritative for it and never answers with it; "
        "only the delegation's NS records and glue addresses of its name servers belong there",
        f"put this record in the delegated zone {cut.display()}, or remove the delegation",
    )


def _owner_dot(record: Record) -> Iterator[Problem]:
    zone = record.zone
    written = record.written_name
    owner_rel = len(record.owner.labels) - len(zone.labels)
    if (
        written != "@"
        and not written.endswith(".")
        and owner_rel >= len(zone.labels)
        and record.owner.labels[owner_rel - len(zone.labels) : owner_rel] == zone.labels
    ):
        meant = record.owner.labels[: owner_rel - len(zone.labels)]
        meant_rel = DomainName(meant).display() if meant else "@"
        yield problem(
            "trailing-dot",
            record,
            f"owner '{written}' has no trailing dot, so it is relative to the zone and reads as "
            f"{record.owner.to_text()}, not {written}.",
            f"write '{meant_rel}' (relative to {zone.display()}) or '{written}.' (absolute)",
        )


def _target_dot(record: Record, target: ParsedName) -> Iterator[Problem]:
    zone = record.zone
    field = _FIELD.get(record.rtype, f"{record.rtype} target")
    text = target.written
    if looks_like_address(text):
        yield problem(
            "trailing-dot",
            record,
            f"{field} '{text}' is an IP address, but {record.rtype} data needs a host name"
            + (
                f" (as written it reads as the name {target.name.to_text()})"
                if not target.absolute
                else ""
            ),
            _address_hint(record, text.rstrip(".")),
        )
        return
    if target.absolute or text == "@":
        return
    if len(target.name.labels) - len(zone.labels) > 1:
        yield problem(
            "trailing-dot",
            record,
            f"{field} '{text}' has no trailing dot, so it is relative to the zone and reads "
            f"as {target.name.to_text()}, not {text}.",
            f"write '{text}.' if you meant {text}.; if you really meant the name inside "
            f"{zone.display()}, write it in full: '{target.name.to_text()}'",
        )


def _address_hint(record: Record, address: str) -> str:
    if record.rtype is T_CNAME:
        return f"to give {record.name} that address, replace the CNAME with an A/AAAA record"
    if record.rtype is T_PTR:
        return "a PTR points to the host name that holds the address (e.g. host.example.)"
    return f"name the host (an A/AAAA record holding {address}) and point at that name"
