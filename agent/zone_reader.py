"""Read a whole zone by AXFR over TCP with TSIG, failing closed.

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
3. **Parse**: owner names are decoded with a per-message cache of compression
   targets; RDATA goes through dnspython's own wire parsers, so every type is
   decoded exactly as dnspython would.

Anything incomplete -- connection closed early, no closing SOA, an rcode other
than NOERROR, any TSIG failure, a malformed message -- raises `TransferError`
or `TsigError`. A partial or empty zone is never returned.
"""

from __future__ import annotations

import logging
import socket
import struct
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

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

#: Types Knot maintains itself when signing; they are left out of the snapshot
#: (an RRSIG set cannot be one RRset per name anyway).
_DNSSEC_MAINTAINED = frozenset({dns.rdatatype.RRSIG, dns.rdatatype.NSEC, dns.rdatatype.NSEC3})
_TYPE_SOA = int(dns.rdatatype.SOA)
_TYPE_TSIG = int(dns.rdatatype.TSIG)
_TYPE_OPT = int(dns.rdatatype.OPT)
_CLASS_IN = int(dns.rdataclass.IN)
_HEADER = struct.Struct("!HHHHHH")
_RR_HEADER = struct.Struct("!HHIH")
_MAX_MESSAGES = 1_000_000


@dataclass(frozen=True)
class ZoneSnapshot:
    """A complete, TSIG-verified copy of one zone at one serial.

    Owner names are absolute and lower case (so `dns.name.Name` comparison and
    hashing, which ignore case anyway, agree with their text). RDATA is kept as
    the server sent it. `rrsets` includes the SOA.
    """

    origin: dns.name.Name
    serial: int
    rrsets: Mapping[RRsetKey, dns.rrset.RRset] = field(repr=False)

    def __post_init__(self) -> None:
        if not self.origin.is_absolute():
            raise ValueError("zone origin must be absolute")
        if (self.origin, dns.rdatatype.SOA) not in self.rrsets:
            raise ValueError("a zone snapshot needs its SOA")

    def names(self) -> set[dns.name.Name]:
        """Every owner name that holds at least one RRset."""
        return {name for name, _ in self.rrsets}

    def get(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> dns.rrset.RRset | None:
        return self.rrsets.get((name, rdtype))

    def __len__(self) -> int:
        """Number of RRs (not RRsets) in the zone, SOA included."""
        return sum(len(rrset) for rrset in self.rrsets.values())

    def to_zone_text(self) -> str:
        """Zone-file text: ``$ORIGIN``, then the SOA, then every RRset sorted by
        name and type, names absolute. Suitable for backups."""
        soa = self.rrsets[(self.origin, dns.rdatatype.SOA)]
        lines = [f"$ORIGIN {self.origin.to_text()}", soa.to_text()]
        others = sorted(
            (key for key in self.rrsets if key != (self.origin, dns.rdatatype.SOA)),
            key=lambda key: (key[0], int(key[1])),
        )
        lines.extend(self.rrsets[key].to_text() for key in others)
        return "\n".join(lines) + "\n"


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
        "AXFR %s from %s@%d: %d messages, %d bytes, %d RRsets; receive %.3fs, "
        "verify %.3fs, parse %.3fs",
        zone_text,
        server,
        port,
        len(messages),
        sum(len(m.wire) for m in messages),
        len(snapshot.rrsets),
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
    wire: bytes
    rcode: int
    answers: list[_Record]
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
    try:
        _id, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(wire, 0)
        offset = 12
        for _ in range(qdcount):
            offset = _skip_name(wire, offset) + 4
        answers: list[_Record] = []
        tsig: _Record | None = None
        rr_header = _RR_HEADER.unpack_from
        total = ancount + nscount + arcount
        for index in range(total):
            name_offset = offset
            offset = _skip_name(wire, offset)
            rdtype, rdclass, ttl, rdlength = rr_header(wire, offset)
            offset += 10
            record = _Record(name_offset, rdtype, rdclass, ttl, offset, rdlength)
            offset += rdlength
            if index < ancount:
                answers.append(record)
            elif rdtype == _TYPE_TSIG:
                if index != total - 1:
                    raise _MalformedError("TSIG is not the last record")
                tsig = record
    except (IndexError, struct.error):
        raise _MalformedError("message truncated") from None
    if offset != len(wire):
        raise _MalformedError("message length does not match its records")
    return _Message(wire, flags & 0x000F, answers, tsig)


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
                for position, record in enumerate(message.answers):
                    if record.rdtype == _TYPE_SOA:
                        soa_seen += 1
                        if soa_seen == 1 and (len(messages) > 1 or position > 0):
                            raise _MalformedError("transfer does not start with the SOA")  # noqa: TRY301
                if soa_seen >= 2:
                    if message.answers[-1].rdtype != _TYPE_SOA:
                        raise _MalformedError("records after the closing SOA")  # noqa: TRY301
                    break
                if not message.answers:
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


# -- step 3: parse -------------------------------------------------------------
#
# Owner names are decoded here with a per-message cache of compression targets.
# A, AAAA, PTR, CNAME and NS -- the bulk of DHCP and ExternalDNS zones -- are
# built by a fast path that sets the same attributes dnspython's constructors
# would, skipping their re-validation of values that came straight off the
# wire (dnspython spends ~15 us per record there). `_fast_paths_agree()`
# checks at first use, against dnspython's own wire parser, that the fast
# objects are identical; if this dnspython differs, every record takes the
# generic path. Every other type always goes through dnspython's parsers.

_NAME_TYPES = frozenset({int(dns.rdatatype.PTR), int(dns.rdatatype.CNAME), int(dns.rdatatype.NS)})
_TYPE_A = int(dns.rdatatype.A)
_TYPE_AAAA = int(dns.rdatatype.AAAA)
_RDATA_CLASSES: dict[int, type[dns.rdata.Rdata]] = {
    rdtype: dns.rdata.get_rdata_class(  # type: ignore[no-untyped-call]
        dns.rdataclass.IN, dns.rdatatype.RdataType.make(rdtype)
    )
    for rdtype in (_TYPE_A, _TYPE_AAAA, *_NAME_TYPES)
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
    if len(b"".join(result)) + len(result) > 255:
        raise _MalformedError("name longer than 255 octets")
    return result


def _make_name(labels: tuple[bytes, ...]) -> dns.name.Name:
    """A `dns.name.Name` from labels already validated by `_decode_labels`."""
    name = object.__new__(dns.name.Name)
    _set_attribute(name, "labels", labels)
    return name


def _fast_rdata(
    rdtype: int, wire: bytes, record: _Record, name_cache: dict[int, tuple[bytes, ...]]
) -> dns.rdata.Rdata:
    rdata: dns.rdata.Rdata = object.__new__(_RDATA_CLASSES[rdtype])
    _set_attribute(rdata, "rdclass", dns.rdataclass.IN)
    _set_attribute(rdata, "rdtype", _RDATA_TYPES[rdtype])
    _set_attribute(rdata, "rdcomment", None)
    start = record.rdata_offset
    end = start + record.rdlength
    if rdtype == _TYPE_A:
        if record.rdlength != 4:
            raise _MalformedError("A record of wrong length")
        _set_attribute(rdata, "address", dns.ipv4.inet_ntoa(wire[start:end]))
    elif rdtype == _TYPE_AAAA:
        if record.rdlength != 16:
            raise _MalformedError("AAAA record of wrong length")
        _set_attribute(rdata, "address", dns.ipv6.inet_ntoa(wire[start:end]))
    else:
        if _skip_name(wire, start) != end:
            raise _MalformedError("name RDATA of wrong length")
        target = _make_name(_decode_labels(wire, start, name_cache, lower=False))
        _set_attribute(rdata, "target", target)
    return rdata


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
        **dict.fromkeys(_NAME_TYPES, b"\x03Ns0\x08internal\x00"),
    }
    try:
        for rdtype, rdata_wire in samples.items():
            _rdatatype(rdtype)
            record = _Record(0, rdtype, _CLASS_IN, 0, 0, len(rdata_wire))
            fast = _fast_rdata(rdtype, rdata_wire, record, {})
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


class _RRsetIndex(Mapping[RRsetKey, dns.rrset.RRset]):
    """Read-only mapping (name, type) -> RRset, stored by lower-cased labels so
    lookups never compute dnspython's (slow, per-character) name hash."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[tuple[tuple[bytes, ...], int], dns.rrset.RRset]) -> None:
        self._data = data

    @staticmethod
    def _key(key: object) -> tuple[tuple[bytes, ...], int] | None:
        if not (isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], dns.name.Name)):
            return None
        return tuple(label.lower() for label in key[0].labels), int(key[1])

    def __getitem__(self, key: RRsetKey) -> dns.rrset.RRset:
        internal = self._key(key)
        if internal is None or internal not in self._data:
            raise KeyError(key)
        return self._data[internal]

    def __contains__(self, key: object) -> bool:
        internal = self._key(key)
        return internal is not None and internal in self._data

    def __iter__(self) -> Iterator[RRsetKey]:
        for rrset in self._data.values():
            yield rrset.name, rrset.rdtype

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"<{len(self._data)} RRsets>"


def _build_snapshot(messages: list[_Message], zone: dns.name.Name, zone_text: str) -> ZoneSnapshot:
    data: dict[tuple[tuple[bytes, ...], int], dns.rrset.RRset] = {}
    names: dict[tuple[bytes, ...], dns.name.Name] = {}
    canonical_zone = zone.canonicalize()
    zone_labels = canonical_zone.labels
    depth = len(zone_labels)
    fast = _use_fast_path()
    skipped = 0
    try:
        for message in messages:
            wire = message.wire
            owner_cache: dict[int, tuple[bytes, ...]] = {}
            target_cache: dict[int, tuple[bytes, ...]] = {}
            parser = dns.wire.Parser(wire)
            for record in _records_without_closing_soa(messages, message):
                labels = _decode_labels(wire, record.name_offset, owner_cache, lower=True)
                name = names.get(labels)
                if name is None:
                    if labels[-depth:] != zone_labels:
                        raise _MalformedError("a record outside the zone")  # noqa: TRY301
                    name = _make_name(labels)
                    names[labels] = name
                value = record.rdtype
                rdtype = _rdatatype(value)
                if rdtype in _DNSSEC_MAINTAINED:
                    skipped += 1
                    continue
                if record.rdclass != _CLASS_IN:
                    raise _MalformedError(f"record {name} of class {record.rdclass}, not IN")  # noqa: TRY301
                if fast and value in _RDATA_CLASSES:
                    rdata = _fast_rdata(value, wire, record, target_cache)
                else:
                    parser.seek(record.rdata_offset)
                    with parser.restrict_to(record.rdlength):
                        rdata = dns.rdata.from_wire_parser(dns.rdataclass.IN, rdtype, parser, None)
                key = (labels, value)
                rrset = data.get(key)
                ttl = record.ttl if record.ttl <= 0x7FFFFFFF else 0
                if rrset is None:
                    rrset = dns.rrset.RRset(name, dns.rdataclass.IN, rdtype)
                    rrset.ttl = ttl
                    data[key] = rrset
                elif ttl < rrset.ttl:
                    rrset.ttl = ttl
                rrset.items[rdata] = None  # what Rdataset.add does, minus its checks
    except (_MalformedError, dns.exception.DNSException, ValueError) as exc:
        raise TransferError(
            f"AXFR of {zone_text} holds a record that cannot be decoded ({exc}); "
            "nothing was changed"
        ) from None
    if skipped:
        log.debug("AXFR %s: left out %d DNSSEC records Knot maintains", zone_text, skipped)
    soa = data.get((zone_labels, _TYPE_SOA))
    if soa is None or len(soa) != 1:
        raise TransferError(f"AXFR of {zone_text} has no single SOA at the apex")
    soa_rdata = soa[0]
    assert isinstance(soa_rdata, dns.rdtypes.ANY.SOA.SOA)
    return ZoneSnapshot(
        origin=canonical_zone,
        serial=int(soa_rdata.serial),
        rrsets=_RRsetIndex(data),
    )


def _records_without_closing_soa(messages: list[_Message], message: _Message) -> Iterator[_Record]:
    """The answer records of `message`, minus the closing SOA of the last message."""
    if message is messages[-1]:
        yield from message.answers[:-1]
    else:
        yield from message.answers
