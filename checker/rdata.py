"""RDATA of the supported types, parsed from zone-file presentation format.

Each value class is immutable and built only through :func:`parse_rdata`, so an
invalid one never exists. ``to_text()`` gives a canonical, absolute
presentation form that dnspython parses to the same RDATA (the agent compares
on it).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from checker.frozen import frozen_delattr, frozen_setattr, slot_setter
from checker.names import DomainName, NameSyntaxError, ParsedName, parse_name


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


@dataclass(frozen=True, slots=True)
class Token:
    raw: str  # as written, escapes intact (names are re-parsed from this)
    value: bytes  # escapes decoded
    quoted: bool


# Data with no escapes and nothing odd: bare words and plain quoted strings,
# separated by blanks. Anything else takes the careful path below.
_SIMPLE = re.compile(r'[ \t]*(?:(?:"[^"\\\r\n]*"|[^\s"\\;()]+)(?:[ \t]+|$))*')
_SIMPLE_TOKEN = re.compile(r'"([^"]*)"|([^ \t]+)')


def tokenize(text: str) -> list[Token]:
    """Split presentation text into tokens; quoted strings keep their spaces."""
    if _SIMPLE.fullmatch(text) is not None:
        return [
            Token(m[0], m[1].encode(), True)
            if m[1] is not None
            else Token(m[0], m[2].encode(), False)
            for m in _SIMPLE_TOKEN.finditer(text)
        ]
    return tokenize_careful(text)


def tokenize_careful(text: str) -> list[Token]:
    """The general tokenizer: escapes, odd characters, precise errors."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t":
            i += 1
            continue
        if ch in "\r\n":
            raise RdataError("rdata-syntax", "a line break inside the data")
        quoted = ch == '"'
        start = i
        if quoted:
            i += 1
        value = bytearray()
        while i < n:
            ch = text[i]
            if ch == "\\":
                if i + 1 >= n:
                    raise RdataError("txt-quoting", "a backslash at the end escapes nothing")
                nxt = text[i + 1]
                if nxt.isdigit():
                    digits = text[i + 1 : i + 4]
                    if len(digits) != 3 or not digits.isdigit() or int(digits) > 255:
                        raise RdataError(
                            "txt-quoting",
                            f"bad escape '\\{digits}'",
                            "use \\DDD with three decimal digits up to 255",
                        )
                    value.append(int(digits))
                    i += 4
                    continue
                value.extend(nxt.encode("utf-8"))
                i += 2
                continue
            if quoted and ch == '"':
                i += 1
                break
            if not quoted and ch in " \t":
                break
            if not quoted and ch in '";()':
                raise RdataError(
                    "rdata-syntax",
                    f"unescaped '{ch}' in the data",
                    "quote the text or escape the character with a backslash",
                )
            value.extend(ch.encode("utf-8"))
            i += 1
        else:
            if quoted:
                raise RdataError(
                    "txt-quoting",
                    "unterminated quoted string",
                    'close the string with " (escape a literal quote as \\")',
                )
        tokens.append(Token(text[start:i], bytes(value), quoted))
    return tokens


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


class _AddressFields:
    __slots__ = ("key",)

    key: int  # see V6_FLAG


_set_key = slot_setter(_AddressFields, "key")


class _AddressDraft(_AddressFields):
    __slots__ = ()


class Address(_AddressFields):
    """A or AAAA. Immutable (a frozen plain class: there are many). Keeps the
    address as its int key; ``address`` builds the ipaddress object."""

    __slots__ = ()

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, address: IPAddress) -> None:
        _set_key(self, key_of(address))

    @property
    def address(self) -> IPAddress:
        return address_of(self.key)

    @property
    def is_v4(self) -> bool:
        return self.key < V6_FLAG

    def __reduce__(self) -> tuple[type[Address], tuple[IPAddress]]:
        return (Address, (self.address,))

    def __eq__(self, other: object) -> bool:
        if type(other) is not Address:
            return NotImplemented
        return self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"Address(address={self.address!r})"

    def to_text(self) -> str:
        key = self.key
        if key < V6_FLAG:  # what str(IPv4Address) gives
            return socket.inet_ntoa(key.to_bytes(4, "big"))
        return str(ipaddress.IPv6Address(key ^ V6_FLAG))

    def targets(self) -> tuple[ParsedName, ...]:
        return ()


class _TargetFields:
    __slots__ = ("target",)

    target: ParsedName


_set_target = slot_setter(_TargetFields, "target")


class _TargetDraft(_TargetFields):
    __slots__ = ()


class Target(_TargetFields):
    """CNAME, NS or PTR: one domain name. Immutable."""

    __slots__ = ()

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(self, target: ParsedName) -> None:
        _set_target(self, target)

    def __reduce__(self) -> tuple[type[Target], tuple[ParsedName]]:
        return (Target, (self.target,))

    def __eq__(self, other: object) -> bool:
        if type(other) is not Target:
            return NotImplemented
        return self.target == other.target

    def __hash__(self) -> int:
        return hash((self.target,))

    def __repr__(self) -> str:
        return f"Target(target={self.target!r})"

    def to_text(self) -> str:
        return self.target.name.to_text()

    def targets(self) -> tuple[ParsedName, ...]:
        return (self.target,)


@dataclass(frozen=True, slots=True)
class MX:
    preference: int
    exchange: ParsedName

    def to_text(self) -> str:
        return f"{self.preference} {self.exchange.name.to_text()}"

    def targets(self) -> tuple[ParsedName, ...]:
        return (self.exchange,)


@dataclass(frozen=True, slots=True)
class SRV:
    priority: int
    weight: int
    port: int
    target: ParsedName

    def to_text(self) -> str:
        return f"{self.priority} {self.weight} {self.port} {self.target.name.to_text()}"

    def targets(self) -> tuple[ParsedName, ...]:
        return (self.target,)


@dataclass(frozen=True, slots=True)
class TXT:
    strings: tuple[bytes, ...]

    def to_text(self) -> str:
        return " ".join(quote_string(s) for s in self.strings)

    def targets(self) -> tuple[ParsedName, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class CAA:
    flags: int
    tag: str
    value: bytes

    def to_text(self) -> str:
        return f"{self.flags} {self.tag} {quote_string(self.value)}"

    def targets(self) -> tuple[ParsedName, ...]:
        return ()


Rdata = Address | Target | MX | SRV | TXT | CAA
_new = object.__new__


def new_address(key: int) -> Address:
    """``Address`` of an address key, faster (for the hot loops)."""
    draft: Any = _new(_AddressDraft)
    draft.key = key
    draft.__class__ = Address
    made: Address = draft
    return made


def new_target(target: ParsedName) -> Target:
    """``Target(target)``, faster (for the hot loops)."""
    draft: Any = _new(_TargetDraft)
    draft.target = target
    draft.__class__ = Target
    made: Target = draft
    return made


def _uint(token: Token, field: str, bits: int) -> int:
    text = token.value.decode("ascii", "replace")
    limit = (1 << bits) - 1
    if token.quoted or not text.isdigit():
        raise RdataError("rdata-syntax", f"{field} '{token.raw}' is not a whole number")
    value = int(text)
    if value > limit:
        raise RdataError("field-range", f"{field} {value} is out of range", f"use 0..{limit}")
    return value


def _target(token: Token, field: str, origin: DomainName) -> ParsedName:
    if token.quoted:
        raise RdataError("target-syntax", f"{field} {token.raw} is quoted; write the bare name")
    try:
        return parse_name(token.raw, origin)
    except NameSyntaxError as exc:
        raise RdataError(
            "target-syntax", f"{field} '{token.raw}' is not a valid name: {exc}"
        ) from None


def _count(tokens: list[Token], rtype: RType, fields: str) -> None:
    expected = len(fields.split())
    if len(tokens) != expected:
        got = "nothing" if not tokens else f"{len(tokens)} fields"
        raise RdataError(
            "rdata-syntax",
            f"{rtype} data needs {expected} field{'s' if expected > 1 else ''} ({fields}), "
            f"got {got}",
        )


_V4_SHAPE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


def _parse_a(text: str) -> Address:
    try:  # the fast, strict C parser (no leading zeros, no short forms)
        packed = socket.inet_pton(socket.AF_INET, text)
    except OSError:
        pass
    else:
        return Address(ipaddress.IPv4Address(packed))
    try:
        return Address(ipaddress.IPv4Address(text))
    except ValueError:
        pass
    if ":" in text:
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            pass
        else:
            raise RdataError(
                "address-family", f"'{text}' is an IPv6 address", "put it in an AAAA record"
            )
    hint = "write four decimal octets without leading zeros, e.g. 10.0.0.53"
    raise RdataError("address-syntax", f"'{text}' is not an IPv4 address", hint)


def _parse_aaaa(text: str) -> Address:
    if _V4_SHAPE.match(text):
        raise RdataError("address-family", f"'{text}' is an IPv4 address", "put it in an A record")
    try:
        addr = ipaddress.IPv6Address(text)
    except ValueError:
        raise RdataError("address-syntax", f"'{text}' is not an IPv6 address") from None
    if addr.scope_id is not None:
        raise RdataError("address-syntax", f"'{text}' has a zone index (%…), which DNS cannot hold")
    return Address(addr)


_inet_pton = socket.inet_pton
_AF_INET, _AF_INET6 = socket.AF_INET, socket.AF_INET6
_from_bytes = int.from_bytes
# Data that is one bare word (no blanks, quotes, escapes or specials).
_bare_word = re.compile(r'[^\s"\\;()]+').fullmatch
_hex_colon = re.compile(r"[0-9A-Fa-f:]+").fullmatch
_mx_plain = re.compile(r'([0-9]{1,5}) ([^\s"\\;()]+)').fullmatch
# TXT data of quoted strings without escapes or line breaks, and those strings.
_txt_plain = re.compile(r'[ \t]*"[^"\\\r\n]*"(?:[ \t]+"[^"\\\r\n]*")*[ \t]*').fullmatch
_txt_strings = re.compile(r'"([^"]*)"').findall
_srv_plain = re.compile(r'([0-9]{1,5}) ([0-9]{1,5}) ([0-9]{1,5}) ([^\s"\\;()]+)').fullmatch


def _plain_target(text: str, field: str, origin: DomainName) -> ParsedName:
    try:
        return parse_name(text, origin)
    except NameSyntaxError as exc:
        raise RdataError("target-syntax", f"{field} '{text}' is not a valid name: {exc}") from None


def parse_rdata(rtype: RType, text: str, origin: DomainName) -> Rdata:
    """Parse ``text`` as RDATA of ``rtype`` with names relative to ``origin``."""
    # Fast paths for the plain spellings; they give what the general code below
    # gives, and leave everything else (and every error) to it.
    if rtype is T_A:
        try:
            return new_address(_from_bytes(_inet_pton(_AF_INET, text)))
        except OSError:
            pass
    elif rtype in NAME_TYPES:
        if _bare_word(text) is not None:
            return new_target(_plain_target(text, f"{rtype} target", origin))
    elif rtype is T_AAAA:
        if _hex_colon(text) is not None:
            try:
                return new_address(_from_bytes(_inet_pton(_AF_INET6, text)) | V6_FLAG)
            except OSError:
                pass
    elif rtype is T_MX:
        match = _mx_plain(text)
        if match is not None and int(match[1]) <= 0xFFFF:
            return MX(int(match[1]), _plain_target(match[2], "exchange", origin))
    elif rtype is T_SRV:
        match = _srv_plain(text)
        if match is not None and max(int(match[1]), int(match[2]), int(match[3])) <= 0xFFFF:
            return SRV(
                int(match[1]),
                int(match[2]),
                int(match[3]),
                _plain_target(match[4], "target", origin),
            )
    elif rtype is T_TXT and _txt_plain(text) is not None:
        # Only plain quoted strings: what tokenize would give, without
        # its tokens.
        strings = tuple(s.encode() for s in _txt_strings(text))
        if max(map(len, strings)) <= MAX_STRING:
            return TXT(strings)
    if rtype is T_A:
        stripped = text.strip()
        if " " in stripped or not stripped:
            _count(tokenize(text), rtype, "address")
        return _parse_a(stripped)
    if rtype is T_AAAA:
        stripped = text.strip()
        if " " in stripped or not stripped:
            _count(tokenize(text), rtype, "address")
        return _parse_aaaa(stripped)
    tokens = tokenize(text)
    if rtype in NAME_TYPES:
        _count(tokens, rtype, "target")
        return Target(_target(tokens[0], f"{rtype} target", origin))
    if rtype is T_MX:
        _count(tokens, rtype, "preference exchange")
        return MX(_uint(tokens[0], "preference", 16), _target(tokens[1], "exchange", origin))
    if rtype is T_SRV:
        _count(tokens, rtype, "priority weight port target")
        return SRV(
            _uint(tokens[0], "priority", 16),
            _uint(tokens[1], "weight", 16),
            _uint(tokens[2], "port", 16),
            _target(tokens[3], "target", origin),
        )
    if rtype is T_TXT:
        if not tokens:
            raise RdataError("rdata-syntax", "TXT data is empty", 'write "" for an empty string')
        for tok in tokens:
            if len(tok.value) > MAX_STRING:
                raise RdataError(
                    "txt-length",
                    f"a character-string is {len(tok.value)} octets; each may hold at most 255",
                    'split it into several quoted strings: "first part" "second part"',
                )
        return TXT(tuple(tok.value for tok in tokens))
    if rtype is T_CAA:
        _count(tokens, rtype, "flags tag value")
        flags = _uint(tokens[0], "flags", 8)
        tag = tokens[1].value.decode("ascii", "replace")
        if tokens[1].quoted or not tag or len(tag) > 15 or not tag.isalnum() or not tag.isascii():
            raise RdataError(
                "caa-tag",
                f"CAA tag '{tokens[1].raw}' is not 1-15 ASCII letters and digits",
                "use issue, issuewild or iodef",
            )
        return CAA(flags, tag, tokens[2].value)
    raise RdataError("unsupported-type", f"type {rtype} is not supported")  # pragma: no cover


def is_unquoted_txt(text: str) -> bool:
    """True when TXT data has a bare token (a zone file splits those at spaces)."""
    try:
        return any(not tok.quoted for tok in tokenize(text))
    except RdataError:
        return False
