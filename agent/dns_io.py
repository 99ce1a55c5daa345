"""Send one RFC 2136 UPDATE over TCP and turn every outcome into our errors.

The only module that sends UPDATEs. Messages are built elsewhere (purely, from
the plan, `agent.update_builder`); this module signs one with TSIG just
before it goes (RFC 8945), sends it, checks the signed answer, and either
returns (NOERROR) or raises:

* `PrerequisiteFailed` -- YXDOMAIN, YXRRSET, NXDOMAIN, NXRRSET: the zone
  changed since it was read; nothing was applied. Retriable.
* `ServerFailure` -- SERVFAIL: Knot 3.2 fails a whole batch of queued UPDATEs
  when one of them (maybe another client's) is bad; nothing was applied.
  Retriable.
* `TsigError` -- BADKEY (unknown key/algorithm *or* ACL denial: Knot says
  the same for both), BADSIG, BADTIME, or an answer whose TSIG fails.
* `UpdateRefused` -- REFUSED, NOTAUTH, NOTZONE, FORMERR, NOTIMP, an unsigned
  answer (Knot answers unsigned for a zone it does not serve), a message too
  big for TCP.
* `ServerUnreachable` -- connection refused, timeout, connection closed.

NOERROR does not prove the change happened (knot-notes.md): callers verify.
"""

from __future__ import annotations

import logging
import socket
import struct
import time
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TSIG
import dns.tsig
import dns.update

from agent.errors import (
    PrerequisiteFailed,
    ServerFailure,
    ServerUnreachable,
    TsigError,
    UpdateRefused,
)
from agent.update_builder import Batch

log = logging.getLogger(__name__)

_FUDGE = 300  # seconds of clock difference the server accepts (RFC 8945 §5.2.3)

_PREREQUISITE_RCODES = frozenset(
    {dns.rcode.YXDOMAIN, dns.rcode.YXRRSET, dns.rcode.NXDOMAIN, dns.rcode.NXRRSET}
)
_PREREQUISITE_MEANING = {
    dns.rcode.YXDOMAIN: "a name that must not exist exists",
    dns.rcode.YXRRSET: "an RRset that must not exist exists",
    dns.rcode.NXDOMAIN: "a name that must exist does not",
    dns.rcode.NXRRSET: "an RRset that must exist (with the expected data) does not",
}
_REFUSAL_HINTS = {
    dns.rcode.REFUSED: "the zone may be frozen, or the change breaks a server policy "
    "(size limit, DNAME/CNAME rules); check the server's log",
    dns.rcode.NOTAUTH: "the server is not authoritative for this zone; check the zone name "
    "and the server address",
    dns.rcode.NOTZONE: "a record in the message lies outside the zone",
    dns.rcode.FORMERR: "the server could not parse the message",
    dns.rcode.NOTIMP: "the server does not accept dynamic updates",
}


def _key_text(keyname: dns.name.Name | None) -> str:
    if keyname is None:
        return "no TSIG key"
    return f"TSIG key {keyname.to_text(omit_final_dot=True)}"


@dataclass(frozen=True, slots=True)
class _Signed:
    """A message ready to go: its signed wire and what checks the answer."""

    wire: bytes
    message_id: int
    zone: dns.name.Name | None
    keyname: dns.name.Name | None
    keyring: dns.tsig.Key | None
    mac: bytes | None  # the request's MAC, which the answer's TSIG covers


def sign(batch: Batch) -> _Signed:
    """`batch`'s message signed now with its key (RFC 8945 §4: the MAC covers
    the message as written, then the TSIG RR is appended and ARCOUNT counts it)."""
    wire = batch.wire
    message_id = int.from_bytes(wire[:2], "big")
    if batch.key is None:
        return _Signed(wire, message_id, batch.zone, None, None, None)
    key = batch.key.to_dnspython()
    blank = dns.rdtypes.ANY.TSIG.TSIG(  # type: ignore[no-untyped-call]
        dns.rdataclass.ANY, dns.rdatatype.TSIG, key.algorithm, 0, _FUDGE, b"", message_id, 0, b""
    )
    tsig, _ = dns.tsig.sign(wire, key, blank, int(time.time()), None)  # type: ignore[no-untyped-call]
    rdata = tsig.to_wire() or b""
    record = (key.name.to_wire() or b"") + struct.pack(
        "!HHIH", dns.rdatatype.TSIG, dns.rdataclass.ANY, 0, len(rdata)
    )
    additional = int.from_bytes(wire[10:12], "big") + 1
    signed = wire[:10] + additional.to_bytes(2, "big") + wire[12:] + record + rdata
    return _Signed(signed, message_id, batch.zone, key.name, key, tsig.mac)


def _of_message(message: dns.update.UpdateMessage) -> _Signed:
    wire = message.to_wire()  # signs it when a key is configured
    keyring = message.keyring if isinstance(message.keyring, dns.tsig.Key) else None
    zone = message.zone[0].name if message.zone else None
    return _Signed(wire, message.id, zone, message.keyname, keyring, message.mac)


def _exchange(server: str, port: int, signed: _Signed, timeout: float) -> dns.message.Message:
    """Send over one TCP connection and read the answer (TSIG checked)."""
    expiration = time.monotonic() + timeout
    with socket.create_connection((server, port), timeout=timeout) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        dns.query.send_tcp(sock, signed.wire, expiration)
        keyring = None
        if signed.keyname is not None and signed.keyring is not None:
            keyring = {signed.keyname: signed.keyring}
        response, _ = dns.query.receive_tcp(
            sock, expiration, keyring=keyring, request_mac=signed.mac or b""
        )
    if (
        response.id != signed.message_id
        or not response.flags & dns.flags.QR
        or response.opcode() != dns.opcode.UPDATE
    ):
        raise dns.query.BadResponse
    return response


def send_update(
    server: str, port: int, message: Batch | dns.update.UpdateMessage, timeout: float
) -> None:
    """Send `message` to `server`:`port` over TCP and return when the server
    answers NOERROR; raise otherwise. A `Batch` is signed with its key just
    before it goes (a dnspython message is signed as it is configured)."""
    signed = sign(message) if isinstance(message, Batch) else _of_message(message)
    zone = "?" if signed.zone is None else (signed.zone.to_text(omit_final_dot=True) or ".")
    where = f"{server} port {port}"
    key = _key_text(signed.keyname)
    badkey = (
        f"the server rejected {key} for an UPDATE of zone {zone} (NOTAUTH/BADKEY): either "
        "it does not know this key name/algorithm, or its ACL does not allow this key to "
        "update this zone (or these names/types); check the key file and Knot's acl"
    )
    try:
        response = _exchange(server, port, signed, timeout)
    except ConnectionRefusedError:
        raise ServerUnreachable(
            f"cannot connect to {where}: connection refused; is the DNS server running and "
            "listening there?"
        ) from None
    except (TimeoutError, dns.exception.Timeout):
        raise ServerUnreachable(
            f"UPDATE of zone {zone} to {where} timed out after {timeout:g}s; the server may "
            "or may not have applied it (re-read the zone to know)"
        ) from None
    except EOFError:
        raise ServerUnreachable(
            f"{where} closed the connection without answering the UPDATE of zone {zone}; "
            "check the server's log"
        ) from None
    except dns.tsig.PeerBadKey:
        raise TsigError(badkey, answered=True) from None
    except dns.tsig.PeerBadSignature:
        raise TsigError(
            f"the server rejected the signature of {key} for zone {zone} (BADSIG): the key's "
            "secret differs from the server's; check the key file",
            answered=True,
        ) from None
    except dns.tsig.PeerBadTime:
        raise TsigError(
            f"TSIG time check failed for zone {zone} (BADTIME): this host's clock and the "
            "server's differ by more than 300 s; fix the clocks (NTP)",
            answered=True,
        ) from None
    except (dns.tsig.BadSignature, dns.tsig.BadKey, dns.tsig.BadAlgorithm, dns.tsig.BadTime):
        raise TsigError(
            f"the answer to the UPDATE of zone {zone} from {where} failed TSIG verification "
            f"with {key}; is the right server answering?"
        ) from None
    except (dns.tsig.PeerError, dns.message.UnknownTSIGKey) as exc:
        raise TsigError(
            f"TSIG failure for the UPDATE of zone {zone} ({type(exc).__name__}); "
            "check the key file",
            answered=isinstance(exc, dns.tsig.PeerError),
        ) from None
    except dns.exception.TooBig:
        raise UpdateRefused(
            f"the UPDATE of zone {zone} does not fit in one DNS message (65,535 bytes); "
            "it must be split"
        ) from None
    except dns.query.BadResponse:
        raise UpdateRefused(
            f"{where} sent an answer that does not match the UPDATE of zone {zone}"
        ) from None
    except dns.exception.FormError as exc:
        if "TSIG" in str(exc):
            raise UpdateRefused(
                f"{where} answered the signed UPDATE of zone {zone} without a TSIG: the "
                "server probably does not serve this zone (Knot then answers unsigned "
                "NOTAUTH); check the zone name and the server"
            ) from None
        raise UpdateRefused(
            f"{where} sent a malformed answer to the UPDATE of zone {zone}"
        ) from None
    except OSError as exc:
        raise ServerUnreachable(
            f"UPDATE of zone {zone} to {where} failed: {exc.strerror or exc}"
        ) from None

    rcode = response.rcode()
    name = dns.rcode.to_text(rcode)
    log.debug("UPDATE of zone %s to %s: %s", zone, where, name)
    if rcode == dns.rcode.NOERROR:
        return
    if rcode in _PREREQUISITE_RCODES:
        raise PrerequisiteFailed(
            f"UPDATE of zone {zone} not applied: prerequisite failed ({name}: "
            f"{_PREREQUISITE_MEANING[rcode]}); the zone changed since it was read",
            name,
        )
    if rcode == dns.rcode.SERVFAIL:
        raise ServerFailure(
            f"UPDATE of zone {zone} not applied: the server answered SERVFAIL (Knot fails a "
            "whole batch of queued updates if one of them is bad); re-read and retry"
        )
    hint = _REFUSAL_HINTS.get(rcode, "check the server's log")
    raise UpdateRefused(
        f"the server refused the UPDATE of zone {zone} ({name}): {hint}", answered=True
    )
