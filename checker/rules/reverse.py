"""Reverse DNS: PTR owners and PTR/A consistency across the documents' zones.

- ``ptr-owner`` (error): a PTR in in-addr.arpa / ip6.arpa whose owner does
  not spell a whole address (4 octets / 32 nibbles, reversed). RFC 2317
  classless names (a label with ``/`` or ``-``) are left alone.
- ``ptr-mismatch``: a PTR whose target lies in a zone of the documents, but
  that name holds no A/AAAA with exactly this address. An error when the
  documents give the target other addresses of that family (forward and
  reverse disagree); a warning when they give it none (DHCP, ExternalDNS or
  a hand-made record may hold it in the shared zone).
- ``ptr-missing`` (warning): an A/AAAA whose address lies in a reverse zone
  of the documents, with no PTR for it. RFC 2317 classless delegation
  counts: a CNAME at the address's reverse name leads to its PTR (checked
  like one written there), or out of the documents (served elsewhere), as
  does a delegation (NS) above the reverse name.
- ``ptr-duplicate`` (warning): several PTR records for one address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from checker.model import Record
from checker.names import DomainName
from checker.problems import Problem, Severity
from checker.rdata import T_A, T_AAAA, T_CNAME, T_PTR, V6_FLAG, Target, address_of
from checker.rules.index import Index, Labels, problem, refs, sort_key, suspect

V4_SUFFIX: Labels = (b"in-addr", b"arpa")
V6_SUFFIX: Labels = (b"ip6", b"arpa")
_HEX = frozenset(b"0123456789abcdef")
# Every octet as a reverse-name label spells it: decimal, no leading zeros.
_OCTETS = {str(n).encode(): n for n in range(256)}


def decode(owner: DomainName) -> int | str | None:
    """The address a reverse name spells (its key, see
    :data:`checker.rdata.V6_FLAG`); a reason string if it spells none; None
    when the name is not a reverse name (or is RFC 2317 classless)."""
    labels = owner.labels
    if labels[-2:] == V4_SUFFIX:
        octets = labels[:-2]
        if len(octets) == 4:
            d, c, b, a = map(_OCTETS.get, octets)
            if a is not None and b is not None and c is not None and d is not None:
                return a << 24 | b << 16 | c << 8 | d
        if any(b"/" in o or b"-" in o for o in octets):
            return None
        if len(octets) != 4:
            return f"in-addr.arpa names need four octets, this one has {len(octets)}"
        return "each label must be a decimal octet 0..255 without leading zeros"
    if labels[-2:] == V6_SUFFIX:
        nibbles = labels[:-2]
        if len(nibbles) != 32:
            return f"ip6.arpa names need 32 nibbles, this one has {len(nibbles)}"
        if not all(len(n) == 1 and n[0] in _HEX for n in nibbles):
            return "each label must be a single hex digit"
        return int(b"".join(reversed(nibbles)).decode(), 16) | V6_FLAG
    return None


def _networks(index: Index) -> tuple[dict[int, DomainName], dict[tuple[int, int], DomainName]]:
    """Reverse zones of the document set as (prefix length, network bits) keys."""
    v4: dict[int, DomainName] = {}  # key: prefix_len << 32 | network
    v6: dict[tuple[int, int], DomainName] = {}
    for labels in index.zone_labels:
        zone = DomainName(labels)
        if labels[-2:] == V4_SUFFIX:
            parts = labels[:-2]
            if len(parts) <= 4 and all(p.isdigit() and int(p) <= 255 for p in parts):
                value = 0
                for p in reversed(parts):
                    value = value << 8 | int(p)
                v4[len(parts) * 8 << 32 | value] = zone
        elif labels[-2:] == V6_SUFFIX:
            parts = labels[:-2]
            if len(parts) <= 32 and all(len(p) == 1 and p[0] in _HEX for p in parts):
                value = int(b"".join(reversed(parts)).decode() or "0", 16)
                v6[(len(parts) * 4, value)] = zone
    return v4, v6


def _reverse_zone(
    key: int,
    v4: dict[int, DomainName],
    v6: dict[tuple[int, int], DomainName],
) -> DomainName | None:
    """The most specific reverse zone of the documents that holds the address."""
    if key < V6_FLAG:
        if not v4:
            return None
        value = key
        for bits in (32, 24, 16, 8, 0):
            zone = v4.get(bits << 32 | value >> (32 - bits))
            if zone is not None:
                return zone
        return None
    if not v6:
        return None
    value = key ^ V6_FLAG
    for bits in range(128, -1, -4):
        zone6 = v6.get((bits, value >> (128 - bits)))
        if zone6 is not None:
            return zone6
    return None


def check(index: Index) -> Iterator[Problem]:
    ptr_for: dict[int, list[Record]] = {}  # address key -> the PTRs that name it
    for typed in index.typed:
        for record in typed[T_PTR]:
            decoded = decode(record.owner)
            if decoded is None:
                continue
            if isinstance(decoded, str):
                yield _owner_problem(record, decoded)
                continue
            ptr_for.setdefault(decoded, []).append(record)
            if not _confirmed(index, record, decoded):
                yield from _mismatch(index, record, decoded)
    elsewhere: set[int] = set()  # addresses whose PTR is served outside the documents
    for key, ptr in _classless(index, elsewhere):
        ptr_for.setdefault(key, []).append(ptr)
        if not _confirmed(index, ptr, key):
            yield from _mismatch(index, ptr, key)
    yield from _duplicates(ptr_for)
    yield from _missing(index, ptr_for, elsewhere)


def _classless(index: Index, elsewhere: set[int]) -> Iterator[tuple[int, Record]]:
    """RFC 2317 classless reverse delegation: a CNAME at an address's reverse
    name (``1.0.0.10.in-addr.arpa. CNAME 1.0/26.0.0.10.in-addr.arpa.``) makes
    the PTRs at its target that address's PTRs. Yields (address key, PTR);
    adds to ``elsewhere`` the addresses whose CNAME leads out of the
    documents or below a delegation, where another server answers."""
    for typed in index.typed:
        for cname in typed[T_CNAME]:
            rdata = cname.rdata
            key = decode(cname.owner)
            if not isinstance(key, int) or not isinstance(rdata, Target):
                continue
            target = rdata.target.name
            ptrs = [r for _, r in index.by_name.get(target, ()) if r.rtype is T_PTR]
            if ptrs:
                for ptr in ptrs:
                    yield key, ptr
                continue
            zone = index.zone_of(target)
            if zone is None or index.cut_above(zone, target) is not None:
                elsewhere.add(key)


def _owner_problem(record: Record, reason: str) -> Problem:
    v6 = record.owner.labels[-2:] == V6_SUFFIX
    example = "2001:db8::1" if v6 else "10.0.0.53"
    full = DomainName(tuple(ipaddress.ip_address(example).reverse_pointer.encode().split(b".")))
    return problem(
        "ptr-owner",
        record,
        f"PTR owner {record.owner.to_text()} does not name a whole address: {reason}",
        "a reverse name lists every "
        + ("nibble of the IPv6 address" if v6 else "octet of the address")
        + f" in reverse order under {'ip6' if v6 else 'in-addr'}.arpa; e.g. the PTR for "
        f"{example} is {full.to_text()}"
        + (
            f", written '{full.relative_to(record.zone)}' in zone {record.zone.display()}"
            if full.is_subdomain_of(record.zone) and full != record.zone
            else ""
        ),
    )


def _confirmed(index: Index, record: Record, key: int) -> bool:
    """Whether the PTR's target holds the address ``key`` the PTR names (the
    usual case: forward and reverse agree)."""
    rdata = record.rdata
    if type(rdata) is not Target:
        return False
    target = rdata.target.name
    for holder in index.holders.get(key, ()):  # noqa: SIM110  (no generator per PTR)
        if holder.owner == target:
            return True
    return False


def _mismatch(index: Index, record: Record, key: int) -> Iterator[Problem]:
    """``ptr-mismatch`` for a PTR that names the address ``key`` its target
    does not hold (not :func:`_confirmed`)."""
    rdata = record.rdata
    if not isinstance(rdata, Target):
        return
    target = rdata.target.name
    family = T_A if key < V6_FLAG else T_AAAA
    held = [holder for holder in index.addresses.get(target, ()) if holder.rtype is family]
    if suspect(rdata.target, record.zone):
        return
    zone = index.zone_of(target)
    if zone is None or target in index.cnames or index.cut_above(zone, target) is not None:
        return
    address = address_of(key)
    holders = [r for r in index.holders.get(key, ()) if r.owner != target]
    add = f"'{target.relative_to(zone)} {family} {address}' in zone {zone.display()}"
    if holders:
        better = sorted({r.owner.to_text() for r in holders})
        hint = f"point the PTR at {' or '.join(better)} (which holds {address}), or add {add}"
    elif held:
        hint = f"add {add}, or point the PTR at the name that holds the address"
    else:
        hint = (
            f"add {add}, or make sure the system that writes {target.to_text()} gives it "
            f"{address}; if it does, accept this finding with a reviewed exception"
        )
    if held:
        yield problem(
            "ptr-mismatch",
            record,
            f"the PTR for {address} points to {target.to_text()}, which holds "
            f"{refs(held, record.zone)}, not {address}; forward and reverse lookups disagree",
            hint,
        )
    else:
        yield problem(
            "ptr-mismatch",
            record,
            f"the PTR for {address} points to {target.to_text()}, which has no {family} record "
            f"in these documents (its zone {zone.display()} is here); if no other writer of "
            "the zone gives it that address, forward and reverse lookups disagree",
            hint,
            Severity.WARNING,
        )


def _duplicates(ptr_for: dict[int, list[Record]]) -> Iterator[Problem]:
    for key, records in ptr_for.items():
        if len(records) < 2:
            continue  # one PTR has one target
        per_doc: dict[str, list[Record]] = {}
        for record in records:
            per_doc.setdefault(record.document, []).append(record)
        for same_doc in per_doc.values():
            distinct = {r.rdata.to_text() for r in same_doc}
            if len(distinct) < 2:
                continue
            first = min(same_doc, key=sort_key)
            yield problem(
                "ptr-duplicate",
                first,
                f"{address_of(key)} has {len(distinct)} PTR targets: {refs(same_doc, first.zone)}; "
                "resolvers return them in any order and most software uses only the first",
                "keep one PTR per address: the name the host should appear as in logs and "
                "mail checks",
                Severity.WARNING,
            )


def _missing(
    index: Index, ptr_for: dict[int, list[Record]], elsewhere: set[int]
) -> Iterator[Problem]:
    v4, v6 = _networks(index)
    if not v4 and not v6:
        return
    for key, records in index.holders.items():
        if key in ptr_for or key in elsewhere:
            continue
        zone = _reverse_zone(key, v4, v6)
        if zone is None:
            continue
        address = address_of(key)
        reverse = DomainName(tuple(address.reverse_pointer.encode().split(b".")))
        if index.cut_above(zone, reverse) is not None:
            continue  # delegated: the child zone's server holds the PTR
        for record in records:
            yield problem(
                "ptr-missing",
                record,
                f"{address} lies in reverse zone {zone.display()} of these documents, but no "
                "PTR names it",
                f"add '{reverse.relative_to(zone)} PTR {record.owner.to_text()}' in zone "
                f"{zone.display()}, unless another system (e.g. DHCP) writes that PTR",
                Severity.WARNING,
            )
