"""CNAME rules (RFC 1034 §3.6.2, RFC 2181 §10).

- ``cname-apex`` (error): a CNAME at a zone apex, where SOA and NS must be.
- ``cname-coexistence`` (error): other data beside a CNAME in one document.
- ``cname-multiple`` (error): more than one CNAME at one name.
- ``cname-loop`` (error): CNAMEs among the declared names that lead back to
  themselves, across every zone of the document set.
- ``cname-target`` (error; warning for PTR): an MX, NS or SRV target that is
  an alias (RFC 2181 §10.3, RFC 2782); a PTR to an alias.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

from checker.model import Record
from checker.names import DomainName
from checker.problems import Problem, Severity
from checker.rdata import T_CNAME, T_MX, T_NS, T_PTR, T_SRV, Target
from checker.rules.index import Index, problem, ref, refs, sort_key, suspect

_TARGET_RULES = {
    T_MX: (
        "MX exchange",
        "an MX must name a host, never an alias (RFC 2181 §10.3, RFC 5321 §5.1)",
        Severity.ERROR,
    ),
    T_NS: (
        "NS target",
        "an NS must name the server's canonical name, never an alias (RFC 2181 §10.3)",
        Severity.ERROR,
    ),
    T_SRV: (
        "SRV target",
        "an SRV target must name a host, never an alias (RFC 2782)",
        Severity.ERROR,
    ),
    T_PTR: (
        "PTR target",
        "a PTR should lead to the canonical host name, which forward-confirmation checks expect",
        Severity.WARNING,
    ),
}


def check(index: Index) -> Iterator[Problem]:
    yield from _at_name(index)
    yield from _loops(index)
    yield from _targets(index)


def _at_name(index: Index) -> Iterator[Problem]:
    for name, entries in index.cnames.items():
        groups: Iterable[list[Record]] = (entries,)  # the usual case: one CNAME
        if len(entries) > 1:
            per_doc: dict[str, list[Record]] = {}
            for record in entries:
                per_doc.setdefault(record.document, []).append(record)
            groups = per_doc.values()
        # every record at the name: more than its CNAMEs means other data
        at_name = index.by_name.get(name, [])
        for doc_cnames in groups:
            if len(doc_cnames) == 1:  # the usual case: nothing to sort
                first, rest = doc_cnames[0], []
            else:
                first, *rest = sorted(doc_cnames, key=sort_key)
            for record in doc_cnames:
                if record.owner == record.zone:
                    yield problem(
                        "cname-apex",
                        record,
                        f"a CNAME at the apex of zone {record.zone.display()}: the apex always "
                        "holds the zone's SOA and NS records, and a CNAME cannot share its name "
                        "with other data (RFC 1034 §3.6.2, RFC 2181 §10.1)",
                        "use A/AAAA records at the apex, or put the alias on a name below it",
                    )
            if first.owner == first.zone:
                continue
            if rest and len({r.rdata.to_text() for r in doc_cnames}) > 1:
                for record in rest:
                    if record.rdata.to_text() != first.rdata.to_text():
                        yield problem(
                            "cname-multiple",
                            record,
                            f"{record.name} already has {ref(first, record.zone)}; a name has "
                            "at most one CNAME (RFC 1034 §3.6.2, RFC 2181 §10.1)",
                            "keep one CNAME; for several addresses use A/AAAA records instead",
                        )
            if len(at_name) == len(entries):
                continue  # the name holds its CNAMEs only
            others = [
                r for _, r in at_name if r.document == first.document and r.rtype is not T_CNAME
            ]
            if others:
                for record in doc_cnames:
                    yield problem(
                        "cname-coexistence",
                        record,
                        f"{record.name} also has {refs(others, record.zone)}; a CNAME must be "
                        "the only data at its name (RFC 1034 §3.6.2, RFC 2181 §10.1; only "
                        "DNSSEC records such as RRSIG and NSEC may sit beside it, RFC 4035)",
                        f"remove the other records at {record.name}, or replace the CNAME by "
                        "the target's A/AAAA records",
                    )


def _loops(index: Index) -> Iterator[Problem]:
    """Cycles in the alias graph: Tarjan's strongly connected components, iteratively."""
    graph: dict[DomainName, list[DomainName]] = {}
    for name, records in index.cnames.items():
        graph[name] = sorted({r.rdata.target.name for r in records if isinstance(r.rdata, Target)})
    # Only an alias that points at another alias can be on a cycle.
    live = {name for name, succ in graph.items() if any(s in graph for s in succ)}
    order: dict[DomainName, int] = {}
    low: dict[DomainName, int] = {}
    on_stack: set[DomainName] = set()
    stack: list[DomainName] = []
    counter = 0
    # (names order as their labels do; sorting by those compares in C)
    for root in sorted(live, key=_labels):
        if root in order:
            continue
        work: list[tuple[DomainName, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                order[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            succ = graph.get(node, [])
            recurse = False
            while i < len(succ):
                nxt = succ[i]
                i += 1
                if nxt not in live:
                    continue
                if nxt not in order:
                    work.append((node, i))
                    work.append((nxt, 0))
                    recurse = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], order[nxt])
            if recurse:
                continue
            if low[node] == order[node]:
                component: set[DomainName] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    yield _loop_problem(index, graph, component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])


def _labels(name: DomainName) -> tuple[bytes, ...]:
    return name.labels


def _loop_problem(
    index: Index, graph: dict[DomainName, list[DomainName]], component: set[DomainName]
) -> Problem:
    start = min(component)
    path = [start]
    seen = {start}
    node = start
    while True:
        node = min(n for n in graph[node] if n in component)
        path.append(node)
        if node in seen:
            break
        seen.add(node)
    steps = []
    for src, dst in itertools.pairwise(path):
        record = min(
            (
                r
                for r in index.cnames[src]
                if isinstance(r.rdata, Target) and r.rdata.target.name == dst
            ),
            key=sort_key,
        )
        steps.append(f"{src.to_text()} → {dst.to_text()} ({record.source})")
    first = min((r for r in index.cnames[start] if isinstance(r.rdata, Target)), key=sort_key)
    return problem(
        "cname-loop",
        first,
        "CNAME loop: " + ", ".join(steps) + "; resolvers chase it until they give up (SERVFAIL)",
        "point one of these CNAMEs at a name that holds address records",
    )


def _targets(index: Index) -> Iterator[Problem]:
    if not index.cnames:
        return
    cnames_get = index.cnames.get
    for typed in index.typed:
        for record in (*typed[T_MX], *typed[T_NS], *typed[T_SRV], *typed[T_PTR]):
            rdata = record.rdata
            if type(rdata) is Target and cnames_get(rdata.target.name) is None:
                continue  # the usual PTR or NS: its one target is no alias
            field, why, severity = _TARGET_RULES[record.rtype]
            for target in record.rdata.targets():
                aliases = cnames_get(target.name)
                if not aliases or suspect(target, record.zone):
                    continue
                canonical = sorted(
                    {r.rdata.to_text() for r in aliases if isinstance(r.rdata, Target)}
                )
                yield problem(
                    "cname-target",
                    record,
                    f"{field} {target.name.to_text()} is an alias "
                    f"({refs(aliases, record.zone)}); {why}",
                    f"point it at the canonical name {' or '.join(canonical)} instead",
                    severity,
                )
