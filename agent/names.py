"""Owner names as keys and as text, without dnspython's per-character loops.

`dns.name.Name` hashes, compares and prints by walking every character in
Python; a zone of 100,000 names pays that on every dictionary operation. Here
a name is keyed by its lower-case labels (`name_key`: a tuple of bytes, hashed in
C) and printed in one step when no label holds a character that needs an
escape (`text`), falling back to dnspython's own `to_text` otherwise, so the
text is always exactly what ``Name.to_text`` gives (RFC 1035 §5.1 escapes).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import TypeVar

import dns.name

#: An owner name as an index key: its labels, lower case, root label last.
Labels = tuple[bytes, ...]

_V = TypeVar("_V")

# Bytes `Name.to_text` escapes: specials, space and controls, DEL and above.
_NEEDS_ESCAPE = re.compile(rb'[\x00-\x20"().;\\@$\x7f-\xff]')


def name_key(name: dns.name.Name) -> Labels:
    """`name`'s labels, lower case: equal for names `dns.name.Name` calls equal."""
    return tuple(map(bytes.lower, name.labels))


def text(name: dns.name.Name, omit_final_dot: bool = False) -> str:
    """Exactly ``name.to_text(omit_final_dot)``."""
    labels = name.labels
    if not labels or labels == (b"",) or _NEEDS_ESCAPE.search(b"".join(labels)):
        return name.to_text(omit_final_dot)
    joined = b".".join(labels).decode("ascii")
    return joined[:-1] if omit_final_dot and labels[-1] == b"" else joined


def relative_text(name: dns.name.Name, zone: dns.name.Name) -> str:
    """`name` as a zone file of `zone` writes it: ``@`` for the apex, relative
    below it (as ``name.relativize(zone).to_text()``), absolute elsewhere."""
    own, apex = len(name.labels), len(zone.labels)
    if own < apex or name_key(name)[own - apex :] != name_key(zone):
        return text(name)
    if own == apex:
        return "@"
    return text(dns.name.Name(name.labels[: own - apex]))


class NameMap(Mapping[dns.name.Name, _V]):
    """A read-only mapping keyed by owner name (any case), stored by `name_key`:
    lookups never compute dnspython's name hash. Iterates the names as given.

    A map made for some names only (`keyed` with a `scope`) answers about
    those names and raises `LookupError` for any other: a question it was not
    built to answer never gets "absent" for an answer."""

    __slots__ = ("_items", "_scope")

    def __init__(self, items: Iterable[tuple[dns.name.Name, _V]] = ()) -> None:
        """From (name, value) pairs; the first pair of equal names wins."""
        self._items: dict[Labels, tuple[dns.name.Name, _V]] = {}
        self._scope: Collection[Labels] | None = None
        for name, value in items:
            self._items.setdefault(name_key(name), (name, value))

    def _key(self, name: dns.name.Name) -> Labels:
        labels = name_key(name)
        if self._scope is not None and labels not in self._scope:
            raise LookupError(f"{name} is not among the names this map was made for")
        return labels

    def __getitem__(self, name: dns.name.Name) -> _V:
        item = self._items.get(self._key(name)) if isinstance(name, dns.name.Name) else None
        if item is None:
            raise KeyError(name)
        return item[1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, dns.name.Name) and self._key(name) in self._items

    def __iter__(self) -> Iterator[dns.name.Name]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"NameMap({dict(self.items())!r})"

    @classmethod
    def keyed(
        cls,
        items: dict[Labels, tuple[dns.name.Name, _V]],
        scope: Collection[Labels] | None = None,
    ) -> NameMap[_V]:
        """A mapping over `items`, already stored by `name_key` (taken, not copied),
        answering about the names in `scope` only (None: every name)."""
        made: NameMap[_V] = cls()
        made._items, made._scope = items, scope
        return made
