"""Ownership rules.

The agent keeps the marker for the RRsets at name N at ``<prefix>.<N>``
(contract §3; for the apex, ``<prefix>.<zone>``).

- ``marker-collision`` (error): a record whose first label is an owner
  prefix sits where some owner's markers live.
- ``marker-name-length`` (error): ``<prefix>.<N>`` is longer than a domain
  name may be (255 octets in wire form, RFC 1035 §2.3.4), so N could never
  be marked.
- ``marker-text`` (error): a TXT record whose text is an ownership marker
  (``heritage=``: ExternalDNS's registry records, this tool's markers under
  any prefix). Such a TXT RRset is another writer's claim; the agent never
  adopts, takes over or deletes it.
"""

from __future__ import annotations

from collections.abc import Iterator

from checker.names import DomainName
from checker.problems import Problem
from checker.rdata import T_TXT, TXT
from checker.rules.index import Index, problem

#: The longest domain name in wire form, root label included (RFC 1035 §2.3.4).
MAX_NAME_OCTETS = 255
_HERITAGE = b"heritage="


def check(index: Index) -> Iterator[Problem]:
    yield from _collisions(index)
    yield from _lengths(index)
    yield from _marker_texts(index)


def _marker_texts(index: Index) -> Iterator[Problem]:
    for typed in index.typed:
        for record in typed[T_TXT]:
            rdata = record.rdata
            text = b"".join(rdata.strings) if isinstance(rdata, TXT) else b""
            if text.strip().strip(b'"').lower().startswith(_HERITAGE):
                shown = text[:60].decode("utf-8", "replace") + ("…" if len(text) > 60 else "")
                yield problem(
                    "marker-text",
                    record,
                    f"TXT {record.name} holds an ownership-marker text ({shown!r}): such a "
                    "TXT is how ExternalDNS or an owner of this tool claims a name, so the "
                    "agent never adopts, takes over or deletes it",
                    "remove the record; the writer whose marker it is keeps it",
                )


def _lengths(index: Index) -> Iterator[Problem]:
    for desired in index.desireds:
        prefix = desired.owner.prefix
        if not prefix.isascii():
            continue  # reported as owner-config
        # the marker name is the owner name plus one label `prefix`
        longest = MAX_NAME_OCTETS - 1 - len(prefix)
        reported: set[DomainName] = set()
        for record in desired.records:
            owner = record.owner
            octets = owner.wire_length
            if octets <= longest or owner in reported:
                continue
            reported.add(owner)
            marker = octets + 1 + len(prefix)
            yield problem(
                "marker-name-length",
                record,
                f"{record.name} takes {octets} octets, so its ownership-marker name "
                f"{prefix}.<name> would take {marker}, more than the {MAX_NAME_OCTETS} a "
                "domain name may hold (RFC 1035 §2.3.4): the agent could never mark it",
                f"the marker name {prefix}.<name> must fit {MAX_NAME_OCTETS} octets: shorten "
                f"the name by {marker - MAX_NAME_OCTETS} octet(s), or choose a shorter ownerPrefix",
            )


def _collisions(index: Index) -> Iterator[Problem]:
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
