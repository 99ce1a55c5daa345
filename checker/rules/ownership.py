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
from checker.rules.index import Entry, Index, problem

#: The longest domain name in wire form, root label included (RFC 1035 §2.3.4).
MAX_NAME_OCTETS = 255
_HERITAGE = b"heritage="


def check(index: Index) -> Iterator[Problem]:
    yield from _owner_names(index)
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


def _owner_names(index: Index) -> Iterator[Problem]:
    """Both rules on owner names, once per distinct owner: ``marker-collision``
    for each record at a marker name, ``marker-name-length`` once per
    document and owner."""
    prefixes: dict[bytes, list[str]] = {}
    # per document: the longest owner whose marker name still fits (None:
    # no marker to measure, the prefix is reported as owner-config)
    longest: list[int | None] = []
    for desired in index.desireds:
        prefix = desired.owner.prefix
        if not prefix.isascii():
            longest.append(None)
            continue  # reported as owner-config; it can be no marker label
        # the marker name is the owner name plus one label `prefix`
        longest.append(MAX_NAME_OCTETS - 1 - len(prefix))
        owners = prefixes.setdefault(desired.owner.prefix_label, [])
        if desired.owner.managed_by not in owners:
            owners.append(desired.owner.managed_by)
    fits = min((n for n in longest if n is not None), default=MAX_NAME_OCTETS)
    # A label takes at most 64 octets (length and 63 characters): names of
    # this many labels or fewer fit without counting.
    few = (fits - 1) // 64
    for owner, entries in index.by_name.items():
        labels = owner.labels
        if not labels:
            continue
        managers = prefixes.get(labels[0])
        if managers is not None:
            yield from _collisions(owner, entries, managers)
        if len(labels) > few and (octets := owner.wire_length) > fits:
            yield from _lengths(index, owner, entries, octets, longest)


def _lengths(
    index: Index, owner: DomainName, entries: list[Entry], octets: int, longest: list[int | None]
) -> Iterator[Problem]:
    reported: set[int] = set()
    for doc, record in entries:
        limit = longest[doc]
        if limit is None or octets <= limit or doc in reported:
            continue
        reported.add(doc)
        prefix = index.desireds[doc].owner.prefix
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


def _collisions(owner: DomainName, entries: list[Entry], managers: list[str]) -> Iterator[Problem]:
    prefix = owner.labels[0].decode("ascii")
    marked = owner.parent()
    whose = ", ".join(f"'{m}'" for m in sorted(managers))
    for _, record in entries:
        if owner == record.zone:
            continue
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
