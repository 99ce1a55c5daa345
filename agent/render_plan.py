"""A ZonePlan as text lines and as JSON-ready data. Pure, no I/O.

Text lines (names relative to the zone, ``@`` for the apex)::

    + www A 300 10.0.0.80  (zones.internal.subdomains.www.A)
    - old A 300 10.0.0.9
    ~ www A 300 10.0.0.80 → 60 10.0.0.80  (zones.internal.subdomains.www.A)
    = ns1 A 300 10.1.0.53 adopt  (zones.internal.subdomains.ns1.A)
    ^ @ NS 3600 ns0.internal. → 3600 ns0.internal. | ns1.internal. take-over  (zones.internal.NS)
    - @ NS release: ownership marker removed, records kept
    ! forge A skipped: external-dns: ExternalDNS claims the name ...  (source)

Ownership markers are not shown: every +, = and ^ brings one, every - takes one.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, TypedDict

import dns.name
import dns.rdatatype
import dns.rrset

from agent.names import relative_text, text
from agent.plan import Action, Change, Conflict, ZonePlan

ARROW = "→"


class RRsetJSON(TypedDict):
    ttl: int
    data: list[str]


class ChangeJSON(TypedDict):
    action: str
    name: str
    fqdn: str
    type: str
    before: RRsetJSON | None
    after: RRsetJSON | None
    marker: str
    add_marker: bool
    remove_marker: bool
    release_only: bool
    source: str


class ConflictJSON(TypedDict):
    kind: str
    name: str
    fqdn: str
    type: str
    current: RRsetJSON | None
    desired: RRsetJSON
    detail: str
    source: str


class PlanJSON(TypedDict):
    zone: str
    serial: int
    in_sync: bool
    counts: dict[str, int]
    owned_before: int
    owned_after: int
    changes: list[ChangeJSON]
    conflicts: list[ConflictJSON]
    warnings: list[str]


def zone_text(zone: dns.name.Name) -> str:
    return zone.to_text(omit_final_dot=True) or "."


def relative(name: dns.name.Name, zone: dns.name.Name) -> str:
    return relative_text(name, zone)


@functools.cache
def _type_text(rdtype: dns.rdatatype.RdataType) -> str:
    """The type's mnemonic (``dns.rdatatype.to_text``, a lookup of its own per
    call), once per type: every change line and JSON change names its type."""
    return dns.rdatatype.to_text(rdtype)


def _data(rrset: dns.rrset.RRset) -> list[str]:
    return sorted(rd.to_text() for rd in rrset)


def _rrset_text(rrset: dns.rrset.RRset) -> str:
    return f"{rrset.ttl} " + " | ".join(_data(rrset))


def _source(source: str) -> str:
    return f"  ({source})" if source else ""


def change_lines(change: Change, zone: dns.name.Name) -> list[str]:
    """The text lines of one change (one per RR for + and -)."""
    name = relative(change.name, zone)
    rtype = _type_text(change.rdtype)
    src = _source(change.source)
    if change.release_only:
        return [f"- {name} {rtype} release: ownership marker removed, records kept{src}"]
    if change.action is Action.ADD and change.desired is not None:
        ttl = change.desired.ttl
        return [f"+ {name} {rtype} {ttl} {data}{src}" for data in _data(change.desired)]
    if change.action is Action.DELETE:
        if change.current is None:
            return [f"- {name} {rtype} stale ownership marker (the records are gone)"]
        ttl = change.current.ttl
        return [f"- {name} {rtype} {ttl} {data}" for data in _data(change.current)]
    if change.action is Action.ADOPT and change.desired is not None:
        lines = [f"= {name} {rtype} {_rrset_text(change.desired)} adopt{src}"]
        if change.current is not None and change.current.ttl != change.desired.ttl:
            lines[0] = (
                f"= {name} {rtype} {_rrset_text(change.current)} {ARROW} "
                f"{_rrset_text(change.desired)} adopt{src}"
            )
        return lines
    if (
        change.current is not None
        and change.desired is not None
        and _rrset_text(change.current) == _rrset_text(change.desired)
    ):
        return [f"~ {name} {rtype} ownership marker TTL {ARROW} {change.marker.ttl}{src}"]
    before = _rrset_text(change.current) if change.current is not None else "nothing"
    if change.action is Action.TAKE_OVER and change.desired is not None:
        return [f"^ {name} {rtype} {before} {ARROW} {_rrset_text(change.desired)} take-over{src}"]
    after = _rrset_text(change.desired) if change.desired is not None else "nothing"
    return [f"~ {name} {rtype} {before} {ARROW} {after}{src}"]


def conflict_line(conflict: Conflict, zone: dns.name.Name) -> str:
    name = relative(conflict.name, zone)
    rtype = _type_text(conflict.rdtype)
    return f"! {name} {rtype} skipped: {conflict.kind}: {conflict.detail}{_source(conflict.source)}"


def counts_text(counts: Mapping[Action, int]) -> str:
    """``"2 add, 0 delete, 0 update, 1 adopt"``; take-overs only when there are
    some (they are rare and explicit)."""
    return ", ".join(
        f"{counts.get(a, 0)} {a}" for a in Action if a is not Action.TAKE_OVER or counts.get(a, 0)
    )


def summary(plan: ZonePlan) -> str:
    parts = counts_text(plan.counts())
    state = "in sync" if plan.in_sync else f"{len(plan.changes)} change(s) pending"
    return (
        f"zone {zone_text(plan.zone)} (serial {plan.serial}): {state} ({parts}); "
        f"{len(plan.conflicts)} conflict(s) skipped; owned RRsets {plan.owned_before} "
        f"{ARROW} {plan.owned_after}"
    )


def plan_lines(plan: ZonePlan) -> list[str]:
    """Every change, then every conflict, then warnings, then the summary."""
    lines = [f"zone {zone_text(plan.zone)}:"]
    for change in plan.changes:
        lines.extend(change_lines(change, plan.zone))
    lines.extend(conflict_line(c, plan.zone) for c in plan.conflicts)
    lines.extend(f"warning: {w}" for w in plan.warnings)
    lines.append(summary(plan))
    return lines


def render_text(plan: ZonePlan) -> str:
    return "\n".join(plan_lines(plan)) + "\n"


def _rrset_json(rrset: dns.rrset.RRset | None) -> RRsetJSON | None:
    if rrset is None:
        return None
    return {"ttl": rrset.ttl, "data": _data(rrset)}


def change_json(change: Change, zone: dns.name.Name) -> ChangeJSON:
    return {
        "action": str(change.action),
        "name": relative(change.name, zone),
        "fqdn": text(change.name),
        "type": _type_text(change.rdtype),
        "before": _rrset_json(change.current),
        "after": _rrset_json(change.desired),
        "marker": text(change.marker_name),
        "add_marker": change.add_marker,
        "remove_marker": change.remove_marker,
        "release_only": change.release_only,
        "source": change.source,
    }


def conflict_json(conflict: Conflict, zone: dns.name.Name) -> ConflictJSON:
    desired = _rrset_json(conflict.desired)
    assert desired is not None
    return {
        "kind": str(conflict.kind),
        "name": relative(conflict.name, zone),
        "fqdn": conflict.name.to_text(),
        "type": _type_text(conflict.rdtype),
        "current": _rrset_json(conflict.current),
        "desired": desired,
        "detail": conflict.detail,
        "source": conflict.source,
    }


def plan_json(plan: ZonePlan) -> PlanJSON:
    return {
        "zone": zone_text(plan.zone),
        "serial": plan.serial,
        "in_sync": plan.in_sync,
        "counts": {str(a): n for a, n in plan.counts().items()},
        "owned_before": plan.owned_before,
        "owned_after": plan.owned_after,
        "changes": [change_json(c, plan.zone) for c in plan.changes],
        "conflicts": [conflict_json(c, plan.zone) for c in plan.conflicts],
        "warnings": list(plan.warnings),
    }


def as_any(value: PlanJSON) -> dict[str, Any]:
    """The TypedDict as a plain dict, for callers that extend it."""
    return dict(value)
