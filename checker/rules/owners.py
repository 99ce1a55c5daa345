"""Several documents = several owners writing into the same zones.

- ``owner-duplicate`` (error): two documents with the same managedBy id,
  whose agents would take each other's records for their own.
- ``owner-collision`` (error): one name and type declared by two owners.
- ``owner-cname-collision`` (error): one owner's CNAME where another owner
  has data.
"""

from __future__ import annotations

from collections.abc import Iterator

from checker.model import Record
from checker.problems import Problem
from checker.rdata import T_CNAME, RType
from checker.rules.index import Index, doc_problem, problem, refs, sort_key


def check(index: Index) -> Iterator[Problem]:
    if len(index.desireds) < 2:
        return
    yield from _duplicate_ids(index)
    yield from _collisions(index)


def _duplicate_ids(index: Index) -> Iterator[Problem]:
    by_id: dict[str, list[str]] = {}
    for desired in index.desireds:
        by_id.setdefault(desired.owner.managed_by, []).append(desired.document)
    for desired in index.desireds:
        docs = by_id[desired.owner.managed_by]
        if len(docs) < 2:
            continue
        others = [d for d in docs if d != desired.document] or [desired.document]
        yield doc_problem(
            "owner-duplicate",
            desired,
            "owner.managedBy",
            f"managedBy '{desired.owner.managed_by}' is also used by "
            + ", ".join(others)
            + "; each agent would take the other's marked records for its own and delete "
            "the ones missing from its document",
            "give every host its own managedBy (the default is the host name)",
        )


def _who(record: Record) -> str:
    return f"owner '{record.managed_by}' ({record.document})"


def _collisions(index: Index) -> Iterator[Problem]:
    for entries in index.by_name.values():
        docs = {doc for doc, _ in entries}
        if len(docs) < 2:
            continue
        # name -> document -> type -> records
        per_doc: dict[int, dict[RType, list[Record]]] = {}
        for doc, record in entries:
            per_doc.setdefault(doc, {}).setdefault(record.rtype, []).append(record)
        for doc, types in per_doc.items():
            managed_by = index.desireds[doc].owner.managed_by
            others = {
                other: other_types
                for other, other_types in per_doc.items()
                if other != doc and index.desireds[other].owner.managed_by != managed_by
            }
            if not others:
                continue
            for rtype, records in types.items():
                mine = min(records, key=sort_key)
                theirs = [r for t in others.values() for r in t.get(rtype, ())]
                if theirs:
                    owners = sorted({_who(r) for r in theirs})
                    yield problem(
                        "owner-collision",
                        mine,
                        f"{mine.name} {rtype} is declared by owner '{mine.managed_by}' "
                        f"({mine.document}) and also by {', '.join(owners)}: "
                        f"{refs(theirs, mine.zone)}; two agents would fight over one RRset",
                        "declare this RRset in one owner's configuration only",
                    )
                if rtype is T_CNAME:
                    data = [
                        r
                        for t in others.values()
                        for rt, rs in t.items()
                        if rt is not T_CNAME
                        for r in rs
                    ]
                    if data:
                        owners = sorted({_who(r) for r in data})
                        yield problem(
                            "owner-cname-collision",
                            mine,
                            f"owner '{mine.managed_by}' ({mine.document}) declares a CNAME at "
                            f"{mine.name}, where {', '.join(owners)} has data: "
                            f"{refs(data, mine.zone)}; a CNAME must be the only data at its "
                            "name (RFC 1034 §3.6.2), so one side's update is refused",
                            "drop the CNAME, or move the other owner's records to another name",
                        )
