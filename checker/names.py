"""Domain names in zone-file presentation format (RFC 1035 §5.1).

A name is kept as a tuple of lower-cased wire labels, so two spellings of one
name compare equal and the diff never churns over case or escapes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

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


class DomainName(NamedTuple):
    """An absolute domain name: lower-cased wire labels, most specific first
    (``(b"ns0", b"internal")``; the root is ``()``).

    An immutable value (a named tuple, like every checker value object: made
    in one step, compared and hashed in C); equal, hashed and ordered by its
    labels. The presentation text is made on demand (:meth:`to_text`), since
    most names never need it."""

    labels: tuple[bytes, ...]

    @property
    def is_root(self) -> bool:
        return not self.labels

    def to_text(self) -> str:
        """Absolute presentation form with the trailing dot (``ns0.internal.``)."""
        return _text_of(self.labels)

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


@lru_cache(maxsize=1 << 16)
def _text_of(labels: tuple[bytes, ...]) -> str:
    if not labels:
        return "."
    joined = b".".join(labels)
    if _SAFE.fullmatch(joined) is not None and joined.count(b".") == len(labels) - 1:
        return joined.decode("ascii") + "."  # no escapes and no dot inside a label
    return ".".join(_label_text(label) for label in labels) + "."


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
    """Split presentation text into lower-cased label bytes, decoding escapes."""
    if "\\" not in text:
        try:
            raw = text.encode("ascii")
        except UnicodeEncodeError:
            raise NameSyntaxError(
                "non-ASCII characters; write internationalised names in their xn-- (IDNA) form"
            ) from None
        return raw.lower().split(b".")
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
    return [label.lower() for label in labels]


# Whitespace and control characters, which no label may hold.
_CONTROL = re.compile(rb"[\x00-\x20\x7f]").search
# The octets of a usual name: printable ASCII but the backslash (escapes),
# and the dots between labels.
_PLAIN_OCTETS = bytes(b for b in range(0x21, 0x7F) if b != 0x5C)


def _parse_labels(text: str) -> tuple[tuple[bytes, ...], bool]:
    """Labels of ``text`` (lower-cased) and whether it was absolute.

    The usual name (no escapes, labels of 1-63 printable octets) is valid as
    written; any other text is examined label by label, to say what is wrong
    with it."""
    if text.isascii():
        lowered = text.lower().encode()
        absolute = lowered[-1:] == b"."
        body = lowered[:-1] if absolute else lowered
        labels = body.split(b".")
        if (
            not body.translate(None, _PLAIN_OCTETS)  # printable, no backslash
            and b"" not in labels  # no empty label (nor empty text)
            and (len(body) <= MAX_LABEL or max(map(len, labels)) <= MAX_LABEL)
        ):
            return tuple(labels), absolute
    return _examine_labels(text)


def _examine_labels(text: str) -> tuple[tuple[bytes, ...], bool]:
    """:func:`_parse_labels` label by label, decoding escapes; raises
    NameSyntaxError saying what is wrong."""
    if text == "":
        raise NameSyntaxError("the name is empty")
    if text == ".":
        return (), True
    parts = _split_labels(text)
    absolute = parts[-1] == b""
    if absolute:
        parts.pop()
    if b"" in parts:
        raise NameSyntaxError("empty label (two dots in a row, or a leading dot)")
    if max(map(len, parts)) > MAX_LABEL:
        part = next(p for p in parts if len(p) > MAX_LABEL)
        raise NameSyntaxError(
            f"label '{_label_text(part)[:20]}…' is {len(part)} octets; the limit is 63"
        )
    if _CONTROL(b"".join(parts)) is not None:
        raise NameSyntaxError("whitespace or control characters in a name")
    return tuple(parts), absolute


class ParsedName(NamedTuple):
    """A name as written: its absolute value, whether it had the trailing dot,
    and the text. An immutable value; equal and hashed by the name alone (how
    it was spelled does not change what it is)."""

    name: DomainName
    absolute: bool
    written: str

    def __eq__(self, other: object) -> bool:
        if type(other) is not ParsedName:
            return NotImplemented
        return self.name == other.name

    def __ne__(self, other: object) -> bool:
        if type(other) is not ParsedName:
            return NotImplemented
        return self.name != other.name

    def __hash__(self) -> int:
        return hash(self.name)


def parse_name(text: str, origin: DomainName) -> ParsedName:
    """Parse a name as a zone file would: ``@`` is the origin, no trailing dot
    means relative to the origin. Raises NameSyntaxError."""
    return NameReader(origin).read(text)


class NameReader:
    """Reads names relative to one origin (a zone), each distinct text once:
    a document names the same hosts again and again, as owners and as
    targets, and an equal text always reads as the same name."""

    __slots__ = ("_names", "_read", "_room", "origin")

    def __init__(self, origin: DomainName) -> None:
        self.origin = origin
        # The wire octets a relative name may add to the origin.
        self._room = MAX_NAME - origin.wire_length
        self._names: dict[str, tuple[DomainName, bool]] = {}
        self._read: dict[str, ParsedName] = {}

    def read(self, text: str) -> ParsedName:
        """:func:`parse_name` of ``text`` in the origin. Raises NameSyntaxError."""
        parsed = self._read.get(text)
        if parsed is None:
            parsed = self._read[text] = ParsedName(*self.name_of(text), text)
        return parsed

    def name_of(self, text: str) -> tuple[DomainName, bool]:
        """The name ``text`` spells in the origin, and whether the text was
        absolute: :meth:`read` without keeping the text (an owner name needs
        no more). Raises NameSyntaxError."""
        found = self._names.get(text)
        if found is None:
            found = self._names[text] = self._parse(text)
        return found

    def _parse(self, text: str) -> tuple[DomainName, bool]:
        origin = self.origin
        if text == "@":
            return origin, False
        labels, absolute = _parse_labels(text)
        # A text has at least as many characters as the octets it spells
        # (escapes only lengthen it): its labels take at most len(text) + 1
        # octets on the wire. Only a text that long needs its octets counted.
        if absolute:
            name = DomainName(labels)
            long = len(text) >= MAX_NAME
        else:
            name = DomainName(labels + origin.labels)
            long = len(text) >= self._room
        if long and name.wire_length > MAX_NAME:
            what = "name" if absolute else f"name (with origin {origin.display()} appended)"
            raise NameSyntaxError(
                f"{what} is {name.wire_length} octets on the wire; the limit is 255"
            )
        return name, absolute


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
