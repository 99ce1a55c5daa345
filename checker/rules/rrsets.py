"""RRset rules, within one document.

- ``ttl-mismatch`` (error): records of one RRset with different TTLs
  (RFC 2181 §5.2).
- ``duplicate-record`` (warning): the same record written twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from checker.model import Record
from checker.problems import Problem, Severity
from checker.rules.index import Index, problem, ref, refs, sort_key


def check(index: Index) -> Iterator[Problem]:
    for rrsets in index.rrsets:
        for records in rrsets.values():
            if len(records) > 1:
                yield from _ttl(records)
                yield from _duplicates(records)


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
