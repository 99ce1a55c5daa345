"""Host reservations from Kea's DHCPv4 and DHCPv6 configuration files.

``dns-static-agent classify --kea-config FILE`` files every name Kea reserves
under DHCP, so a migration does not declare in Nix a host that Kea DHCP-DDNS
writes (and deletes whole, type ANY, when its lease ends).

Kea's configuration is JSON extended by its own parser (Kea ARM, "Kea
Configuration", "Comments and User Context"): ``#`` and ``//`` comments to
the end of the line, ``/* ... */`` block comments, and ``<?include
"file"?>`` directives. Trailing commas are tolerated. Comments are stripped
before directives are read, as Kea's lexer does: a commented-out include is
ignored. Comment markers and directives inside JSON strings are data.

Reservations are read where Kea 2.x allows them: global ``reservations``,
``subnet4``/``subnet6`` entries, and subnets inside ``shared-networks``.
A reserved ``hostname`` is qualified as Kea's DHCP-DDNS client does, with the
most specific ``ddns-qualifying-suffix`` (subnet, shared network, global; the
older ``dhcp-ddns.qualifying-suffix`` last). Because Kea versions differ on
names that already hold dots, both readings of such a name are reserved (as
written, and with the suffix added). Each reserved address also reserves its
reverse name (``in-addr.arpa``/``ip6.arpa``), where Kea writes the PTR.

Reservations kept in a host database (``hosts-database``) are not in these
files and cannot be seen here.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.exception
import dns.name
import dns.rdtypes.ANY.PTR
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.reversename
import dns.rrset

from agent.errors import InputError

_SERVERS: tuple[tuple[str, str], ...] = (("Dhcp4", "subnet4"), ("Dhcp6", "subnet6"))
_INCLUDE = re.compile(r'<\?include\s+"([^"]*)"\s*\?>')
_MAX_INCLUDE_DEPTH = 8


class KeaConfigError(InputError):
    """A Kea configuration file is unreadable or not in Kea's syntax."""


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Reservation:
    """One Kea host reservation: the names Kea may write for it and why."""

    names: tuple[dns.name.Name, ...]  # absolute forward and reverse names
    where: str  # e.g. "kea-dhcp4.conf: Dhcp4 subnet 10.0.0.0/24, hw-address 1a:1b:..."
    addresses: tuple[Address, ...] = ()  # reserved addresses
    has_hostname: bool = False  # False: the client names itself (any name may get the address)


# -- Kea's JSON dialect ---------------------------------------------------------------


def _string_end(text: str, start: int) -> int:
    """Index just past the JSON string that opens at ``text[start]``."""
    end = start + 1
    while end < len(text) and text[end] != '"':
        end += 2 if text[end] == "\\" else 1
    return end + 1


def _scan(text: str, include: Callable[[str], str] | None = None) -> str:
    """`text` with Kea's comments (``#``, ``//``, ``/* */``) replaced by blanks
    (newlines kept, so JSON error positions stay right) and, given `include`,
    every ``<?include "file"?>`` outside strings and comments replaced by
    ``include(file)``, as Kea's lexer reads them: a commented-out include is
    ignored, one inside a string is data. Strings are copied untouched.
    Raises ValueError for a ``/*`` never closed."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            end = _string_end(text, i)
            out.append(text[i:end])
            i = end
        elif char == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise ValueError("a /* comment is never closed")
            out.append(re.sub(r"[^\n]", " ", text[i : end + 2]))
            i = end + 2
        elif include is not None and (directive := _INCLUDE.match(text, i)) is not None:
            out.append(include(directive.group(1)))
            i = directive.end()
        else:
            out.append(char)
            i += 1
    return "".join(out)


def strip_comments(text: str) -> str:
    """`text` with Kea's comments replaced by blanks (see `_scan`) and trailing
    commas before ``]``/``}`` removed. Strings are copied untouched."""
    return _drop_trailing_commas(_scan(text))


_JSON_STRING = re.compile(r'("(?:[^"\\]|\\.)*")')
_TRAILING_COMMA = re.compile(r",(\s*[\]}])")


def _drop_trailing_commas(text: str) -> str:
    # odd pieces are JSON strings (kept), even pieces the text between them
    pieces = _JSON_STRING.split(text)
    return "".join(
        piece if index % 2 else _TRAILING_COMMA.sub(r" \1", piece)
        for index, piece in enumerate(pieces)
    )


def _expand_includes(path: Path, depth: int) -> str:
    """The text of `path`, comments blanked and includes expanded (recursively,
    a relative file name against the including file's directory)."""

    def include(name: str) -> str:
        target = Path(name)
        if not target.is_absolute():
            target = path.parent / target
        if depth >= _MAX_INCLUDE_DEPTH:
            raise KeaConfigError(
                f"{path}: includes nested deeper than {_MAX_INCLUDE_DEPTH} (a loop?) at {target}"
            )
        return _expand_includes(target, depth + 1)

    try:
        return _scan(_read_text(path), include)
    except ValueError as exc:  # a comment never closed
        raise KeaConfigError(
            f"{path} is not a Kea configuration ({exc}); check it with kea-dhcp4 -t {path}"
        ) from None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeaConfigError(
            f"cannot read Kea configuration {path}: {exc.strerror or exc}; give the file "
            "Kea runs with (e.g. /etc/kea/kea-dhcp4.conf)"
        ) from None
    except UnicodeDecodeError:
        raise KeaConfigError(f"Kea configuration {path} is not UTF-8 text") from None


def load_kea_config(path: Path) -> dict[str, Any]:
    """The configuration in `path` as Kea reads it (comments, includes).

    Raises `KeaConfigError` with the file, line and column of a syntax error.
    """
    text = _expand_includes(path, 0)
    try:
        data = json.loads(_drop_trailing_commas(text))
    except ValueError as exc:
        where = (
            f"line {exc.lineno} column {exc.colno}: {exc.msg}"
            if isinstance(exc, json.JSONDecodeError)
            else str(exc)
        )
        raise KeaConfigError(
            f"{path} is not a Kea configuration ({where}); check it with kea-dhcp4 -t {path}"
        ) from None
    if not isinstance(data, dict) or not any(server in data for server, _ in _SERVERS):
        raise KeaConfigError(
            f"{path} holds no Dhcp4 or Dhcp6 configuration; give the DHCP server's "
            "file (kea-dhcp4.conf or kea-dhcp6.conf), not D2's"
        )
    return data


# -- reservations -------------------------------------------------------------------------


def _list(node: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = node.get(key, [])
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _suffix(*scopes: Mapping[str, Any]) -> str:
    """The most specific non-null ``ddns-qualifying-suffix`` of `scopes`
    (innermost first)."""
    for scope in scopes:
        value = scope.get("ddns-qualifying-suffix")
        if isinstance(value, str):
            return value
    return ""


def _scopes(server: Mapping[str, Any], subnet_key: str) -> Iterator[tuple[str, str, list[Any]]]:
    """(scope description, qualifying suffix, reservations) of every scope."""
    legacy = server.get("dhcp-ddns")
    legacy_suffix = (
        legacy.get("qualifying-suffix", "")
        if isinstance(legacy, Mapping) and isinstance(legacy.get("qualifying-suffix"), str)
        else ""
    )
    global_suffix = _suffix(server) or legacy_suffix
    yield "global", global_suffix, _list(server, "reservations")
    for subnet in _list(server, subnet_key):
        suffix = _suffix(subnet) or global_suffix
        yield f"subnet {subnet.get('subnet', '?')}", suffix, _list(subnet, "reservations")
    for network in _list(server, "shared-networks"):
        for subnet in _list(network, subnet_key):
            suffix = _suffix(subnet, network) or global_suffix
            where = f"shared network {network.get('name', '?')} subnet {subnet.get('subnet', '?')}"
            yield where, suffix, _list(subnet, "reservations")


_IDENTIFIERS = ("hw-address", "duid", "client-id", "circuit-id", "flex-id")


def _identifier(reservation: Mapping[str, Any]) -> str:
    for key in _IDENTIFIERS:
        if key in reservation:
            return f"{key} {reservation[key]}"
    return "no identifier"


def _forward_names(hostname: str, suffix: str) -> list[dns.name.Name]:
    readings = []
    if hostname.endswith("."):
        readings.append(hostname)
    else:
        if suffix:
            readings.append(f"{hostname}.{suffix.rstrip('.')}.")
        if "." in hostname or not suffix:
            readings.append(hostname + ".")
    names = []
    for text in readings:
        try:
            names.append(dns.name.from_text(text))
        except dns.exception.DNSException:
            continue
    return names


def _addresses(reservation: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    single = reservation.get("ip-address")
    if isinstance(single, str):
        out.append(single)
    many = reservation.get("ip-addresses")
    if isinstance(many, list):
        out.extend(item for item in many if isinstance(item, str))
    return out


def _parsed(addresses: Sequence[str]) -> list[Address]:
    out = []
    for text in addresses:
        try:
            out.append(ipaddress.ip_address(text))
        except ValueError:
            continue
    return out


def _reverse_names(addresses: Sequence[Address]) -> list[dns.name.Name]:
    return [dns.reversename.from_address(str(address)) for address in addresses]


def reservations_in(config: Mapping[str, Any], source: str) -> list[Reservation]:
    """Every reservation of `config` (a parsed Kea file named `source`) that
    gives Kea a name to write: a hostname, or an address (its PTR)."""
    out: list[Reservation] = []
    for server_key, subnet_key in _SERVERS:
        server = config.get(server_key)
        if not isinstance(server, Mapping):
            continue
        for scope, suffix, reservations in _scopes(server, subnet_key):
            for reservation in reservations:
                hostname = reservation.get("hostname")
                forward = (
                    _forward_names(hostname, suffix)
                    if isinstance(hostname, str) and hostname
                    else []
                )
                addresses = tuple(dict.fromkeys(_parsed(_addresses(reservation))))
                names = tuple(dict.fromkeys(forward + _reverse_names(addresses)))
                if not names:
                    continue
                label = f"hostname {hostname}" if forward else "address only"
                out.append(
                    Reservation(
                        names,
                        f"{source}: {server_key} {scope}, {_identifier(reservation)}, {label}",
                        addresses,
                        bool(forward),
                    )
                )
    return out


def read_reservations(paths: Sequence[Path]) -> list[Reservation]:
    """The reservations of all Kea files in `paths` (DHCPv4 and/or DHCPv6)."""
    out: list[Reservation] = []
    for path in paths:
        out.extend(reservations_in(load_kea_config(path), path.name))
    return out


def reserved_names(reservations: Sequence[Reservation]) -> dict[dns.name.Name, str]:
    """Name -> why it is reserved (the first reservation naming it)."""
    out: dict[dns.name.Name, str] = {}
    for reservation in reservations:
        for name in reservation.names:
            out.setdefault(name, f"reserved in Kea ({reservation.where})")
    return out


@dataclass(frozen=True, slots=True)
class KeaReserved:
    """What Kea's reservations let DHCP-DDNS write, as `classify` needs it.

    `names`: every reserved forward name and reverse name -> why.
    `addresses`: the addresses of reservations without a hostname -> why;
    such a client sends its own name, so Kea may write any name with it.
    """

    names: Mapping[dns.name.Name, str]
    addresses: Mapping[Address, str]

    def claim(self, rrset: dns.rrset.RRset) -> str | None:
        """Why `rrset` is DHCP's under these reservations, or None: its owner
        name is reserved; a PTR points at a reserved name (Kea writes the
        host's PTR wherever it leases it an address); an A/AAAA holds the
        address of a reservation without a hostname."""
        why = self.names.get(rrset.name)
        if why is not None:
            return why
        for rdata in rrset:
            if isinstance(rdata, dns.rdtypes.ANY.PTR.PTR) and rdata.target in self.names:
                return f"points to {rdata.target.to_text()}, {self.names[rdata.target]}"
            if isinstance(rdata, dns.rdtypes.IN.A.A | dns.rdtypes.IN.AAAA.AAAA):
                address = ipaddress.ip_address(rdata.address)
                if address in self.addresses:
                    return f"{address} is {self.addresses[address]}"
        return None


def kea_reserved(reservations: Sequence[Reservation]) -> KeaReserved:
    """The names and addresses `reservations` give Kea to write."""
    addresses: dict[Address, str] = {}
    for reservation in reservations:
        if reservation.has_hostname:
            continue
        for address in reservation.addresses:
            addresses.setdefault(address, f"reserved in Kea ({reservation.where})")
    return KeaReserved(reserved_names(reservations), addresses)
