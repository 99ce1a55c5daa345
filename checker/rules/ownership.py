"""``marker-collision`` (error): a record at an ownership-marker name.

The agent keeps the marker for the RRsets at name N at ``<prefix>.<N>``
(contract §3; for the apex, ``<prefix>.<zone>``). So a record whose first
label is an owner prefix sits where some owner's markers live.
"""

from __future__ import annotations

from collections.abc import Iterator

from checker.problems import Problem
from checker.rules.index import Index, problem


def check(index: Index) -> Iterator[Problem]:
    prefixes: dict[bytes, list[str]] = {}
    for desired in index.desireds:
        if not desired.owner.prefix.isascii():
            continue  # reported as owner-config; it can be no marker label
        owners = prefixes.setdefault(desired.owner.prefix_label, [])
        if desired.owner.managed_by not in owners:
            owners.append(desired.owner.managed_by)
    for desired in index.desireds:
        for record in desired.records:
            owner = record.owner
            if not owner.labels:
                continue
            managers = prefixes.get(owner.labels[0])
            if managers is None or owner == record.zone:
                continue
            prefix = owner.labels[0].decode("ascii")
            marked = owner.parent()
            whose = ", ".join(f"'{m}'" for m in sorted(managers))
            yield problem(
                "marker-collision",
                record,
                f"{record.name} is the ownership-marker name of {marked.to_text()}: the owner "
                f"prefix '{prefix}' (managedBy {whose}) keeps its TXT markers "
                f'"heritage=nix,managed-by=…,type=…" at {prefix}.<name>, so this record would '
                "be mistaken for a marker or clobbered by one",
                f"rename the record so its first label is not '{prefix}', or choose another "
                "ownerPrefix",
            )
