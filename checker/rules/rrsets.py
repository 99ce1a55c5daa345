"""RRset rules, within one document.

- ``ttl-mismatch`` (error): records of one RRset with different TTLs
  (RFC 2181 §5.2).
- ``duplicate-record`` (warning): the same record written twice.
- ``rrset-size`` (error): an RRset too big to change or remove once written.
  The agent's change of an RRset carries the whole RRset as read as a
  prerequisite (RFC 2136 §2.4.2) and a TTL change re-adds it whole, in one
  UPDATE message of at most 65,535 bytes (RFC 1035 §4.2.2): an RRset may
  take about half a message. Its size is estimated from the RDATA (names
  uncompressed, so never short), as the agent refuses it before sending.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from checker.model import Record
from checker.problems import Problem, Severity
from checker.rdata import CAA, MX, SRV, TXT, Address, Rdata, Target
from checker.rules.index import Index, problem, ref, refs, sort_key

#: The largest UPDATE message over TCP (RFC 1035 §4.2.2), TSIG included.
MAX_MESSAGE = 65_535
# An RR in the update section besides its RDATA: a compressed owner name
# (2), type, class, TTL and RDLENGTH (10).
_RR_OVERHEAD = 12
# Header, zone section, the marker's prerequisite, delete and add, the claim
# prerequisites and TSIG, with room to spare (the agent measures exactly).
_MESSAGE_OVERHEAD = 1_536
# The longest RDATA of every type but TXT and CAA: a name plus SRV's fixed
# fields. An RRset of such types that fits with this bound is not measured.
_RDATA_BOUND = 6 + 255


def check(index: Index) -> Iterator[Problem]:
    for rrsets in index.rrsets:
        for records in rrsets.values():
            if len(records) > 1:
                yield from _ttl(records)
                yield from _duplicates(records)
            yield from _size(records)


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


def replacement_size(records: list[Record]) -> int:
    """About the bytes of the UPDATE that gives the RRset another TTL: the
    RRset as prerequisite, deleted, and added again (never short)."""
    rrset = sum(_RR_OVERHEAD + rdata_wire_length(r.rdata) for r in records)
    return 2 * rrset + _MESSAGE_OVERHEAD


def _size(records: list[Record]) -> Iterator[Problem]:
    first = records[0]
    short = not isinstance(first.rdata, TXT | CAA)
    if (
        short
        and 2 * len(records) * (_RR_OVERHEAD + _RDATA_BOUND) + _MESSAGE_OVERHEAD <= MAX_MESSAGE
    ):
        return  # (the usual RRset: no RDATA measured)
    size = replacement_size(records)
    if size <= MAX_MESSAGE:
        return
    yield problem(
        "rrset-size",
        first,
        f"the {first.name} {first.rtype} RRset ({len(records)} records) is too big to change "
        f"or remove once written: a change carries the whole RRset as a prerequisite and "
        f"re-adds it, about {size:,} bytes, more than one UPDATE message holds "
        f"({MAX_MESSAGE:,}); the agent refuses it",
        "split the data over several names or declare fewer or shorter records there",
    )
