"""RRset rules, within one document.

- ``ttl-mismatch`` (error): records of one RRset with different TTLs
  (RFC 2181 §5.2).
- ``duplicate-record`` (warning): the same record written twice.
- ``rrset-size`` (error): an RRset too big to change or remove once written.
  The agent's change of an RRset carries the whole RRset as read as a
  prerequisite (RFC 2136 §2.4.2) and a TTL change re-adds it whole, in one
  UPDATE message of at most 65,535 bytes (RFC 1035 §4.2.2): an RRset may
  take about half a message. Its size is estimated from the RDATA, the
  marker, the claim prerequisites of the document's ExternalDNS layouts
  (every registry name, uncompressed) and the largest TSIG record any key
  can add (a 255-octet key name, hmac-sha512), so never short of what the
  agent measures with the key in use: what passes here passes the agent.
  MX, NS, CNAME and PTR targets are compressed as the agent's writer does,
  counting only the pointers it can use in any order: to the zone's name,
  and the second copy's to first-copy targets below offset 16,384
  (`_second_copy_savings`); suffixes shared between targets are not
  counted on, so an RRset of long targets sharing a long suffix may be
  refused here that the agent would still write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from checker.model import Owner, Record
from checker.names import DomainName
from checker.problems import Problem, Severity
from checker.rdata import CAA, MX, SRV, TXT, Address, Rdata, Target
from checker.registry_names import TYPE_TOKENS, registry_names
from checker.rules.index import Index, problem, ref, refs, sort_key

Layouts = tuple[tuple[str, str, str], ...]

#: The largest UPDATE message over TCP (RFC 1035 §4.2.2), TSIG included.
MAX_MESSAGE = 65_535
# An RR in the update section besides its RDATA: a compressed owner name
# (2), type, class, TTL and RDLENGTH (10).
_RR_OVERHEAD = 12
# The type, class, TTL and RDLENGTH of an RR (RFC 1035 §4.1.3).
_RR_FIXED = 10
# The largest TSIG record (RFC 8945 §4.2): a 255-octet key name, the fixed
# fields, the algorithm name hmac-sha512. (13 octets), 16 octets of times,
# sizes and error, and a 64-octet MAC.
TSIG_MAX = 255 + _RR_FIXED + 13 + 16 + 64
# Header (12), the zone section's type and class (4), the delete of the
# RRset (an RR without RDATA) and the "no CNAME" and "no DHCID" pins.
_FIXED = 12 + 4 + 3 * _RR_OVERHEAD
# Offsets a compression pointer can reach (14 bits, RFC 1035 §4.1.4).
_POINTER_LIMIT = 1 << 14
# The longest RDATA of every type but TXT and CAA: a name plus SRV's fixed
# fields. An RRset of such types that fits with this bound is not measured.
_RDATA_BOUND = 6 + 255


def check(index: Index) -> Iterator[Problem]:
    for desired, rrsets in zip(index.desireds, index.rrsets, strict=True):
        for records in rrsets.values():
            if len(records) > 1:
                yield from _ttl(records)
                yield from _duplicates(records)
            yield from _size(records, desired.owner, desired.layouts)


def _ttl(records: list[Record]) -> Iterator[Problem]:
    counts = Counter(r.ttl for r in records)
    if len(counts) == 1:
        return
    # The most common TTL is the reference; on a tie, the lowest.
    reference = min(counts, key=lambda ttl: (-counts[ttl], ttl))
    agreeing = [r for r in records if r.ttl == reference]
    for record in records:
        if record.ttl != reference:
            yield problem(
                "ttl-mismatch",
                record,
                f"TTL {record.ttl} differs from TTL {reference} of "
                f"{refs(agreeing, record.zone)} in the same RRset; all records of one name and "
                "type share one TTL (RFC 2181 §5.2), so the server would not keep both",
                f"give every {record.name} {record.rtype} record the same TTL, e.g. {reference}",
            )


def _duplicates(records: list[Record]) -> Iterator[Problem]:
    by_data: dict[str, list[Record]] = {}
    for record in records:
        by_data.setdefault(record.rdata.to_text(), []).append(record)
    for same in by_data.values():
        if len(same) < 2:
            continue
        first, *rest = sorted(same, key=sort_key)
        for record in rest:
            yield problem(
                "duplicate-record",
                record,
                f"duplicate of {ref(first, record.zone)}; the zone holds it only once",
                "remove one of the two declarations",
                Severity.WARNING,
            )


def rdata_wire_length(rdata: Rdata) -> int:
    """Octets of the RDATA on the wire; names counted uncompressed."""
    if isinstance(rdata, Address):
        return 4 if rdata.is_v4 else 16
    if isinstance(rdata, Target):
        return rdata.target.name.wire_length
    if isinstance(rdata, MX):
        return 2 + rdata.exchange.name.wire_length
    if isinstance(rdata, SRV):
        return 6 + rdata.target.name.wire_length
    if isinstance(rdata, TXT):
        return sum(1 + len(string) for string in rdata.strings)
    if isinstance(rdata, CAA):
        return 2 + len(rdata.tag) + len(rdata.value)
    raise AssertionError(rdata)


def _target(rdata: Rdata) -> tuple[DomainName, int] | None:
    """The name the agent's writer compresses in the RDATA (MX, NS, CNAME,
    PTR; never SRV, RFC 2782) and the octets before it."""
    if isinstance(rdata, Target):
        return rdata.target.name, 0
    if isinstance(rdata, MX):
        return rdata.exchange.name, 2
    return None


def _compressed_length(rdata: Rdata, zone: DomainName) -> int:
    """Octets of the RDATA on the wire, never short: a target below `zone`
    ends in a pointer to the zone's name, which the zone section holds at
    offset 12 (RFC 1035 §4.1.4); other names are counted whole."""
    target = _target(rdata)
    if target is None:
        return rdata_wire_length(rdata)
    name, fixed = target
    if name == zone or not name.is_subdomain_of(zone):
        return rdata_wire_length(rdata)
    return fixed + name.wire_length - zone.wire_length + 2


def _second_copy_savings(lengths: list[int], start: int) -> int:
    """Octets the second copy of an RRset of targets saves at least, for any
    order the writer takes: a target written in the first copy at an offset
    below 16,384 (a pointer has 14 bits, RFC 1035 §4.1.4) is later one
    2-octet pointer. `lengths` are the targets' bounds in the first copy,
    which starts at `start`; the first copy's RRs up to that offset hold at
    least 16,384 - `start` - (the longest RR) octets, and at most as many
    RRs as the shortest ones fill it, each keeping its RR fields and
    pointer. (`lengths` count a target's own pointer to the zone: 2.)"""
    room = _POINTER_LIMIT - start
    if not lengths or room <= 0:
        return 0
    every = sum(length - 2 for length in lengths)
    if sum(lengths) + len(lengths) * (_RR_OVERHEAD + 2) <= room:
        return every  # (every target is written below the limit)
    longest = max(lengths) + _RR_OVERHEAD + 2
    count = used = 0
    for length in sorted(lengths):
        used += length + _RR_OVERHEAD + 2
        if used > room + longest:
            break
        count += 1
    return min(every, max(0, room - longest - count * (_RR_OVERHEAD + 2 + 2)))


def claims_size(name: DomainName, zone: DomainName, layouts: Layouts) -> int:
    """An upper bound of the octets of the claim prerequisites a change at
    `name` carries: one "no TXT" RR at every registry name of `layouts`
    (`checker.registry_names`), as the agent pins them. A registry name
    ending in a suffix of `name` (written near the message's start) ends in
    a pointer to it (RFC 1035 §4.1.4); the rest is counted whole."""
    text, zone_text = name.to_text().rstrip(".").lower(), zone.to_text().rstrip(".").lower()
    suffixes = {text}
    while "." in text:
        text = text.partition(".")[2]
        suffixes.add(text)
    text = name.to_text().rstrip(".").lower()
    seen: set[str] = set()
    for prefix, suffix, wildcard in layouts:
        seen.update(registry_names(prefix, suffix, wildcard, text, zone_text))
    return sum(_registry_length(registry, suffixes) + _RR_FIXED for registry in seen)


def _registry_length(registry: str, suffixes: set[str]) -> int:
    """Octets of `registry` (text, no final dot) on the wire, compressed
    against the longest of `suffixes` it ends in, never short."""
    if registry in suffixes:
        return 2
    at = registry.find(".")
    while at != -1:
        if registry[at + 1 :] in suffixes:
            return at + 1 + 2
        at = registry.find(".", at + 1)
    return len(registry) + 2


def replacement_size(records: list[Record], owner: Owner, layouts: Layouts) -> int:
    """Octets, never short, of the UPDATE that gives the RRset another TTL
    with the largest TSIG record: the RRset as prerequisite, deleted, added
    again, its marker as prerequisite, deleted and added, and the claim
    prerequisites of `layouts` (`claims_size`)."""
    first = records[0]
    name, zone = first.owner, first.zone
    lengths = [_compressed_length(r.rdata, zone) for r in records]
    copies = 2 * sum(_RR_OVERHEAD + length for length in lengths)
    target = _target(first.rdata)
    if target is not None:
        targets = [length - target[1] for length in lengths]
        copies -= _second_copy_savings(targets, _FIXED + zone.wire_length + name.wire_length)
    marker_text = f"heritage=nix,managed-by={first.managed_by},type={first.rtype}"
    # the marker name: its label and a pointer to the RRset's name, three
    # times (it may be written past the offsets a pointer reaches)
    marker = 3 * ((1 + len(owner.prefix) + 2) + _RR_FIXED + 1 + len(marker_text))
    return (
        _FIXED
        + zone.wire_length
        + name.wire_length
        + copies
        + marker
        + claims_size(name, zone, layouts)
        + TSIG_MAX
    )


def _size(records: list[Record], owner: Owner, layouts: Layouts) -> Iterator[Problem]:
    first = records[0]
    short = not isinstance(first.rdata, TXT | CAA)
    rrset = 2 * len(records) * (_RR_OVERHEAD + _RDATA_BOUND)
    if short and rrset + _bound(first.owner, layouts) <= MAX_MESSAGE:
        return  # (the usual RRset: no RDATA measured)
    size = replacement_size(records, owner, layouts)
    if size <= MAX_MESSAGE:
        return
    yield problem(
        "rrset-size",
        first,
        f"the {first.name} {first.rtype} RRset ({len(records)} records) is too big to change "
        f"or remove once written: a change carries the whole RRset as a prerequisite and "
        f"re-adds it, about {size:,} bytes with the largest TSIG key, more than one UPDATE "
        f"message holds ({MAX_MESSAGE:,}); the agent refuses it",
        "split the data over several names or declare fewer or shorter records there",
    )


def _bound(name: DomainName, layouts: Layouts) -> int:
    """An upper bound of everything but the RRset's copies, without
    building names: names of 255 octets, a 63-octet marker prefix and a
    256-octet marker text, and per layout at most 4 x 19 registry names,
    each at most the name plus the layout's affixes and a type token."""
    registry = 0
    for prefix, suffix, wildcard in layouts:
        longest = min(255, name.wire_length + len(prefix) + len(suffix) + len(wildcard) + 6)
        registry += 4 * (1 + 2 * len(TYPE_TOKENS)) * (longest + _RR_FIXED)
    marker = 3 * ((1 + 63 + 2) + _RR_FIXED + 256)
    return _FIXED + 2 * 255 + marker + registry + TSIG_MAX
