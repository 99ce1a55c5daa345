"""Name server rules.

- ``ns-glue-missing`` (warning): an NS target inside a zone of the document
  set with no A/AAAA record in any document. Targets outside the documents'
  zones are someone else's business and fine.
- ``ns-ttl-zero`` (warning): an NS RRset with TTL 0, which resolvers cannot
  cache, so every query below the zone goes back to its parent.
"""

from __future__ import annotations

from collections.abc import Iterator

from checker.problems import Problem, Severity
from checker.rdata import T_NS
from checker.rules.index import Index, problem, suspect


def check(index: Index) -> Iterator[Problem]:
    for typed in index.typed:
        for record in typed[T_NS]:
            if record.ttl == 0:
                yield problem(
                    "ns-ttl-zero",
                    record,
                    "NS record with TTL 0: resolvers cannot cache the delegation and ask "
                    "again for every query",
                    "use a TTL of at least a few minutes (e.g. 3600)",
                    Severity.WARNING,
                )
            for target in record.rdata.targets():
                name = target.name
                if suspect(target, record.zone) or name in index.addresses:
                    continue
                if name in index.cnames:
                    continue  # cname-target reports it
                zone = index.zone_of(name)
                if zone is None:
                    continue
                yield problem(
                    "ns-glue-missing",
                    record,
                    f"name server {name.to_text()} lies in zone {zone.display()} of these "
                    "documents, but no document gives it an A or AAAA record, so resolvers "
                    "cannot find the server's address",
                    f"add an A/AAAA record for '{name.relative_to(zone)}' in zone "
                    f"{zone.display()}, or correct the NS target",
                    Severity.WARNING,
                )
