"""Domain names in zone-file presentation format (RFC 1035 §5.1).

A name is kept as a tuple of lower-cased wire labels, so two spellings of one
name compare equal and the diff never churns over case or escapes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from checker.frozen import frozen_delattr, frozen_setattr, slot_setter

MAX_LABEL = 63
MAX_NAME = 255

# Characters that must be escaped in a label's presentation form.
_SPECIAL = frozenset(b'."\\;()@$ ')
# Joined labels that need no escaping at all (dots only between labels).
_SAFE = re.compile(
    rb"[!#%&'*+,\-/0-9:<=>?A-Z\[\]^_`a-z{|}~]*(?:\.[!#%&'*+,\-/0-9:<=>?A-Z\[\]^_`a-z{|}~]+)*"
)


class NameSyntaxError(ValueError):
    """A name that is not a valid domain name; the message says why."""


class _NameFields:
    __slots__ = ("_hash", "_text", "labels")

    labels: tuple[bytes, ...]
    _hash: int
    _text: str | None


_set_labels = slot_setter(_NameFields, "labels")
_set_hash = slot_setter(_NameFields, "_hash")
_set_text = slot_setter(_NameFields, "_text")


class _NameDraft(_NameFields):
    """A DomainName under construction (see :mod:`checker.frozen`)."""

    __slots__ = ()


class DomainName(_NameFields):
    """An absolute domain name: lower-cased wire labels, most specific first.

    Immutable: names are hashed and compared millions of times on large
    documents, so the hash is computed once and the presentation text is kept
    once known (the one field set after construction, by :meth:`to_text`)."""

    __slots__ = ()

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, labels: tuple[bytes, ...], text: str | None = None) -> None:
        _set_labels(self, labels)
        _set_hash(self, hash(labels))
        _set_text(self, text)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(other) is not DomainName:
            return NotImplemented
        return self._hash == other._hash and self.labels == other.labels

    def __ne__(self, other: object) -> bool:
        if self is other:
            return False
        if type(other) is not DomainName:
            return NotImplemented
        return self._hash != other._hash or self.labels != other.labels

    def __lt__(self, other: DomainName) -> bool:
        if type(other) is not DomainName:
            return NotImplemented
        return self.labels < other.labels

    def __le__(self, other: DomainName) -> bool:
        if type(other) is not DomainName:
            return NotImplemented
        return self.labels <= other.labels

    def __gt__(self, other: DomainName) -> bool:
        if type(other) is not DomainName:
            return NotImplemented
        return self.labels > other.labels

    def __ge__(self, other: DomainName) -> bool:
        if type(other) is not DomainName:
            return NotImplemented
        return self.labels >= other.labels

    def __repr__(self) -> str:
        return f"DomainName(labels={self.labels!r})"

    def __reduce__(self) -> tuple[type[DomainName], tuple[tuple[bytes, ...]]]:
        return (DomainName, (self.labels,))

    @property
    def is_root(self) -> bool:
        return not self.labels

    def to_text(self) -> str:
        """Absolute presentation form with the trailing dot (``ns0.internal.``)."""
        text = self._text
        if text is None:
            text = self._make_text()
            _set_text(self, text)
        return text

    def _make_text(self) -> str:
        if not self.labels:
            return "."
        joined = b".".join(self.labels)
        if (
            _SAFE.fullmatch(joined) is not None
            and joined.count(b".") == len(self.labels) - 1  # no dot inside a label
        ):
            return joined.decode("ascii") + "."
        return ".".join(_label_text(label) for label in self.labels) + "."

    def __str__(self) -> str:
        return self.to_text()

    def display(self) -> str:
        """Presentation form without the trailing dot, for messages about zones."""
        return self.to_text().rstrip(".") or "."

    def is_subdomain_of(self, other: DomainName) -> bool:
        """True when self equals other or lies below it."""
        n = len(other.labels)
        return n == 0 or (len(self.labels) >= n and self.labels[-n:] == other.labels)

    def relative_to(self, origin: DomainName) -> str:
        """Name relative to ``origin`` (``@`` for the origin itself), else absolute."""
        if self == origin:
            return "@"
        if self.is_subdomain_of(origin):
            rest = self.labels[: len(self.labels) - len(origin.labels)]
            return ".".join(_label_text(label) for label in rest)
        return self.to_text()

    def parent(self) -> DomainName:
        return DomainName(self.labels[1:])

    def prepend(self, label: bytes) -> DomainName:
        return DomainName((label.lower(), *self.labels))

    @property
    def wire_length(self) -> int:
        return sum(map(len, self.labels)) + len(self.labels) + 1

    @property
    def is_wildcard(self) -> bool:
        return bool(self.labels) and self.labels[0] == b"*"


ROOT = DomainName(())
_new = object.__new__


def new_name(labels: tuple[bytes, ...], text: str | None) -> DomainName:
    """``DomainName(labels, text)``, faster (for the hot loops)."""
    draft: Any = _new(_NameDraft)
    draft.labels = labels
    draft._hash = hash(labels)
    draft._text = text
    draft.__class__ = DomainName
    name: DomainName = draft
    return name


def _label_text(label: bytes) -> str:
    if not any(b in _SPECIAL or b < 0x21 or b > 0x7E for b in label):
        return label.decode("ascii")
    out = []
    for b in label:
        if b in _SPECIAL:
            out.append("\\" + chr(b))
        elif 0x21 <= b <= 0x7E:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03d}")
    return "".join(out)


def _split_labels(text: str) -> list[bytes]:
    """Split presentation text into raw label bytes, decoding escapes."""
    if "\\" not in text:
        try:
            raw = text.encode("ascii")
        except UnicodeEncodeError:
            raise NameSyntaxError(
                "non-ASCII characters; write internationalised names in their xn-- (IDNA) form"
            ) from None
        return raw.split(b".")
    labels: list[bytes] = []
    current = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            if i + 1 >= len(text):
                raise NameSyntaxError("a backslash at the end of the name escapes nothing")
            nxt = text[i + 1]
            if nxt.isdigit():
                digits = text[i + 1 : i + 4]
                if len(digits) != 3 or not digits.isdigit() or int(digits) > 255:
                    raise NameSyntaxError(f"bad escape \\{digits}: use \\DDD with DDD ≤ 255")
                current.append(int(digits))
                i += 4
                continue
            if ord(nxt) > 0x7E:
                raise NameSyntaxError("non-ASCII characters; write names in their xn-- form")
            current.append(ord(nxt))
            i += 2
            continue
        if ch == ".":
            labels.append(bytes(current))
            current = bytearray()
        else:
            if ord(ch) > 0x7E:
                raise NameSyntaxError(
                    "non-ASCII characters; write internationalised names in their xn-- form"
                )
            current.append(ord(ch))
        i += 1
    labels.append(bytes(current))
    return labels


# The common spelling: plain LDH-ish labels, no escapes, no empty labels.
_PLAIN = re.compile(r"[A-Za-z0-9_*/-]+(?:\.[A-Za-z0-9_*/-]+)*\.?")
_CONTROL = bytes(range(0x21)) + b"\x7f"


@lru_cache(maxsize=1 << 16)
def _parse_labels(text: str) -> tuple[tuple[bytes, ...], bool]:
    """Labels of ``text`` (lower-cased) and whether it was absolute."""
    if _PLAIN.fullmatch(text) is not None:
        absolute = text.endswith(".")
        parts = (text[:-1] if absolute else text).lower().encode("ascii").split(b".")
        if max(map(len, parts)) <= MAX_LABEL:
            return tuple(parts), absolute
    if text == "":
        raise NameSyntaxError("the name is empty")
    if text == ".":
        return (), True
    parts = _split_labels(text)
    absolute = parts[-1] == b""
    if absolute:
        parts.pop()
    for part in parts:
        if part == b"":
            raise NameSyntaxError("empty label (two dots in a row, or a leading dot)")
        if len(part) > MAX_LABEL:
            raise NameSyntaxError(
                f"label '{_label_text(part)[:20]}…' is {len(part)} octets; the limit is 63"
            )
        if len(part.translate(None, _CONTROL)) != len(part):
            raise NameSyntaxError("whitespace or control characters in a name")
    return tuple(p.lower() for p in parts), absolute


class _ParsedFields:
    __slots__ = ("absolute", "name", "written")

    name: DomainName
    absolute: bool
    written: str


_set_pname = slot_setter(_ParsedFields, "name")
_set_absolute = slot_setter(_ParsedFields, "absolute")
_set_written = slot_setter(_ParsedFields, "written")


class _ParsedDraft(_ParsedFields):
    __slots__ = ()


class ParsedName(_ParsedFields):
    """A name as written: its absolute value and whether it had the trailing dot.

    Immutable; equality and hash are the name's (how it was spelled does not
    change what it is)."""

    __slots__ = ()

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, name: DomainName, absolute: bool, written: str) -> None:
        _set_pname(self, name)
        _set_absolute(self, absolute)
        _set_written(self, written)

    def __eq__(self, other: object) -> bool:
        if type(other) is not ParsedName:
            return NotImplemented
        return self.name == other.name

    def __hash__(self) -> int:
        return hash((self.name,))

    def __repr__(self) -> str:
        return (
            f"ParsedName(name={self.name!r}, absolute={self.absolute!r}, written={self.written!r})"
        )

    def __reduce__(self) -> tuple[type[ParsedName], tuple[DomainName, bool, str]]:
        return (ParsedName, (self.name, self.absolute, self.written))


def new_parsed(name: DomainName, absolute: bool, written: str) -> ParsedName:
    """``ParsedName(name, absolute, written)``, faster (for the hot loops)."""
    draft: Any = _new(_ParsedDraft)
    draft.name = name
    draft.absolute = absolute
    draft.written = written
    draft.__class__ = ParsedName
    parsed: ParsedName = draft
    return parsed


# The characters of _PLAIN: a name made only of these, without empty labels,
# is plain.
_NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_*/-."
# origin -> (its wire length, its text without the trailing dot, or "" for the root)
_origins: dict[DomainName, tuple[int, str]] = {}


def parse_name(text: str, origin: DomainName) -> ParsedName:
    """Parse a name as a zone file would: ``@`` is the origin, no trailing dot
    means relative to the origin. Raises NameSyntaxError."""
    if text == "@":
        return new_parsed(origin, False, text)
    if text and not text.strip(_NAME_CHARS) and text[0] != "." and ".." not in text:
        # The common spelling (what _PLAIN matches): the presentation text is
        # the lower-cased input.
        body = text.lower()
        absolute = body[-1] == "."
        if absolute:
            body = body[:-1]
        parts = body.encode("ascii").split(b".")
        if len(body) <= MAX_LABEL or max(map(len, parts)) <= MAX_LABEL:
            if absolute:
                if len(body) + 2 <= MAX_NAME:
                    return new_parsed(new_name(tuple(parts), body + "."), True, text)
            else:
                known = _origins.get(origin)
                if known is None:
                    origin_text = origin.to_text()
                    known = _origins[origin] = (
                        origin.wire_length,
                        "" if origin_text == "." else origin_text,
                    )
                if len(body) + 1 + known[0] <= MAX_NAME:
                    name = new_name((*parts, *origin.labels), f"{body}.{known[1]}")
                    return new_parsed(name, False, text)
    labels, absolute = _parse_labels(text)
    name = DomainName(labels if absolute else labels + origin.labels)
    if name.wire_length > MAX_NAME:
        what = "name" if absolute else f"name (with origin {origin.display()} appended)"
        raise NameSyntaxError(f"{what} is {name.wire_length} octets on the wire; the limit is 255")
    return ParsedName(name, absolute, text)


def parse_absolute(text: str) -> DomainName:
    """A zone origin or other name that is absolute whether or not it ends in a dot."""
    labels, _ = _parse_labels(text)
    name = DomainName(labels)
    if name.wire_length > MAX_NAME:
        raise NameSyntaxError(f"name is {name.wire_length} octets on the wire; the limit is 255")
    return name


def is_hostname(name: DomainName) -> bool:
    """LDH check (RFC 952/1123), allowing a leading underscore label for service names."""
    for label in name.labels:
        if label == b"*":
            continue
        body = label[1:] if label.startswith(b"_") else label
        if not body or body.startswith(b"-") or body.endswith(b"-"):
            return False
        if not all(48 <= b <= 57 or 97 <= b <= 122 or b == 45 for b in body):
            return False
    return True
