"""AXFR reader against a real knotd: complete, exact, and failing closed."""

from __future__ import annotations

import base64
import select
import socket
import threading
from collections.abc import Iterator

import dns.name
import dns.query
import dns.rdatatype
import dns.tsig
import dns.zone
import pytest

from agent.errors import ServerUnreachable, TransferError, TsigError
from agent.keyfile import TsigKey
from agent.zone_reader import ZoneSnapshot, read_zone
from tests.fixtures.knot import KnotFactory, KnotServer, free_port

pytestmark = pytest.mark.knot

INTERNAL = dns.name.from_text("internal")
REVERSE = dns.name.from_text("10.in-addr.arpa")

ALL_TYPES = [
    "a 300 A 10.0.0.1",
    "a 300 A 10.0.0.2",
    "AbC 300 AAAA fd00::1",
    "alias 300 CNAME a.internal.",
    "@ 300 MX 10 mail.internal.",
    "_sip._tcp 300 SRV 0 5 5060 sip.internal.",
    '@ 300 CAA 0 issue "letsencrypt.org"',
    'txt 300 TXT "with spaces" "quote \\" inside" "back\\\\slash" "semi;colon"',
    'txt 300 TXT "v=spf1 -all"',
    'long 300 TXT "' + "x" * 255 + '" "' + "y" * 100 + '"',
    "dhcp 300 A 10.0.0.42",
    "dhcp 300 DHCID AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=",
    'dhcp.sub 3600 HINFO "cpu" "os"',
    "sub 300 NS ns0.internal.",
    "_x 300 SSHFP 1 1 0123456789abcdef0123456789abcdef01234567",
    'nix.a 300 TXT "heritage=nix,managed-by=routy,type=A"',
    'k8s.a-forge 300 TXT "heritage=external-dns,external-dns/owner=default"',
    "weird 300 TYPE65280 \\# 3 010203",
]


def _reference(knot: KnotServer, zone: dns.name.Name) -> dns.zone.Zone:
    """The zone as dnspython's own (slow) AXFR sees it."""
    return dns.zone.from_xfr(
        dns.query.xfr(
            knot.server,
            zone,
            port=knot.port,
            keyring={knot.tsig_key.name: knot.tsig_key.to_dnspython()},
            relativize=False,
        ),
        relativize=False,
    )


def _assert_same_as_reference(snapshot: ZoneSnapshot, reference: dns.zone.Zone) -> None:
    expected = {}
    for name, rdataset in reference.iterate_rdatasets():
        expected[(name, rdataset.rdtype)] = rdataset
    assert set(snapshot.rrsets) == set(expected)
    for key, rdataset in expected.items():
        rrset = snapshot.rrsets[key]
        assert set(rrset) == set(rdataset), key
        assert rrset.ttl == rdataset.ttl, key


def test_all_record_types_read_exactly(knot_factory: KnotFactory) -> None:
    knot = knot_factory(
        extra_records={
            "internal": ALL_TYPES,
            "10.in-addr.arpa": ["53.0.0 300 PTR ns0.internal.", "42.0.0 300 DHCID AAIB"],
        }
    )
    snapshot = read_zone(knot.server, knot.port, INTERNAL, knot.tsig_key)
    _assert_same_as_reference(snapshot, _reference(knot, INTERNAL))
    assert snapshot.origin == INTERNAL
    assert snapshot.serial == knot.serial("internal")
    # owner names are lower case; data as sent
    assert dns.name.from_text("abc.internal") in snapshot.names()
    assert all(name.to_text() == name.to_text().lower() for name in snapshot.names())
    txt = snapshot.get(dns.name.from_text("txt.internal"), dns.rdatatype.TXT)
    assert txt is not None
    strings = {tuple(rd.strings) for rd in txt}
    assert (b"with spaces", b'quote " inside', b"back\\slash", b"semi;colon") in strings
    dhcid = snapshot.get(dns.name.from_text("dhcp.internal"), dns.rdatatype.DHCID)
    assert dhcid is not None
    assert snapshot.get(INTERNAL, dns.rdatatype.SOA) is not None
    with pytest.raises(TypeError):
        snapshot.rrsets[(INTERNAL, dns.rdatatype.A)] = None  # type: ignore[index]

    reverse = read_zone(knot.server, knot.port, REVERSE, knot.tsig_key)
    _assert_same_as_reference(reverse, _reference(knot, REVERSE))


def test_zone_text_round_trips(knot_factory: KnotFactory) -> None:
    knot = knot_factory(extra_records={"internal": ALL_TYPES})
    snapshot = read_zone(knot.server, knot.port, INTERNAL, knot.tsig_key)
    text = snapshot.to_zone_text()
    assert text.startswith("$ORIGIN internal.\ninternal. ")
    assert text.splitlines()[1].split()[3] == "SOA"
    parsed = dns.zone.from_text(text, origin=INTERNAL, relativize=False)
    _assert_same_as_reference(snapshot, parsed)


def test_sees_dynamic_updates_and_serial(knot: KnotServer) -> None:
    knot.add_records("internal", ["dyn 300 A 10.1.2.3"])
    snapshot = read_zone(knot.server, knot.port, INTERNAL, knot.tsig_key)
    assert snapshot.get(dns.name.from_text("dyn.internal"), dns.rdatatype.A) is not None
    assert snapshot.serial == knot.serial("internal")


def test_big_zone_with_knot_default_io_timeout(knot_factory: KnotFactory) -> None:
    count = 25_000
    records = [f"h{i} 300 A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}" for i in range(count)]
    records += [f'h{i} 300 TXT "record {i}"' for i in range(0, count, 10)]
    knot = knot_factory(extra_records={"internal": records})  # tcp-io-timeout: default
    snapshot = read_zone(knot.server, knot.port, INTERNAL, knot.tsig_key)
    # SOA, NS, ns0 A + ours
    assert len(snapshot.rrsets) == 3 + count + count // 10
    assert len(snapshot) == 3 + count + count // 10


# -- failing closed ------------------------------------------------------------


def _assert_one_clean_line(exc: BaseException, secret_b64: str) -> str:
    message = str(exc)
    assert "\n" not in message
    assert secret_b64 not in message
    return message


def test_wrong_secret(knot: KnotServer) -> None:
    bad = TsigKey(knot.tsig_key.name, knot.tsig_key.algorithm, b"not the secret")
    with pytest.raises(TsigError) as info:
        read_zone(knot.server, knot.port, INTERNAL, bad)
    message = _assert_one_clean_line(info.value, knot.key_secret_b64())
    assert "BADSIG" in message


def test_unknown_key_names_both_causes(knot: KnotServer) -> None:
    unknown = TsigKey(dns.name.from_text("nosuch"), dns.tsig.HMAC_SHA256, b"x" * 32)
    with pytest.raises(TsigError) as info:
        read_zone(knot.server, knot.port, INTERNAL, unknown)
    message = _assert_one_clean_line(info.value, knot.key_secret_b64())
    assert "does not know" in message
    assert "ACL" in message


def test_wrong_algorithm(knot: KnotServer) -> None:
    key = knot.tsig_key
    wrong = TsigKey(key.name, dns.tsig.HMAC_SHA512, key.secret)
    with pytest.raises(TsigError) as info:
        read_zone(knot.server, knot.port, INTERNAL, wrong)
    _assert_one_clean_line(info.value, knot.key_secret_b64())


def test_acl_denied_key(knot: KnotServer) -> None:
    other = knot.key("other")
    # allowed on its own zone ...
    read_zone(knot.server, knot.port, dns.name.from_text("s3.garage.internal"), other)
    # ... denied elsewhere: Knot says NOTAUTH/BADKEY, like an unknown key
    with pytest.raises(TsigError) as info:
        read_zone(knot.server, knot.port, INTERNAL, other)
    message = _assert_one_clean_line(info.value, knot.key_secret_b64("other"))
    assert "ACL" in message


def test_unserved_zone(knot: KnotServer) -> None:
    with pytest.raises((TransferError, TsigError)) as info:
        read_zone(knot.server, knot.port, dns.name.from_text("example"), knot.tsig_key)
    message = _assert_one_clean_line(info.value, knot.key_secret_b64())
    assert "serve" in message


def test_stopped_server(knot: KnotServer) -> None:
    port = knot.port
    knot.stop()
    with pytest.raises(ServerUnreachable) as info:
        read_zone("127.0.0.1", port, INTERNAL, knot.tsig_key, timeout=2.0)
    assert "refused" in _assert_one_clean_line(info.value, knot.key_secret_b64())


class _CuttingProxy:
    """Forwards one TCP connection to knotd, passing at most `limit` bytes back."""

    def __init__(self, upstream_port: int, limit: int) -> None:
        self.port = free_port()
        self.limit = limit
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.listener.settimeout(10)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            client, _ = self.listener.accept()
        except OSError:
            return
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=10)
        with client, upstream:
            client.settimeout(10)
            query = client.recv(65535)
            upstream.sendall(query)
            passed = 0
            try:
                while passed < self.limit:
                    readable, _, _ = select.select([upstream, client], [], [], 10)
                    if client in readable or not readable:
                        break  # the reader hung up (or nothing happens): done
                    chunk = upstream.recv(min(65535, self.limit - passed))
                    if not chunk:
                        break
                    client.sendall(chunk)
                    passed += len(chunk)
            except OSError:
                pass

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=10)


@pytest.fixture
def big_knot(knot_factory: KnotFactory) -> KnotServer:
    records = [f"h{i} 300 A 10.0.{i >> 8 & 255}.{i & 255}" for i in range(5000)]
    return knot_factory(extra_records={"internal": records})


@pytest.mark.parametrize("limit", [1, 2, 30, 5000, 60000, 100_000])
def test_transfer_cut_midway_is_an_error(big_knot: KnotServer, limit: int) -> None:
    proxy = _CuttingProxy(big_knot.port, limit)
    try:
        with pytest.raises(TransferError) as info:
            read_zone("127.0.0.1", proxy.port, INTERNAL, big_knot.tsig_key, timeout=5.0)
    finally:
        proxy.close()
    assert "nothing was changed" in _assert_one_clean_line(info.value, big_knot.key_secret_b64())


def test_proxy_passing_everything_reads_the_zone(big_knot: KnotServer) -> None:
    proxy = _CuttingProxy(big_knot.port, 10**9)
    try:
        snapshot = read_zone("127.0.0.1", proxy.port, INTERNAL, big_knot.tsig_key)
    finally:
        proxy.close()
    assert len(snapshot.rrsets) == 5003


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP listener that accepts and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()


def test_silent_server_times_out(silent_server: int) -> None:
    key = TsigKey(dns.name.from_text("k"), dns.tsig.HMAC_SHA256, base64.b64decode("AAAA"))
    with pytest.raises(TransferError, match="stalled"):
        read_zone("127.0.0.1", silent_server, INTERNAL, key, timeout=0.5)


def test_fast_path_matches_dnspython(
    knot_factory: KnotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent import zone_reader

    assert zone_reader._fast_paths_agree()
    extra = [*ALL_TYPES, "Mixed 300 CNAME Target.Elsewhere.", "v6 300 AAAA 2001:db8::a:0:0:1"]
    knot = knot_factory(
        extra_records={"internal": extra, "10.in-addr.arpa": ["1.0.0 300 PTR Host.Internal."]}
    )
    for zone in (INTERNAL, REVERSE):
        fast = read_zone(knot.server, knot.port, zone, knot.tsig_key)
        monkeypatch.setattr(zone_reader, "_fast_path_ok", False)
        generic = read_zone(knot.server, knot.port, zone, knot.tsig_key)
        monkeypatch.setattr(zone_reader, "_fast_path_ok", None)
        assert fast.to_zone_text() == generic.to_zone_text()
        assert dict(fast.rrsets) == dict(generic.rrsets)
    ptr = fast.get(dns.name.from_text("1.0.0.10.in-addr.arpa"), dns.rdatatype.PTR)
    assert ptr is not None
    assert ptr[0].to_text().lower() == "host.internal."  # (Knot lower-cases PTR data)
