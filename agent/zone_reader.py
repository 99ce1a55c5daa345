"""Read a whole zone by AXFR over TCP with TSIG, failing closed, and index it.

The only module that transfers zones. The transfer happens in three steps:

1. **Receive**: read every message of the transfer off the socket before doing
   any real work. Knot's default ``tcp-io-timeout`` (500 ms) cuts off clients
   that parse while reading, and dnspython's parser costs ~65 µs a record.
   While receiving we only walk each message's record headers (a few µs per
   record) to learn where the transfer ends (the closing SOA) and where each
   message's TSIG record sits.
2. **Verify**: every message must carry a TSIG that verifies, chained as RFC
   8945 §5.3.1 requires (Knot signs every message; an unsigned one is refused
   here although the RFC would tolerate up to 99).
3. **Index**: the messages are kept as received. Each record's owner name is
   decoded (with a per-message cache of compression targets) and the record's
   place in its message is filed under that name; nothing else is decoded.
   RDATA is decoded only when an RRset is asked for (`ZoneSnapshot.get`),
   through dnspython's own wire parsers or a fast path checked against them,
   so every type is decoded exactly as dnspython would. A planner that asks
   for the names it needs therefore costs time in proportion to those names,
   not to the zone.

Anything incomplete -- connection closed early, no closing SOA, an rcode other
than NOERROR, any TSIG failure, a malformed message, a record outside the zone
or of another class -- raises `TransferError` or `TsigError`. A partial or
empty zone is never returned. RDATA that cannot be decoded raises
`TransferError` when it is first asked for (before any change is planned from
it); a backup decodes the whole zone.
"""

from __future__ import annotations

import logging
import socket
import struct
import time
from array import array
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass

import dns.exception
import dns.ipv4
import dns.ipv6
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.SOA
import dns.rdtypes.ANY.TSIG
import dns.rrset
import dns.tsig
import dns.wire

from agent.errors import ServerUnreachable, TransferError, TsigError
from agent.keyfile import TsigKey

log = logging.getLogger(__name__)

RRsetKey = tuple[dns.name.Name, dns.rdatatype.RdataType]
#: An owner name as the index keys it: its labels, lower case, root label last.
Labels = tuple[bytes, ...]

#: Types Knot maintains itself when signing; they are left out of the snapshot
#: (an RRSIG set cannot be one RRset per name anyway).
_DNSSEC_MAINTAINED = frozenset({dns.rdatatype.RRSIG, dns.rdatatype.NSEC, dns.rdatatype.NSEC3})
_DNSSEC_VALUES = frozenset(int(t) for t in _DNSSEC_MAINTAINED)
_TYPE_SOA = int(dns.rdatatype.SOA)
_TYPE_TSIG = int(dns.rdatatype.TSIG)
_TYPE_TXT = int(dns.rdatatype.TXT)
_TYPE_DHCID = int(dns.rdatatype.DHCID)
_CLASS_IN = int(dns.rdataclass.IN)
_HEADER = struct.Struct("!HHHHHH")
_RR_HEADER = struct.Struct("!HHIH")
_TTL_RDLENGTH = struct.Struct("!IH")
_MAX_MESSAGES = 1_000_000
# A record's place in the index, one int: message number << 40 | offset of its
# type field << 16 | its type. Offsets of up to 24 bits leave room for the
# single uncompressed blob a snapshot built from RRsets is written into.
_OFFSET_BITS = 24
_MAX_BLOB = 1 << _OFFSET_BITS


def _labels_of(name: dns.name.Name) -> Labels:
    return tuple(map(bytes.lower, name.labels))


class JoinedStrings(bytes):
    """The text of a TXT RR of several character-strings, joined (as
    ExternalDNS reads its registry records). Our markers are one string, so
    such a text is never taken for one (`agent.ownership.NIX_MARKER`)."""

    __slots__ = ()


class ZoneSnapshot:
    """A complete, TSIG-verified copy of one zone at one serial, indexed by
    owner name and decoded on demand.

    Owner names are absolute and lower case (so `dns.name.Name` comparison and
    hashing, which ignore case anyway, agree with their text). RDATA is kept as
    the server sent it. Lookups (`get`, `types_at`, ...) cost time for the name
    asked about only; `rrsets`, `names` and `to_zone_text` walk the whole zone.
    The SOA is part of the zone. Built by `read_zone`, or from decoded RRsets
    (tests, tools): ``ZoneSnapshot(origin, serial, {(name, type): RRset})``.
    Raises `TransferError` when RDATA asked for cannot be decoded.
    """

    __slots__ = (
        "_by_name",
        "_decoded",
        "_dhcid",
        "_names",
        "_rrset_count",
        "_txt",
        "_wires",
        "origin",
        "serial",
    )

    origin: dns.name.Name
    serial: int
    _wires: list[bytes]
    _by_name: dict[Labels, list[int]]
    _txt: list[Labels]
    _dhcid: list[Labels]
    _decoded: dict[tuple[Labels, int], dns.rrset.RRset]
    _names: dict[Labels, dns.name.Name]
    _rrset_count: int | None

    def __init__(
        self,
        origin: dns.name.Name,
        serial: int,
        rrsets: Mapping[RRsetKey, dns.rrset.RRset],
    ) -> None:
        """A snapshot holding `rrsets` (each written out uncompressed, as a
        transfer would carry it). Raises `ValueError` without an absolute
        origin or an SOA at it."""
        blob = bytearray()
        names: array[int] = array("I")
        headers: array[int] = array("I")
        for (name, rdtype), rrset in rrsets.items():
            owner = name.to_wire() or b""
            value = int(rdtype)
            for rdata in rrset:
                data = rdata.to_wire()
                names.append(len(blob))
                blob += owner
                headers.append(len(blob))
                blob += _RR_HEADER.pack(value, _CLASS_IN, rrset.ttl, len(data))
                blob += data
        if len(blob) >= _MAX_BLOB:
            raise ValueError("too many records for a snapshot built from RRsets")
        index = _Index(origin.canonicalize().labels)
        try:
            index.add(bytes(blob), names, headers, len(headers))
        except _MalformedError as exc:
            raise ValueError(f"not a zone snapshot: {exc}") from None
        self._setup(origin, serial, index)

    @classmethod
    def _indexed(cls, origin: dns.name.Name, serial: int, index: _Index) -> ZoneSnapshot:
        snapshot = cls.__new__(cls)
        snapshot._setup(origin, serial, index)
        return snapshot

    def _setup(self, origin: dns.name.Name, serial: int, index: _Index) -> None:
        if not origin.is_absolute():
            raise ValueError("zone origin must be absolute")
        self.origin = origin
        self.serial = serial
        self._wires = index.wires
        self._by_name = index.by_name
        self._txt = index.txt
        self._dhcid = index.dhcid
        self._decoded = {}
        self._names = {}
        self._rrset_count = None
        if _TYPE_SOA not in self._types(_labels_of(origin)):
            raise ValueError("a zone snapshot needs its SOA")

    def __eq__(self, other: object) -> bool:
        """Same origin, serial and RRsets (decodes both zones)."""
        if not isinstance(other, ZoneSnapshot):
            return NotImplemented
        same = (self.origin, self.serial) == (other.origin, other.serial)
        return same and dict(self.rrsets) == dict(other.rrsets)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<ZoneSnapshot {self.origin} serial {self.serial}: {len(self._by_name)} names>"

    # -- per name: cost in proportion to the names asked about ---------------

    def get(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> dns.rrset.RRset | None:
        """The RRset (`name`, `rdtype`) as read, or None. Raises `TransferError`
        if its RDATA cannot be decoded."""
        return self._rrset(_labels_of(name), int(rdtype))

    def types_at(self, name: dns.name.Name) -> frozenset[dns.rdatatype.RdataType]:
        """The types of the RRsets at `name` (empty if it holds none); nothing decoded."""
        return frozenset(_rdatatype(value) for value in self._types(_labels_of(name)))

    def ttl(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> int | None:
        """The TTL of the RRset (`name`, `rdtype`) as `get` gives it (the least
        of its records'), or None without that RRset; nothing decoded."""
        value = int(rdtype)
        least: int | None = None
        for packed in self._by_name.get(_labels_of(name), ()):
            if packed & 0xFFFF == value:
                wire, header = self._place(packed)
                ttl, _rdlength = _TTL_RDLENGTH.unpack_from(wire, header + 4)
                ttl = ttl if ttl <= 0x7FFFFFFF else 0  # as `get` reads it
                least = ttl if least is None else min(least, ttl)
        return least

    def txt_data(self, name: dns.name.Name) -> list[bytes]:
        """The text of each TXT RR at `name`, its character-strings joined, as
        sent (`JoinedStrings` when there were several; no RRset is built:
        cheap enough to read every marker of a zone).
        Raises `TransferError` for TXT RDATA that cannot be decoded."""
        return self._txt_texts(_labels_of(name), name)

    def _txt_texts(self, labels: Labels, name: dns.name.Name) -> list[bytes]:
        out: list[bytes] = []
        for packed in self._by_name.get(labels, ()):
            if packed & 0xFFFF == _TYPE_TXT:
                wire, header = self._place(packed)
                rdlength = wire[header + 8] << 8 | wire[header + 9]
                start = header + 10
                if rdlength and wire[start] + 1 == rdlength:  # one string, the usual marker
                    out.append(wire[start + 1 : start + rdlength])
                    continue
                try:
                    strings = _txt_strings(wire, start, start + rdlength)
                except (_MalformedError, IndexError) as exc:
                    raise TransferError(
                        f"zone {self.origin.to_text()} holds a record that cannot be decoded "
                        f"at {name.to_text()} TXT ({exc}); nothing was changed"
                    ) from None
                joined = b"".join(strings)
                out.append(JoinedStrings(joined) if len(strings) > 1 else joined)
        return out

    # -- zone-wide facts kept by the index -----------------------------------

    def txt_owners(self) -> Iterator[tuple[dns.name.Name, list[bytes]]]:
        """Every owner name holding a TXT RRset, in transfer order, with the
        text of each of its TXT RRs (as `txt_data` gives them); no RRset is
        built. Raises `TransferError` for TXT RDATA that cannot be decoded."""
        for labels in dict.fromkeys(self._txt):
            name = self._name(labels)
            yield name, self._txt_texts(labels, name)

    def txt_names(self) -> list[dns.name.Name]:
        """Every owner name holding a TXT RRset (markers live there), in
        transfer order; nothing decoded."""
        return [self._name(labels) for labels in dict.fromkeys(self._txt)]

    def dhcid_names(self) -> Collection[dns.name.Name]:
        """Every owner name holding a DHCID RRset (Kea DHCP-DDNS), as a view:
        membership is looked up in the index (no name is built for the zone's
        DHCP names), iteration follows transfer order; nothing decoded."""
        return _DhcidNames(self)

    def lookup(self, text: str) -> dns.name.Name | None:
        """The owner name spelt `text` (absolute; final dot optional; any case;
        escapes allowed) if it holds an RRset, else None; nothing decoded."""
        labels = self.key_of(text)
        return None if labels is None else self._name(labels)

    def key_of(self, text: str) -> Labels | None:
        """The key (lower-case labels, as `agent.names.name_key` gives them) of
        the owner name `lookup` finds for `text`, or None; no name is built."""
        if "\\" in text:
            try:
                labels = _labels_of(dns.name.from_text(text))
            except dns.exception.DNSException:
                return None
        else:
            labels = (*text.lower().encode().rstrip(b".").split(b"."), b"")
        return labels if labels in self._by_name else None

    def holds_types_besides(self, key: Labels, types: Collection[int]) -> bool:
        """Whether the owner name whose key (`key_of`) is `key` holds an RRset
        of a type (as an int) not in `types`; nothing decoded."""
        return any(packed & 0xFFFF not in types for packed in self._by_name.get(key, ()))

    def holds(self, key: Labels) -> bool:
        """Whether the owner name whose key (`key_of`) is `key` holds any RRset;
        nothing decoded, no name built."""
        return key in self._by_name

    def has_wildcards(self) -> bool:
        """Whether any owner name is a wildcard (first label ``*``); nothing decoded."""
        return any(labels[0] == b"*" for labels in self._by_name)

    def names(self) -> set[dns.name.Name]:
        """Every owner name that holds at least one RRset."""
        return {self._name(labels) for labels in self._by_name}

    def __len__(self) -> int:
        """Number of RRs (not RRsets) in the zone as transferred, SOA included
        (a server sends each RR once)."""
        return sum(len(positions) for positions in self._by_name.values())

    # -- the whole zone, decoded ---------------------------------------------

    @property
    def rrsets(self) -> Mapping[RRsetKey, dns.rrset.RRset]:
        """Read-only mapping (name, type) -> RRset over the whole zone, decoded
        as items are read (iterating its items decodes every record)."""
        return _RRsetView(self)

    def to_zone_text(self) -> str:
        """Zone-file text: ``$ORIGIN``, then the SOA, then every RRset sorted by
        name and type, names absolute. Suitable for backups (decodes the whole
        zone; raises `TransferError` if a record cannot be decoded)."""
        soa = self.get(self.origin, dns.rdatatype.SOA)
        assert soa is not None
        lines = [f"$ORIGIN {self.origin.to_text()}", soa.to_text()]
        apex = _labels_of(self.origin)
        # canonical name order (RFC 4034 §6.1): labels compared from the root
        others = sorted(
            (key for key in self._keys() if key != (apex, _TYPE_SOA)),
            key=lambda key: (key[0][::-1], key[1]),
        )
        for labels, value in others:
            rrset = self._rrset(labels, value)
            assert rrset is not None
            lines.append(rrset.to_text())
        return "\n".join(lines) + "\n"

    # -- internals ---------------------------------------------------------------

    def _place(self, packed: int) -> tuple[bytes, int]:
        return self._wires[packed >> 40], (packed >> 16) & (_MAX_BLOB - 1)

    def _types(self, labels: Labels) -> dict[int, None]:
        return dict.fromkeys(packed & 0xFFFF for packed in self._by_name.get(labels, ()))

    def _keys(self) -> Iterator[tuple[Labels, int]]:
        for labels, positions in self._by_name.items():
            for value in dict.fromkeys(packed & 0xFFFF for packed in positions):
                yield labels, value

    def _rrset_total(self) -> int:
        if self._rrset_count is None:
            self._rrset_count = sum(1 for _ in self._keys())
        return self._rrset_count

    def _name(self, labels: Labels) -> dns.name.Name:
        name = self._names.get(labels)
        if name is None:
            name = _make_name(labels)
            self._names[labels] = name
        return name

    def _rrset(self, labels: Labels, value: int) -> dns.rrset.RRset | None:
        key = (labels, value)
        rrset = self._decoded.get(key)
        if rrset is not None:
            return rrset
        positions = [p for p in self._by_name.get(labels, ()) if p & 0xFFFF == value]
        if not positions:
            return None
        name = self._name(labels)
        rdtype = _rdatatype(value)
        rrset = dns.rrset.RRset(name, dns.rdataclass.IN, rdtype)
        fast = value in _RDATA_CLASSES and _use_fast_path()
        try:
            for packed in positions:
                wire, header = self._place(packed)
                ttl, rdlength = _TTL_RDLENGTH.unpack_from(wire, header + 4)
                start = header + 10
                if fast:
                    rdata = _fast_rdata(value, wire, start, rdlength, {})
                else:
                    parser = dns.wire.Parser(wire)
                    parser.seek(start)
                    with parser.restrict_to(rdlength):
                        rdata = dns.rdata.from_wire_parser(dns.rdataclass.IN, rdtype, parser, None)
                ttl = ttl if ttl <= 0x7FFFFFFF else 0
                if not rrset.items or ttl < rrset.ttl:
                    rrset.ttl = ttl
                rrset.items[rdata] = None  # what Rdataset.add does, minus its checks
        except (_MalformedError, dns.exception.DNSException, ValueError, IndexError) as exc:
            raise TransferError(
                f"zone {self.origin.to_text()} holds a record that cannot be decoded at "
                f"{name.to_text()} {dns.rdatatype.to_text(rdtype)} ({exc}); nothing was changed"
            ) from None
        self._decoded[key] = rrset
        return rrset


class _DhcidNames(Collection[dns.name.Name]):
    """The owner names of a snapshot's DHCID RRsets (`ZoneSnapshot.dhcid_names`)."""

    __slots__ = ("_snapshot",)

    def __init__(self, snapshot: ZoneSnapshot) -> None:
        self._snapshot = snapshot

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, dns.name.Name):
            return False
        return _TYPE_DHCID in self._snapshot._types(_labels_of(name))

    def __iter__(self) -> Iterator[dns.name.Name]:
        snapshot = self._snapshot
        return (snapshot._name(labels) for labels in dict.fromkeys(snapshot._dhcid))

    def __len__(self) -> int:
        return len(dict.fromkeys(self._snapshot._dhcid))


class _RRsetView(Mapping[RRsetKey, dns.rrset.RRset]):
    """Read-only mapping (name, type) -> RRset over a snapshot; lookups never
    compute dnspython's (slow, per-character) name hash."""

    __slots__ = ("_snapshot",)

    def __init__(self, snapshot: ZoneSnapshot) -> None:
        self._snapshot = snapshot

    @staticmethod
    def _key(key: object) -> tuple[Labels, int] | None:
        if not (isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], dns.name.Name)):
            return None
        return _labels_of(key[0]), int(key[1])

    def __getitem__(self, key: RRsetKey) -> dns.rrset.RRset:
        internal = self._key(key)
        rrset = None if internal is None else self._snapshot._rrset(*internal)
        if rrset is None:
            raise KeyError(key)
        return rrset

    def __contains__(self, key: object) -> bool:
        internal = self._key(key)
        return internal is not None and internal[1] in self._snapshot._types(internal[0])

    def __iter__(self) -> Iterator[RRsetKey]:
        snapshot = self._snapshot
        for labels, value in snapshot._keys():
            yield snapshot._name(labels), _rdatatype(value)

    def __len__(self) -> int:
        return self._snapshot._rrset_total()

    def __repr__(self) -> str:
        return f"<{len(self)} RRsets>"


def read_zone(
    server: str,
    port: int,
    zone: dns.name.Name,
    key: TsigKey,
    timeout: float = 10.0,
) -> ZoneSnapshot:
    """Transfer `zone` from `server`:`port` by AXFR signed with `key`.

    `timeout` bounds connecting and each wait for data. Raises
    `ServerUnreachable`, `TransferError` or `TsigError`; never returns a
    partial zone.
    """
    if not zone.is_absolute():
        raise ValueError("zone must be an absolute name")
    zone_text = zone.to_text(omit_final_dot=True) or "."
    started = time.monotonic()
    query = dns.message.make_query(zone, dns.rdatatype.AXFR, dns.rdataclass.IN)
    query.use_tsig(key.to_dnspython())
    query_wire = query.to_wire()
    assert query.mac is not None  # set by to_wire() on a TSIG-signed query
    messages = _receive(server, port, zone_text, query_wire, timeout)
    received = time.monotonic()
    _verify(messages, key, zone_text, query.mac)
    verified = time.monotonic()
    snapshot = _build_snapshot(messages, zone, zone_text)
    log.debug(
        "AXFR %s from %s@%d: %d messages, %d bytes, %d names; receive %.3fs, "
        "verify %.3fs, index %.3fs",
        zone_text,
        server,
        port,
        len(messages),
        sum(len(m.wire) for m in messages),
        len(snapshot._by_name),
        received - started,
        verified - received,
        time.monotonic() - verified,
    )
    return snapshot


# -- step 1: receive ---------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    """Where one RR sits in a message (no decoding done)."""

    name_offset: int
    rdtype: int
    rdclass: int
    ttl: int
    rdata_offset: int
    rdlength: int


@dataclass(frozen=True)
class _Message:
    """One message as received: its answers' owner-name and type-field
    offsets, the places of its SOA records, and its TSIG record."""

    wire: bytes
    rcode: int
    names: array[int]
    headers: array[int]
    soa_positions: list[int]
    tsig: _Record | None


class _MalformedError(Exception):
    pass


def _skip_name(wire: bytes, offset: int) -> int:
    """Offset just past the (possibly compressed) name at `offset`."""
    while True:
        length = wire[offset]
        if length == 0:
            return offset + 1
        if length >= 0xC0:
            return offset + 2
        if length > 63:
            raise _MalformedError("bad label type")
        offset += length + 1


def _index_message(wire: bytes) -> _Message:
    """Walk the headers of every RR in `wire` without decoding anything."""
    names: array[int] = array("H")
    headers: array[int] = array("H")
    soa_positions: list[int] = []
    tsig: _Record | None = None
    try:
        _id, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(wire, 0)
        offset = 12
        for _ in range(qdcount):
            offset = _skip_name(wire, offset) + 4
        total = ancount + nscount + arcount
        for index in range(total):
            name_offset = offset
            offset = _skip_name(wire, offset)
            rdtype = wire[offset] << 8 | wire[offset + 1]
            rdlength = wire[offset + 8] << 8 | wire[offset + 9]
            if index < ancount:
                names.append(name_offset)
                headers.append(offset)
                if rdtype == _TYPE_SOA:
                    soa_positions.append(index)
            elif rdtype == _TYPE_TSIG:
                if index != total - 1:
                    raise _MalformedError("TSIG is not the last record")
                _type, rdclass, ttl, _length = _RR_HEADER.unpack_from(wire, offset)
                tsig = _Record(name_offset, rdtype, rdclass, ttl, offset + 10, rdlength)
            offset += 10 + rdlength
    except (IndexError, struct.error):
        raise _MalformedError("message truncated") from None
    if offset != len(wire):
        raise _MalformedError("message length does not match its records")
    return _Message(wire, flags & 0x000F, names, headers, soa_positions, tsig)


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        count = sock.recv_into(view[got:], size - got)
        if count == 0:
            raise EOFError
        got += count
    return bytes(buffer)


def _receive(
    server: str, port: int, zone_text: str, query_wire: bytes, timeout: float
) -> list[_Message]:
    where = f"{server} port {port}"
    try:
        sock = socket.create_connection((server, port), timeout=timeout)
    except ConnectionRefusedError:
        raise ServerUnreachable(
            f"cannot connect to {where}: connection refused; is the DNS server running "
            "and listening there?"
        ) from None
    except TimeoutError:
        raise ServerUnreachable(
            f"cannot connect to {where}: timed out after {timeout:g}s; check the address, "
            "port and firewall"
        ) from None
    except OSError as exc:
        raise ServerUnreachable(f"cannot connect to {where}: {exc.strerror or exc}") from None
    messages: list[_Message] = []
    soa_seen = 0
    try:
        with sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(struct.pack("!H", len(query_wire)) + query_wire)
            while len(messages) < _MAX_MESSAGES:
                (length,) = struct.unpack("!H", _recv_exactly(sock, 2))
                message = _index_message(_recv_exactly(sock, length))
                messages.append(message)
                if message.rcode != dns.rcode.NOERROR:
                    break  # an error answer is the whole answer
                for position in message.soa_positions:
                    soa_seen += 1
                    if soa_seen == 1 and (len(messages) > 1 or position > 0):
                        raise _MalformedError("transfer does not start with the SOA")  # noqa: TRY301
                if soa_seen == 0:
                    raise _MalformedError("transfer does not start with the SOA")  # noqa: TRY301
                if soa_seen >= 2:
                    if message.soa_positions[-1] != len(message.headers) - 1:
                        raise _MalformedError("records after the closing SOA")  # noqa: TRY301
                    break
                if not message.headers:
                    raise _MalformedError("an empty message in the middle of the transfer")  # noqa: TRY301
    except EOFError:
        raise TransferError(
            f"AXFR of {zone_text} from {where} ended early: the server closed the connection "
            f"after {len(messages)} messages without the closing SOA; nothing was changed. "
            "Check the server's log and retry"
        ) from None
    except TimeoutError:
        raise TransferError(
            f"AXFR of {zone_text} from {where} stalled: no data for {timeout:g}s after "
            f"{len(messages)} messages; nothing was changed"
        ) from None
    except _MalformedError as exc:
        raise TransferError(
            f"AXFR of {zone_text} from {where} is malformed ({exc}); nothing was changed"
        ) from None
    except OSError as exc:
        raise TransferError(
            f"AXFR of {zone_text} from {where} failed: {exc.strerror or exc}; nothing was changed"
        ) from None
    if not messages:
        raise TransferError(f"AXFR of {zone_text} from {where}: no answer")
    return messages


# -- step 2: verify ------------------------------------------------------------


def _tsig_rdata(message: _Message) -> tuple[dns.name.Name, dns.rdtypes.ANY.TSIG.TSIG]:
    assert message.tsig is not None
    owner, _ = dns.name.from_wire(message.wire, message.tsig.name_offset)
    rdata = dns.rdata.from_wire(
        dns.rdataclass.ANY,
        dns.rdatatype.TSIG,
        message.wire,
        message.tsig.rdata_offset,
        message.tsig.rdlength,
    )
    assert isinstance(rdata, dns.rdtypes.ANY.TSIG.TSIG)
    return owner, rdata


def _badkey_text(zone_text: str, key: TsigKey) -> str:
    return (
        f"the server rejected {key} for zone {zone_text} (NOTAUTH/BADKEY): either it "
        "does not know this key name/algorithm, or its ACL does not allow this key to "
        "transfer this zone; check the key file and Knot's acl for the zone"
    )


def _verify(messages: list[_Message], key: TsigKey, zone_text: str, request_mac: bytes) -> None:
    first = messages[0]
    tsig_error: int | None = None
    if first.tsig is not None:
        try:
            tsig_error = _tsig_rdata(first)[1].error
        except dns.exception.DNSException:
            raise TransferError(
                f"AXFR of {zone_text}: the server's TSIG record is malformed"
            ) from None
    if first.rcode != dns.rcode.NOERROR:
        _raise_for_rcode(first.rcode, tsig_error, key, zone_text)
    dns_key = key.to_dnspython()
    ctx: object | None = None
    for number, message in enumerate(messages, start=1):
        if message.rcode != dns.rcode.NOERROR:
            name = dns.rcode.to_text(dns.rcode.Rcode.make(message.rcode))
            raise TransferError(
                f"AXFR of {zone_text} failed mid-way: message {number} answered {name}; "
                "nothing was changed"
            )
        if message.tsig is None:
            raise TsigError(
                f"AXFR of {zone_text}: message {number} of the transfer is not signed; "
                "refusing an unauthenticated zone (is the right server answering?)"
            )
        try:
            owner, rdata = _tsig_rdata(message)
            ctx = dns.tsig.validate(  # type: ignore[no-untyped-call]
                message.wire,
                dns_key,
                owner,
                rdata,
                int(time.time()),
                request_mac,
                message.tsig.name_offset,
                ctx,
                True,
            )
        except dns.tsig.PeerBadKey:
            raise TsigError(_badkey_text(zone_text, key)) from None
        except dns.tsig.PeerBadSignature:
            raise TsigError(_badsig_text(zone_text, key)) from None
        except (dns.tsig.PeerBadTime, dns.tsig.BadTime):
            raise TsigError(_badtime_text(zone_text)) from None
        except (dns.tsig.BadKey, dns.tsig.BadAlgorithm):
            raise TsigError(
                f"AXFR of {zone_text}: message {number} is signed with another key or "
                f"algorithm than {key}; refusing it"
            ) from None
        except dns.tsig.BadSignature:
            raise TsigError(
                f"AXFR of {zone_text}: the TSIG signature of message {number} does not "
                "verify; the transfer may have been altered, refusing it"
            ) from None
        except (dns.exception.DNSException, NotImplementedError) as exc:
            raise TsigError(
                f"AXFR of {zone_text}: TSIG check of message {number} failed "
                f"({type(exc).__name__}); refusing the transfer"
            ) from None


def _badsig_text(zone_text: str, key: TsigKey) -> str:
    return (
        f"the server rejected the signature of {key} for zone {zone_text} (BADSIG): "
        "the key's secret differs from the server's; check the key file"
    )


def _badtime_text(zone_text: str) -> str:
    return (
        f"TSIG time check failed for zone {zone_text} (BADTIME): this host's clock and the "
        "server's differ by more than the allowed fudge (300 s); fix the clocks (NTP)"
    )


def _raise_for_rcode(rcode: int, tsig_error: int | None, key: TsigKey, zone_text: str) -> None:
    if tsig_error == dns.rcode.BADKEY:
        raise TsigError(_badkey_text(zone_text, key))
    if tsig_error == dns.rcode.BADSIG:
        raise TsigError(_badsig_text(zone_text, key))
    if tsig_error == dns.rcode.BADTIME:
        raise TsigError(_badtime_text(zone_text))
    name = dns.rcode.to_text(dns.rcode.Rcode.make(rcode))
    if rcode in (dns.rcode.NOTAUTH, dns.rcode.REFUSED, dns.rcode.NOTZONE):
        raise TransferError(
            f"AXFR of {zone_text} refused ({name}): the server may not serve this zone, "
            "or does not allow this key to transfer it; check the zone name and the "
            "server's zone list and acl"
        )
    raise TransferError(
        f"AXFR of {zone_text} failed: the server answered {name}; check its log "
        "(an empty zone or one that failed to load answers SERVFAIL)"
    )


# -- step 3: index -------------------------------------------------------------
#
# Owner names are decoded here with a per-message cache of compression targets;
# the common owner -- one label, then a pointer to a name already decoded -- is
# taken inline. Each record is filed under its owner name as one int (see
# `_Index`); RDATA stays in the message until asked for.
#
# When an RRset is asked for, A, AAAA, TXT, PTR, CNAME and NS -- the bulk of DHCP
# and ExternalDNS zones and their markers -- are built by a fast path that sets the same attributes
# dnspython's constructors would, skipping their re-validation of values that
# came straight off the wire (dnspython spends ~15 us per record there).
# `_fast_paths_agree()` checks at first use, against dnspython's own wire
# parser, that the fast objects are identical; if this dnspython differs, every
# record takes the generic path. Every other type always goes through
# dnspython's parsers.

_NAME_TYPES = frozenset({int(dns.rdatatype.PTR), int(dns.rdatatype.CNAME), int(dns.rdatatype.NS)})
_TYPE_A = int(dns.rdatatype.A)
_TYPE_AAAA = int(dns.rdatatype.AAAA)
_RDATA_CLASSES: dict[int, type[dns.rdata.Rdata]] = {
    rdtype: dns.rdata.get_rdata_class(  # type: ignore[no-untyped-call]
        dns.rdataclass.IN, dns.rdatatype.RdataType.make(rdtype)
    )
    for rdtype in (_TYPE_A, _TYPE_AAAA, _TYPE_TXT, *_NAME_TYPES)
}
_set_attribute = object.__setattr__


def _decode_labels(
    wire: bytes, offset: int, cache: dict[int, tuple[bytes, ...]], lower: bool
) -> tuple[bytes, ...]:
    """Labels (root label included) of the name at `offset`, memoising every
    suffix by the offset it starts at; lower-cased if `lower`."""
    cached = cache.get(offset)
    if cached is not None:
        return cached
    labels: list[bytes] = []
    starts: list[int] = []
    current = offset
    hops = 0
    suffix: tuple[bytes, ...] = (b"",)
    while True:
        length = wire[current]
        if length == 0:
            break
        if length >= 0xC0:
            target = ((length & 0x3F) << 8) | wire[current + 1]
            if target >= current or hops > 127:
                raise _MalformedError("bad compression pointer")
            hops += 1
            cached = cache.get(target)
            if cached is not None:
                suffix = cached
                break
            current = target
            continue
        if length > 63:
            raise _MalformedError("bad label type")
        starts.append(current)
        label = wire[current + 1 : current + 1 + length]
        labels.append(label.lower() if lower else label)
        current += length + 1
    result = suffix
    for start, label in zip(reversed(starts), reversed(labels), strict=True):
        result = (label, *result)
        cache[start] = result
    if _too_long(result):
        raise _MalformedError("name longer than 255 octets")
    return result


def _too_long(labels: Labels) -> bool:
    """More than 255 octets in wire form (RFC 1035 §3.1): the labels joined by
    dots are one octet shorter than that."""
    return len(b".".join(labels)) > 254


def _make_name(labels: tuple[bytes, ...]) -> dns.name.Name:
    """A `dns.name.Name` from labels already validated by `_decode_labels`."""
    name = object.__new__(dns.name.Name)
    _set_attribute(name, "labels", labels)
    return name


def _fast_rdata(
    rdtype: int,
    wire: bytes,
    start: int,
    rdlength: int,
    name_cache: dict[int, tuple[bytes, ...]],
) -> dns.rdata.Rdata:
    rdata: dns.rdata.Rdata = object.__new__(_RDATA_CLASSES[rdtype])
    _set_attribute(rdata, "rdclass", dns.rdataclass.IN)
    _set_attribute(rdata, "rdtype", _rdatatype(rdtype))
    _set_attribute(rdata, "rdcomment", None)
    end = start + rdlength
    if rdtype == _TYPE_A:
        if rdlength != 4:
            raise _MalformedError("A record of wrong length")
        _set_attribute(rdata, "address", dns.ipv4.inet_ntoa(wire[start:end]))
    elif rdtype == _TYPE_AAAA:
        if rdlength != 16:
            raise _MalformedError("AAAA record of wrong length")
        _set_attribute(rdata, "address", dns.ipv6.inet_ntoa(wire[start:end]))
    elif rdtype == _TYPE_TXT:
        _set_attribute(rdata, "strings", _txt_strings(wire, start, end))
    else:
        if _skip_name(wire, start) != end:
            raise _MalformedError("name RDATA of wrong length")
        target = _make_name(_decode_labels(wire, start, name_cache, lower=False))
        _set_attribute(rdata, "target", target)
    return rdata


def _txt_strings(wire: bytes, start: int, end: int) -> tuple[bytes, ...]:
    """The character-strings of the TXT RDATA in ``wire[start:end]`` (RFC 1035 §3.3.14)."""
    strings: list[bytes] = []
    while start < end:
        length = wire[start]
        start += 1 + length
        if start > end:
            raise _MalformedError("TXT string longer than its RDATA")
        strings.append(wire[start - length : start])
    if not strings:
        raise _MalformedError("TXT record without a string")
    return tuple(strings)


_RDATA_TYPES: dict[int, dns.rdatatype.RdataType] = {}


def _rdatatype(value: int) -> dns.rdatatype.RdataType:
    rdtype = _RDATA_TYPES.get(value)
    if rdtype is None:
        rdtype = dns.rdatatype.RdataType.make(value)
        _RDATA_TYPES[value] = rdtype
    return rdtype


def _fast_paths_agree() -> bool:
    """Do the fast constructors give exactly what dnspython's parser gives?"""
    samples = {
        _TYPE_A: bytes([10, 1, 2, 3]),
        _TYPE_AAAA: bytes.fromhex("fd000000000000000000000000000001"),
        _TYPE_TXT: b'\x03a b\x00\x05q"\\;x',
        **dict.fromkeys(_NAME_TYPES, b"\x03Ns0\x08internal\x00"),
    }
    try:
        for rdtype, rdata_wire in samples.items():
            fast = _fast_rdata(rdtype, rdata_wire, 0, len(rdata_wire), {})
            slow = dns.rdata.from_wire(
                dns.rdataclass.IN, _rdatatype(rdtype), rdata_wire, 0, len(rdata_wire)
            )
            fields = [
                slot
                for klass in type(slow).__mro__
                for slot in getattr(klass, "__slots__", ())
                if slot != "__weakref__"
            ]
            if (
                type(fast) is not type(slow)
                or fast != slow
                or hash(fast) != hash(slow)
                or fast.to_text() != slow.to_text()
                or fast.to_wire() != slow.to_wire()
                or any(getattr(fast, f) != getattr(slow, f) for f in fields)
            ):
                return False
            for field_name in ("target",):
                value = getattr(slow, field_name, None)
                if value is not None and value.labels != getattr(fast, field_name).labels:
                    return False
    except Exception:
        log.debug("AXFR fast path disabled", exc_info=True)
        return False
    return True


_fast_path_ok: bool | None = None


def _use_fast_path() -> bool:
    global _fast_path_ok  # noqa: PLW0603  (computed once, on first use)
    if _fast_path_ok is None:
        _fast_path_ok = _fast_paths_agree()
        if not _fast_path_ok:
            log.warning(
                "this dnspython differs from what the fast AXFR path expects; using the slow path"
            )
    return _fast_path_ok


class _Index:
    """Files the records of one message after another under their owner names.

    `by_name` maps owner labels to one int per record: message number << 40 |
    offset of its type field << 16 | its type. `txt` and `dhcid` list the
    owners of TXT and DHCID records (zone-wide facts the ownership analysis
    needs). Records outside the zone, of a class other than IN or with a bad
    owner name raise `_MalformedError`; DNSSEC records Knot maintains are
    counted in `skipped` and left out.
    """

    def __init__(self, zone: Labels) -> None:
        self.zone = zone
        self.wires: list[bytes] = []
        self.by_name: dict[Labels, list[int]] = {}
        self.txt: list[Labels] = []
        self.dhcid: list[Labels] = []
        self.skipped = 0

    def add(self, wire: bytes, names: array[int], headers: array[int], count: int) -> None:
        """File the first `count` records of `wire`, whose owner names and type
        fields start at `names[i]` and `headers[i]`."""
        by_name, zone, depth = self.by_name, self.zone, len(self.zone)
        base = len(self.wires) << _OFFSET_BITS
        self.wires.append(wire)
        cache: dict[int, Labels] = {}
        # the previous record's owner: the next record at the same name points
        # at it (a server sends a name's RRsets together)
        previous, labels, positions = -1, zone, []
        for offset, header in zip(names[:count], headers[:count], strict=True):
            value = wire[header] << 8 | wire[header + 1]
            if value in _DNSSEC_VALUES:
                self.skipped += 1
                continue
            if wire[header + 2] or wire[header + 3] != _CLASS_IN:
                rdclass = wire[header + 2] << 8 | wire[header + 3]
                raise _MalformedError(f"a record of class {rdclass}, not IN")
            length = wire[offset]
            if length >= 0xC0 and ((length & 0x3F) << 8 | wire[offset + 1]) == previous:
                positions.append((base | header) << 16 | value)  # the same owner again
            else:
                # the common owner: one label, then a pointer to a name seen before
                found: Labels | None = None
                if 0 < length < 64 and wire[offset + 1 + length] >= 0xC0:
                    after = offset + 1 + length
                    target = ((wire[after] & 0x3F) << 8) | wire[after + 1]
                    suffix = cache.get(target) if target < offset else None
                    if suffix is not None:
                        found = cache[offset] = (wire[offset + 1 : after].lower(), *suffix)
                labels = found or _decode_labels(wire, offset, cache, lower=True)
                previous = offset
                known = by_name.get(labels)
                if known is None:
                    if labels[-depth:] != zone:
                        raise _MalformedError("a record outside the zone")
                    if len(labels) > 4 and _too_long(labels):  # 3 labels fit anyway
                        raise _MalformedError("name longer than 255 octets")
                    known = by_name[labels] = []
                positions = known
                positions.append((base | header) << 16 | value)
            if value == _TYPE_TXT:
                self.txt.append(labels)
            elif value == _TYPE_DHCID:
                self.dhcid.append(labels)


def _build_snapshot(messages: list[_Message], zone: dns.name.Name, zone_text: str) -> ZoneSnapshot:
    """Index every answer record by owner name; decode only the SOA."""
    canonical_zone = zone.canonicalize()
    index = _Index(canonical_zone.labels)
    last = len(messages) - 1
    try:
        for number, message in enumerate(messages):
            count = len(message.headers) - (number == last)  # the closing SOA
            index.add(message.wire, message.names, message.headers, count)
    except (_MalformedError, IndexError) as exc:
        raise TransferError(
            f"AXFR of {zone_text} holds a record that cannot be decoded ({exc}); "
            "nothing was changed"
        ) from None
    if index.skipped:
        log.debug("AXFR %s: left out %d DNSSEC records Knot maintains", zone_text, index.skipped)
    zone_labels = canonical_zone.labels
    soa_places = [p for p in index.by_name.get(zone_labels, ()) if p & 0xFFFF == _TYPE_SOA]
    if len(soa_places) != 1:
        raise TransferError(f"AXFR of {zone_text} has no single SOA at the apex")
    snapshot = ZoneSnapshot._indexed(canonical_zone, 0, index)
    soa = snapshot.get(canonical_zone, dns.rdatatype.SOA)
    assert soa is not None
    soa_rdata = soa[0]
    assert isinstance(soa_rdata, dns.rdtypes.ANY.SOA.SOA)
    snapshot.serial = int(soa_rdata.serial)
    return snapshot
