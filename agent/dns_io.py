"""Send one RFC 2136 UPDATE over TCP and turn every outcome into our errors.

The only module that sends UPDATEs. Messages are built elsewhere (purely, from
the plan) and signed there with `Message.use_tsig`; this module sends one,
checks the signed answer, and either returns (NOERROR) or raises:

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

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.tsig
import dns.update

from agent.errors import (
    PrerequisiteFailed,
    ServerFailure,
    ServerUnreachable,
    TsigError,
    UpdateRefused,
)

log = logging.getLogger(__name__)

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


def _zone_text(message: dns.update.UpdateMessage) -> str:
    if message.zone:
        return message.zone[0].name.to_text(omit_final_dot=True) or "."
    return "?"


def _key_text(message: dns.update.UpdateMessage) -> str:
    keyname = message.keyname
    if keyname is None:
        return "no TSIG key"
    return f"TSIG key {keyname.to_text(omit_final_dot=True)}"


def send_update(server: str, port: int, message: dns.update.UpdateMessage, timeout: float) -> None:
    """Send `message` (already signed, if it should be) to `server`:`port` over
    TCP and return when the server answers NOERROR; raise otherwise."""
    zone = _zone_text(message)
    where = f"{server} port {port}"
    key = _key_text(message)
    badkey = (
        f"the server rejected {key} for an UPDATE of zone {zone} (NOTAUTH/BADKEY): either "
        "it does not know this key name/algorithm, or its ACL does not allow this key to "
        "update this zone (or these names/types); check the key file and Knot's acl"
    )
    try:
        response = dns.query.tcp(message, server, port=port, timeout=timeout)
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
