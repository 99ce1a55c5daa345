"""send_update against a real knotd (and a tiny scripted server for rare rcodes)."""

from __future__ import annotations

import socket
import struct
import threading

import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.update
import pytest

from agent.dns_io import send_update
from agent.errors import (
    AgentError,
    PrerequisiteFailed,
    ServerFailure,
    ServerUnreachable,
    TsigError,
    UpdateRefused,
)
from agent.keyfile import TsigKey
from agent.update_builder import Batch
from tests.fixtures.knot import KnotServer


def _update(zone: str, key: TsigKey) -> dns.update.UpdateMessage:
    message = dns.update.UpdateMessage(zone)
    message.use_tsig(key.to_dnspython())
    return message


def _assert_clean(exc: BaseException, *secrets: str) -> str:
    message = str(exc)
    assert "\n" not in message
    for secret in secrets:
        assert secret not in message
    return message


@pytest.mark.knot
def test_success_changes_the_zone(knot: KnotServer) -> None:
    before = knot.serial("internal")
    message = _update("internal", knot.tsig_key)
    message.add("web", 300, "A", "10.0.0.80")
    message.add("nix.web", 300, "TXT", '"heritage=nix,managed-by=routy,type=A"')
    send_update(knot.server, knot.port, message, timeout=5.0)
    lines = knot.axfr("internal")
    assert any(line.startswith("web.internal.") and "10.0.0.80" in line for line in lines)
    assert knot.serial("internal") != before


@pytest.mark.knot
@pytest.mark.parametrize(
    ("rcode_name", "build"),
    [
        ("YXRRSET", lambda m: m.absent("ns0", "A")),
        ("NXRRSET", lambda m: m.present("ns0", "A", "10.9.9.9")),
        ("NXDOMAIN", lambda m: m.present("nosuchname")),
        ("YXDOMAIN", lambda m: m.absent("ns0")),
    ],
)
def test_failed_prerequisite_changes_nothing(
    knot: KnotServer, rcode_name: str, build: object
) -> None:
    before = knot.axfr("internal")
    serial = knot.serial("internal")
    message = _update("internal", knot.tsig_key)
    build(message)  # type: ignore[operator]
    message.add("new", 300, "A", "10.0.0.99")
    with pytest.raises(PrerequisiteFailed) as info:
        send_update(knot.server, knot.port, message, timeout=5.0)
    assert info.value.rcode_name == rcode_name
    assert rcode_name in _assert_clean(info.value, knot.key_secret_b64())
    assert knot.serial("internal") == serial
    assert knot.axfr("internal") == before


@pytest.mark.knot
def test_wrong_secret(knot: KnotServer) -> None:
    key = TsigKey(knot.tsig_key.name, knot.tsig_key.algorithm, b"wrong secret")
    message = _update("internal", key)
    message.add("x", 300, "A", "10.0.0.1")
    with pytest.raises(TsigError, match="BADSIG") as info:
        send_update(knot.server, knot.port, message, timeout=5.0)
    _assert_clean(info.value, knot.key_secret_b64())


@pytest.mark.knot
@pytest.mark.parametrize("which", ["unknown", "algorithm", "acl"])
def test_badkey_names_both_causes(knot: KnotServer, which: str) -> None:
    if which == "unknown":
        key = TsigKey(dns.name.from_text("nosuch"), dns.tsig.HMAC_SHA256, b"k" * 32)
    elif which == "algorithm":
        key = TsigKey(knot.tsig_key.name, dns.tsig.HMAC_SHA512, knot.tsig_key.secret)
    else:
        key = knot.key("other")  # known, but only allowed on s3.garage.internal
    serial = knot.serial("internal")
    message = _update("internal", key)
    message.add("x", 300, "A", "10.0.0.1")
    with pytest.raises(TsigError) as info:
        send_update(knot.server, knot.port, message, timeout=5.0)
    text = _assert_clean(info.value, knot.key_secret_b64(), knot.key_secret_b64("other"))
    assert "does not know" in text
    assert "ACL" in text
    assert knot.serial("internal") == serial


@pytest.mark.knot
def test_unserved_zone(knot: KnotServer) -> None:
    message = _update("example", knot.tsig_key)
    message.add("x", 300, "A", "10.0.0.1")
    with pytest.raises(UpdateRefused, match="not serve") as info:
        send_update(knot.server, knot.port, message, timeout=5.0)
    _assert_clean(info.value, knot.key_secret_b64())


@pytest.mark.knot
def test_stopped_server(knot: KnotServer) -> None:
    knot.stop()
    message = _update("internal", knot.tsig_key)
    message.add("x", 300, "A", "10.0.0.1")
    with pytest.raises(ServerUnreachable, match="refused"):
        send_update(knot.server, knot.port, message, timeout=2.0)


# -- rcodes Knot rarely gives on demand: a scripted server -----------------------

KEY = TsigKey(dns.name.from_text("update"), dns.tsig.HMAC_SHA256, b"s" * 32)


class _ScriptedServer:
    """Answers each TCP DNS request with `rcode`, signed with KEY (or closes)."""

    def __init__(self, rcode: dns.rcode.Rcode | None) -> None:
        self.rcode = rcode
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(10)
        self.port = int(self.listener.getsockname()[1])
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(10)
            (length,) = struct.unpack("!H", conn.recv(2))
            wire = b""
            while len(wire) < length:
                wire += conn.recv(length - len(wire))
            if self.rcode is None:
                return
            query = dns.message.from_wire(wire, keyring={KEY.name: KEY.to_dnspython()})
            response = dns.message.make_response(query)
            response.set_rcode(self.rcode)
            out = response.to_wire()
            conn.sendall(struct.pack("!H", len(out)) + out)

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=10)


@pytest.mark.parametrize(
    ("rcode", "error"),
    [
        (dns.rcode.NOERROR, None),
        (dns.rcode.SERVFAIL, ServerFailure),
        (dns.rcode.REFUSED, UpdateRefused),
        (dns.rcode.NOTAUTH, UpdateRefused),
        (dns.rcode.NOTZONE, UpdateRefused),
        (dns.rcode.FORMERR, UpdateRefused),
        (dns.rcode.NOTIMP, UpdateRefused),
        (dns.rcode.NXRRSET, PrerequisiteFailed),
        (None, ServerUnreachable),
    ],
)
def test_rcode_mapping(rcode: dns.rcode.Rcode | None, error: type[AgentError] | None) -> None:
    server = _ScriptedServer(rcode)
    try:
        message = _update("internal", KEY)
        message.add("x", 300, "A", "10.0.0.1")
        if error is None:
            send_update("127.0.0.1", server.port, message, timeout=5.0)
        else:
            with pytest.raises(error) as info:
                send_update("127.0.0.1", server.port, message, timeout=5.0)
            text = _assert_clean(info.value)
            if rcode is not None:
                assert dns.rcode.to_text(rcode) in text
    finally:
        server.close()


def test_timeout_is_unreachable() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        message = _update("internal", KEY)
        message.add("x", 300, "A", "10.0.0.1")
        with pytest.raises(ServerUnreachable, match="timed out"):
            send_update("127.0.0.1", int(listener.getsockname()[1]), message, timeout=0.5)
    finally:
        listener.close()


def _batch(zone: str, key: TsigKey, build: object) -> Batch:
    """A built message as the applier sends it: unsigned wire and its key."""
    message = dns.update.UpdateMessage(zone)
    build(message)  # type: ignore[operator]
    return Batch(message.to_wire(), (), 0, dns.name.from_text(zone), key)


@pytest.mark.knot
def test_a_batch_is_signed_as_it_goes_and_its_signed_answer_checked(knot: KnotServer) -> None:
    batch = _batch("internal", knot.tsig_key, lambda m: m.add("web2", 300, "A", "10.0.0.82"))
    assert dns.message.from_wire(batch.wire).tsig is None  # written unsigned
    send_update(knot.server, knot.port, batch, timeout=5.0)
    assert any(line.startswith("web2.internal.") for line in knot.axfr("internal"))
    failing = _batch("internal", knot.tsig_key, lambda m: m.absent("ns0", "A"))
    with pytest.raises(PrerequisiteFailed):
        send_update(knot.server, knot.port, failing, timeout=5.0)


@pytest.mark.knot
def test_a_batch_signed_with_a_wrong_secret_is_badsig(knot: KnotServer) -> None:
    wrong = TsigKey(knot.tsig_key.name, knot.tsig_key.algorithm, b"not the secret at all!!")
    batch = _batch("internal", wrong, lambda m: m.add("web3", 300, "A", "10.0.0.83"))
    with pytest.raises(TsigError, match="BADSIG"):
        send_update(knot.server, knot.port, batch, timeout=5.0)
    assert not any(line.startswith("web3.internal.") for line in knot.axfr("internal"))
