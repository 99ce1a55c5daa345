"""RDATA of the supported types, parsed from zone-file presentation format.

Each value class is an immutable named tuple, made from text only by
:func:`parse_rdata`, which validates first, so an invalid one is never read
from a document. ``to_text()`` gives a canonical, absolute
presentation form that dnspython parses to the same RDATA (the agent compares
on it).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from enum import StrEnum
from typing import NamedTuple

from checker.names import DomainName, NameReader, NameSyntaxError, ParsedName


class RType(StrEnum):
    A = "A"
    AAAA = "AAAA"
    CNAME = "CNAME"
    NS = "NS"
    PTR = "PTR"
    TXT = "TXT"
    MX = "MX"
    SRV = "SRV"
    CAA = "CAA"

    # The string's own hash, in C: Enum's is a Python function, and types are
    # dictionary keys per record. Equal members and strings already compare
    # equal, so this keeps hash and equality consistent.
    __hash__ = str.__hash__


# The members as module constants: attribute access on an enum class costs
# more than a dictionary lookup in Python 3.11, and types are tested per record.
T_A, T_AAAA, T_CNAME, T_NS, T_PTR, T_TXT, T_MX, T_SRV, T_CAA = RType

# Types whose RDATA is a single domain name.
NAME_TYPES = frozenset({T_CNAME, T_NS, T_PTR})
ADDRESS_TYPES = frozenset({T_A, T_AAAA})
KNOWN_CAA_TAGS = frozenset({"issue", "issuewild", "iodef", "issuemail", "issuevmc"})
MAX_STRING = 255


class RdataError(ValueError):
    """Invalid RDATA. ``rule`` is the checker rule id; the message says what is wrong."""

    def __init__(self, rule: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.hint = hint


# A token of presentation text: (raw, value, quoted): ``raw`` as written,
# escapes intact (names are re-parsed from it); ``value`` its octets, escapes
# decoded; whether it was a quoted string. A plain tuple: the parser makes
# one per field of every record and keeps none.
Token = tuple[str, bytes, bool]


# One token: blanks, then a quoted string (group 1: its inside) or a bare
# word (group 2: no blanks, quotes or ";()" unless escaped, not starting a
# new line). Escapes are decoded afterwards, by _unescape.
_TOKEN = re.compile(r'[ \t]*(?:"((?:[^"\\]|\\[\s\S])*)"|((?![\r\n])(?:[^ \t"\\;()]|\\[\s\S])+))')
_BLANKS = re.compile(r"[ \t]*")
# Bare words separated by blanks: nothing to decode, and splitting at the
# blanks gives the tokens.
_WORDS = re.compile(r'[ \t]*[^\s"\\;()]+(?:[ \t]+[^\s"\\;()]+)*[ \t]*').fullmatch
# Quoted strings without escapes separated by blanks: the strings are the
# pieces between the quotes.
_STRINGS = re.compile(r'[ \t]*"[^"\\\r\n]*"(?:[ \t]+"[^"\\\r\n]*")*[ \t]*').fullmatch


def tokenize(text: str) -> list[Token]:
    """Split presentation text (RFC 1035 §5.1) into tokens; quoted strings
    keep their blanks, ``\\X`` and ``\\DDD`` escapes are decoded.

    Raises RdataError (rule ``rdata-syntax`` or ``txt-quoting``) at the first
    thing that is not a token, reading left to right. A line break is never
    part of the data, quoted or not (dnspython refuses it in a quoted string
    and ends the data at it elsewhere): write it as ``\\010``."""
    if _WORDS(text) is not None:  # the common data: names, numbers
        return [(word, word.encode(), False) for word in text.split()]
    if _STRINGS(text) is not None:  # TXT as usually written
        return [(f'"{inside}"', inside.encode(), True) for inside in text.split('"')[1::2]]
    return _scan_tokens(text)


def _scan_tokens(text: str) -> list[Token]:
    """:func:`tokenize`, token by token: quotes, escapes, and what is wrong."""
    if "\n" in text or "\r" in text:
        raise _line_break()
    tokens: list[Token] = []
    pos, end = 0, len(text)
    match = _TOKEN.match
    while True:
        found = match(text, pos)
        if found is None:
            blanks = _BLANKS.match(text, pos)
            pos = blanks.end() if blanks is not None else pos
            if pos >= end:
                return tokens
            raise _token_error(text, pos, after_word=False)
        inside, word = found[1], found[2]
        pos = found.end()
        if inside is not None:
            tokens.append((text[found.start(1) - 1 : pos], _unescape(inside), True))
        else:
            tokens.append((word, _unescape(word), False))
            if pos < end and text[pos] not in " \t":
                raise _token_error(text, pos, after_word=True)


def _line_break() -> RdataError:
    return RdataError(
        "rdata-syntax",
        "a line break inside the data",
        "remove it, or write it as \\010 inside a quoted string",
    )


def _token_error(text: str, pos: int, *, after_word: bool) -> RdataError:
    """Why ``text`` holds no token at ``pos`` (a token's start, or the end of
    a bare word that runs into a special character)."""
    ch = text[pos]
    if ch == "\\":
        return RdataError("txt-quoting", "a backslash at the end escapes nothing")
    if ch == '"' and not after_word:
        _unescape(text[pos + 1 :])  # a bad escape comes first, as it is met first
        return RdataError(
            "txt-quoting",
            "unterminated quoted string",
            'close the string with " (escape a literal quote as \\")',
        )
    return RdataError(
        "rdata-syntax",
        f"unescaped '{ch}' in the data",
        "quote the text or escape the character with a backslash",
    )


def _unescape(raw: str) -> bytes:
    """The octets of a token's text: ``\\DDD`` is one octet, ``\\X`` is X."""
    if "\\" not in raw:
        return raw.encode()
    out = bytearray()
    i, end = 0, len(raw)
    while i < end:
        j = raw.find("\\", i)
        if j < 0:
            out += raw[i:].encode()
            break
        out += raw[i:j].encode()
        if j + 1 >= end:
            raise RdataError("txt-quoting", "a backslash at the end escapes nothing")
        nxt = raw[j + 1]
        if nxt.isdigit():
            digits = raw[j + 1 : j + 4]
            if len(digits) != 3 or not digits.isdigit() or int(digits) > 255:
                raise RdataError(
                    "txt-quoting",
                    f"bad escape '\\{digits}'",
                    "use \\DDD with three decimal digits up to 255",
                )
            out.append(int(digits))
            i = j + 4
        else:
            out += nxt.encode()
            i = j + 2
    return bytes(out)


def quote_string(value: bytes) -> str:
    """A character-string in canonical quoted presentation form."""
    out = ['"']
    for b in value:
        if b in (0x22, 0x5C):
            out.append("\\" + chr(b))
        elif 0x20 <= b <= 0x7E:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03d}")
    out.append('"')
    return "".join(out)


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# An address as one int (the "key"): an IPv4 address is its 32-bit value, an
# IPv6 address its 128-bit value with this bit added, so keys of the two
# families never collide. Rules compare and index keys, and build ipaddress
# objects only for messages.
V6_FLAG = 1 << 128


def address_of(key: int) -> IPAddress:
    """The ipaddress object of an address key."""
    if key < V6_FLAG:
        return ipaddress.IPv4Address(key)
    return ipaddress.IPv6Address(key ^ V6_FLAG)


def key_of(address: IPAddress) -> int:
    """The key of an address (see :data:`V6_FLAG`)."""
    return int(address) if address.version == 4 else int(address) | V6_FLAG


class Address(NamedTuple):
    """A or AAAA, kept as its int key (see :data:`V6_FLAG`): keys compare and
    hash cheaply, and ``address`` builds the ipaddress object when needed.
    Immutable; :meth:`of` makes one from an ipaddress object."""

    key: int

    @classmethod
    def of(cls, address: IPAddress) -> Address:
        return cls(key_of(address))

    @property
    def address(self) -> IPAddress:
        return address_of(self.key)

    @property
    def is_v4(self) -> bool:
        return self.key < V6_FLAG

    def to_text(self) -> str:
        key = self.key
        if key < V6_FLAG:  # what str(IPv4Address) gives
            return socket.inet_ntoa(key.to_bytes(4, "big"))
        return str(ipaddress.IPv6Address(key ^ V6_FLAG))

    def targets(self) -> tuple[ParsedName, ...]:
        return ()


class Target(NamedTuple):
    """CNAME, NS or PTR: one domain name. Immutable."""

    target: ParsedName

    def to_text(self) -> str:
        return self.target.name.to_text()

    def targets(self) -> tuple[ParsedName, ...]:
        return (self.target,)


class MX(NamedTuple):
    preference: int
    exchange: ParsedName

    def to_text(self) -> str:
        return f"{self.preference} {self.exchange.name.to_text()}"

    def targets(self) -> tuple[ParsedName, ...]:
        return (self.exchange,)


class SRV(NamedTuple):
    priority: int
    weight: int
    port: int
    target: ParsedName

    def to_text(self) -> str:
        return f"{self.priority} {self.weight} {self.port} {self.target.name.to_text()}"

    def targets(self) -> tuple[ParsedName, ...]:
        return (self.target,)


class TXT(NamedTuple):
    strings: tuple[bytes, ...]

    def to_text(self) -> str:
        return " ".join(quote_string(s) for s in self.strings)

    def targets(self) -> tuple[ParsedName, ...]:
        return ()


class CAA(NamedTuple):
    flags: int
    tag: str
    value: bytes

    def to_text(self) -> str:
        return f"{self.flags} {self.tag} {quote_string(self.value)}"

    def targets(self) -> tuple[ParsedName, ...]:
        return ()


Rdata = Address | Target | MX | SRV | TXT | CAA


def _uint(token: Token, field: str, bits: int) -> int:
    raw, octets, quoted = token
    text = octets.decode("ascii", "replace")
    limit = (1 << bits) - 1
    if quoted or not text.isdigit():
        raise RdataError("rdata-syntax", f"{field} '{raw}' is not a whole number")
    value = int(text)
    if value > limit:
        raise RdataError("field-range", f"{field} {value} is out of range", f"use 0..{limit}")
    return value


def _target(token: Token, field: str, names: NameReader) -> ParsedName:
    raw, _, quoted = token
    if quoted:
        raise RdataError("target-syntax", f"{field} {raw} is quoted; write the bare name")
    try:
        return names.read(raw)
    except NameSyntaxError as exc:
        raise RdataError("target-syntax", f"{field} {raw!r} is not a valid name: {exc}") from None


def _count(tokens: list[Token], rtype: RType, fields: str) -> None:
    if len(tokens) == fields.count(" ") + 1:
        return
    expected = fields.count(" ") + 1
    if len(tokens) != expected:
        got = "nothing" if not tokens else f"{len(tokens)} fields"
        raise RdataError(
            "rdata-syntax",
            f"{rtype} data needs {expected} field{'s' if expected > 1 else ''} ({fields}), "
            f"got {got}",
        )


_V4_SHAPE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_hex_colon = re.compile(r"[0-9A-Fa-f:]+").fullmatch


def _parse_a(text: str) -> Address:
    try:  # the fast, strict C parser (no leading zeros, no short forms)
        return Address(int.from_bytes(socket.inet_pton(socket.AF_INET, text)))
    except (OSError, ValueError):  # ValueError: an embedded NUL
        pass
    try:
        return Address.of(ipaddress.IPv4Address(text))
    except ValueError:
        pass
    if ":" in text:
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            pass
        else:
            raise RdataError(
                "address-family", f"{text!r} is an IPv6 address", "put it in an AAAA record"
            )
    hint = "write four decimal octets without leading zeros, e.g. 10.0.0.53"
    raise RdataError("address-syntax", f"{text!r} is not an IPv4 address", hint)


def _parse_aaaa(text: str) -> Address:
    if _hex_colon(text) is not None:  # only hex digits and colons: the C parser decides
        try:
            return Address(int.from_bytes(socket.inet_pton(socket.AF_INET6, text)) | V6_FLAG)
        except (OSError, ValueError):
            pass
    if _V4_SHAPE.match(text):
        raise RdataError("address-family", f"{text!r} is an IPv4 address", "put it in an A record")
    try:
        addr = ipaddress.IPv6Address(text)
    except ValueError:
        raise RdataError("address-syntax", f"{text!r} is not an IPv6 address") from None
    if addr.scope_id is not None:
        raise RdataError("address-syntax", f"{text!r} has a zone index (%…), which DNS cannot hold")
    return Address.of(addr)


_TARGET_FIELD = {rtype: f"{rtype} target" for rtype in NAME_TYPES}


def parse_rdata(
    rtype: RType, text: str, origin: DomainName, names: NameReader | None = None
) -> Rdata:
    """Parse ``text`` (presentation format, RFC 1035 §5.1) as RDATA of
    ``rtype`` with names relative to ``origin``, read through ``names`` when
    given (a reader for ``origin``). Raises RdataError."""
    if names is None:
        names = NameReader(origin)
    if rtype in ADDRESS_TYPES:
        stripped = text.strip()
        if " " in stripped or not stripped:
            _count(tokenize(text), rtype, "address")
        return _parse_a(stripped) if rtype is T_A else _parse_aaaa(stripped)
    tokens = tokenize(text)
    if rtype in NAME_TYPES:
        _count(tokens, rtype, "target")
        return Target(_target(tokens[0], _TARGET_FIELD[rtype], names))
    if rtype is T_MX:
        _count(tokens, rtype, "preference exchange")
        return MX(_uint(tokens[0], "preference", 16), _target(tokens[1], "exchange", names))
    if rtype is T_SRV:
        _count(tokens, rtype, "priority weight port target")
        return SRV(
            _uint(tokens[0], "priority", 16),
            _uint(tokens[1], "weight", 16),
            _uint(tokens[2], "port", 16),
            _target(tokens[3], "target", names),
        )
    if rtype is T_TXT:
        if not tokens:
            raise RdataError("rdata-syntax", "TXT data is empty", 'write "" for an empty string')
        strings = tuple(value for _, value, _ in tokens)
        for value in strings:
            if len(value) > MAX_STRING:
                raise RdataError(
                    "txt-length",
                    f"a character-string is {len(value)} octets; each may hold at most 255",
                    'split it into several quoted strings: "first part" "second part"',
                )
        return TXT(strings)
    if rtype is T_CAA:
        _count(tokens, rtype, "flags tag value")
        flags = _uint(tokens[0], "flags", 8)
        tag_raw, tag_octets, tag_quoted = tokens[1]
        tag = tag_octets.decode("ascii", "replace")
        if tag_quoted or not tag or len(tag) > 15 or not tag.isalnum() or not tag.isascii():
            raise RdataError(
                "caa-tag",
                f"CAA tag '{tag_raw}' is not 1-15 ASCII letters and digits",
                "use issue, issuewild or iodef",
            )
        return CAA(flags, tag, tokens[2][1])
    raise RdataError("unsupported-type", f"type {rtype} is not supported")  # pragma: no cover


# TXT data that is only quoted strings (then no token is bare).
_QUOTED_TXT = re.compile(r'[ \t]*"(?:[^"\\]|\\.)*"(?:[ \t]+"(?:[^"\\]|\\.)*")*[ \t]*')


def is_unquoted_txt(text: str) -> bool:
    """True when TXT data has a bare token (a zone file splits those at spaces)."""
    if _QUOTED_TXT.fullmatch(text) is not None:
        return False
    try:
        return any(not quoted for _, _, quoted in tokenize(text))
    except RdataError:
        return False
