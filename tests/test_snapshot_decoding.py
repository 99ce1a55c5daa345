"""The indexed snapshot decodes exactly what dnspython decodes, for every type.

Transfers are rendered by dnspython itself (names compressed as a server
compresses them, RRsets split over several messages) and fed to the reader's
index; every RRset asked for must equal dnspython's own parse of the same
messages. The table holds one example of every non-meta type dnspython knows
(types it has no class for in RFC 3597 generic form), plus a type number it
has never heard of.
"""

from __future__ import annotations

import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent import zone_reader
from agent.errors import TransferError
from agent.zone_reader import RRsetKey, ZoneSnapshot

ZONE = dns.name.from_text("internal.")
ABSENT = dns.name.from_text("absent", None)
SOA = dns.rrset.from_text(
    ZONE, 3600, "IN", "SOA", "ns0.internal. hostmaster.internal. 7 3600 600 86400 300"
)
_KEY = "AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=="
_DNSKEY = (
    "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILf"
    "DLUT0rAK9iUzy1L53eKGQ=="
)
_DS = "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"
_HASH = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
_GENERIC = "\\# 3 010203"

#: One RDATA example (presentation text) per type.
EXAMPLES: dict[str, str] = {
    "A": "10.0.0.1",
    "NS": "ns0.Internal.",
    "MD": _GENERIC,
    "MF": _GENERIC,
    "CNAME": "Target.Example.",
    "MB": _GENERIC,
    "MG": _GENERIC,
    "MR": _GENERIC,
    "NULL": _GENERIC,
    "WKS": "10.0.0.1 6 25",
    "PTR": "host.internal.",
    "HINFO": '"cpu" "os"',
    "MINFO": _GENERIC,
    "MX": "10 mail.internal.",
    "TXT": '"a b" "" "q\\"x" "back\\\\slash"',
    "RP": "admin.internal. txt.internal.",
    "AFSDB": "1 afs.internal.",
    "X25": '"311061700956"',
    "ISDN": '"isdn-address" "subaddress"',
    "RT": "10 relay.internal.",
    "NSAP": "0x47000580005a0000000001e133ffffff00016100",
    "NSAP-PTR": "nsap.internal.",
    "SIG": f"A 13 2 300 20250101000000 20240101000000 12345 internal. {_KEY}",
    "KEY": f"256 3 13 {_KEY}",
    "PX": "10 a.internal. b.internal.",
    "GPOS": "-32.6882 116.8652 10.0",
    "AAAA": "fd00::1",
    "LOC": "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m",
    "NXT": _GENERIC,
    "SRV": "0 5 5060 sip.internal.",
    "NAPTR": '100 10 "S" "SIP+D2U" "" _sip._udp.internal.',
    "KX": "10 kx.internal.",
    "CERT": "1 0 0 AAAA",
    "A6": _GENERIC,
    "DNAME": "elsewhere.example.",
    "APL": "1:10.0.0.0/8 !2:fd00::/8",
    "DS": _DS,
    "SSHFP": "1 1 0123456789abcdef0123456789abcdef01234567",
    "IPSECKEY": f"10 1 2 192.0.2.38 {_KEY}",
    "DNSKEY": _DNSKEY,
    "DHCID": "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=",
    "NSEC3PARAM": "1 0 0 -",
    "TLSA": f"3 1 1 {_HASH}",
    "SMIMEA": f"3 1 1 {_HASH}",
    "HIP": f"2 200100107B1A74DF365639CC39F1D578 {_KEY} rvs.example.com.",
    "NINFO": '"x"',
    "CDS": _DS,
    "CDNSKEY": _DNSKEY,
    "OPENPGPKEY": _KEY,
    "CSYNC": "66 3 A NS AAAA",
    "ZONEMD": "2018031500 1 1 " + _HASH + _HASH[:32],
    "SVCB": '1 svc.internal. alpn="h2,h3" port=8443',
    "HTTPS": "1 . alpn=h2 ipv4hint=192.0.2.1",
    "DSYNC": "CDS 1 5359 cds-scanner.example.net.",
    "HHIT": "AAAA",
    "BRID": "AAAA",
    "SPF": '"v=spf1 -all"',
    "UNSPEC": _GENERIC,
    "NID": "10 0014:4fff:ff20:ee64",
    "L32": "10 10.1.2.0",
    "L64": "10 2001:0db8:1140:1000",
    "LP": "10 l64.internal.",
    "EUI48": "00-00-5e-00-53-2a",
    "EUI64": "00-00-5e-ef-10-00-00-2a",
    "URI": '10 1 "https://example.org/"',
    "CAA": '0 issue "letsencrypt.org"',
    "AVC": '"x"',
    "AMTRELAY": "10 0 1 203.0.113.15",
    "RESINFO": "qnamemin exterr=15,16,17",
    "WALLET": '"x"',
    "TA": _GENERIC,
    "DLV": _DS,
    "TYPE65280": _GENERIC,
}
#: Maintained by Knot when it signs: in the transfer, never in the snapshot.
LEFT_OUT: dict[str, str] = {
    "RRSIG": f"A 13 2 300 20250101000000 20240101000000 12345 internal. {_KEY}",
    "NSEC": "a.internal. A RRSIG NSEC",
    "NSEC3": "1 0 0 - 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S A RRSIG",
}
#: Besides SOA (the apex's, tested on every transfer), types a zone cannot hold.
NOT_ZONE_DATA = {"SOA", "TYPE0", "OPT", "TSIG", "TKEY"}


def test_the_table_covers_every_type_dnspython_knows() -> None:
    known = {
        dns.rdatatype.to_text(t)
        for t in dns.rdatatype.RdataType
        if not dns.rdatatype.is_metatype(t)
    }
    missing = known - EXAMPLES.keys() - LEFT_OUT.keys() - NOT_ZONE_DATA
    assert not missing


RDATAS = {
    text: dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(text), value)
    for text, value in {**EXAMPLES, **LEFT_OUT}.items()
}
LABELS = st.sampled_from([b"a", b"A", b"host-1", b"Host-1", b"_tcp", b"*", b"x" * 63, b"nix"])
OWNERS = st.lists(LABELS, max_size=3).map(lambda labels: dns.name.Name((*labels, *ZONE.labels)))
RECORDS = st.lists(
    st.tuples(OWNERS, st.sampled_from(sorted(RDATAS)), st.integers(0, 0x7FFFFFFF)),
    max_size=40,
)


def _transfer(
    records: list[tuple[dns.name.Name, str, int]], parts: int
) -> list[zone_reader._Message]:
    """The records as an AXFR of `parts` messages, rendered by dnspython: SOA
    first and last, one RR per RRset so an RRset may span messages."""
    rrsets = [SOA] + [dns.rrset.from_rdata(name, ttl, RDATAS[t]) for name, t, ttl in records]
    rrsets.append(SOA)
    size = -(-len(rrsets) // parts)
    messages = []
    for start in range(0, len(rrsets), size):
        query = dns.message.make_query(ZONE, dns.rdatatype.AXFR)
        response = dns.message.make_response(query)
        response.answer = rrsets[start : start + size]
        messages.append(zone_reader._index_message(response.to_wire()))
    return messages


def _expected(messages: list[zone_reader._Message]) -> dict[RRsetKey, dns.rrset.RRset]:
    """The zone as dnspython parses the same messages (TTL: the lowest seen)."""
    out: dict[RRsetKey, dns.rrset.RRset] = {}
    rrsets = [
        r for m in messages for r in dns.message.from_wire(m.wire, one_rr_per_rrset=True).answer
    ][:-1]
    for rrset in rrsets:
        if dns.rdatatype.to_text(rrset.rdtype) in LEFT_OUT:
            continue
        key = (rrset.name, rrset.rdtype)
        if key not in out:
            out[key] = dns.rrset.RRset(rrset.name.canonicalize(), rrset.rdclass, rrset.rdtype)
        for rdata in rrset:
            out[key].add(rdata, rrset.ttl)
    return out


def _assert_same(snapshot: ZoneSnapshot, expected: dict[RRsetKey, dns.rrset.RRset]) -> None:
    assert set(snapshot.rrsets) == set(expected)
    for rrset in expected.values():
        got = snapshot.get(rrset.name, rrset.rdtype)
        assert got is not None
        assert got.name.to_text() == rrset.name.to_text().lower()
        assert list(got) == list(rrset)
        assert got.ttl == rrset.ttl
        assert [rd.to_text() for rd in got] == [rd.to_text() for rd in rrset]
        assert [rd.to_wire() for rd in got] == [rd.to_wire() for rd in rrset]
    for name in {rrset.name for rrset in expected.values()}:
        types = {r.rdtype for r in expected.values() if r.name == name}
        assert snapshot.types_at(name) == types
        assert snapshot.lookup(name.to_text().upper()) == name
        key = snapshot.key_of(name.to_text())
        assert key == tuple(label.lower() for label in name.labels)
        assert snapshot.holds_types_besides(key, set())
        assert not snapshot.holds_types_besides(key, {int(t) for t in types})
        for rdtype in types:
            others = {int(t) for t in types} - {int(rdtype)}
            assert snapshot.holds_types_besides(key, others)
    assert snapshot.lookup("absent.internal") is None
    assert snapshot.key_of("absent.internal") is None
    assert snapshot.has_wildcards() == any(r.name.is_wild() for r in expected.values())
    txt, dhcid = dns.rdatatype.TXT, dns.rdatatype.DHCID
    for rrset in expected.values():
        if rrset.rdtype == txt:
            texts = {b"".join(rd.strings) for rd in rrset}
            assert set(snapshot.txt_data(rrset.name)) == texts
    assert set(snapshot.txt_names()) == {r.name for r in expected.values() if r.rdtype == txt}
    owners = dict(snapshot.txt_owners())
    assert list(owners) == snapshot.txt_names()
    for name, texts_read in owners.items():
        assert texts_read == snapshot.txt_data(name)
    dhcp = {r.name for r in expected.values() if r.rdtype == dhcid}
    assert set(snapshot.dhcid_names()) == dhcp
    assert len(snapshot.dhcid_names()) == len(dhcp)
    for name in {rrset.name for rrset in expected.values()} | {ABSENT.concatenate(ZONE)}:
        upper = dns.name.Name(label.upper() for label in name.labels)
        assert (upper in snapshot.dhcid_names()) == (name in dhcp)
    assert "internal." not in snapshot.dhcid_names()


#: TXT RDATA as character-strings: one (a marker), empty, several, the longest.
TXT_STRINGS = st.lists(
    st.one_of(st.binary(max_size=70), st.just(b""), st.binary(min_size=255, max_size=255)),
    min_size=1,
    max_size=4,
)


@settings(max_examples=100, deadline=None)
@given(rdatas=st.lists(TXT_STRINGS, min_size=1, max_size=4), parts=st.integers(1, 2))
def test_txt_texts_are_dnspythons(rdatas: list[list[bytes]], parts: int) -> None:
    """The marker texts read from the index (`txt_data`, `txt_owners`) are the
    character-strings dnspython decodes, joined, for any TXT RDATA."""
    name = dns.name.from_text("m.internal.")
    rrset = dns.rrset.from_rdata_list(
        name,
        300,
        [dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, s) for s in rdatas],
    )
    query = dns.message.make_query(ZONE, dns.rdatatype.AXFR)
    messages = []
    for answer in ([SOA, rrset, SOA],) if parts == 1 else ([SOA, rrset], [SOA]):
        response = dns.message.make_response(query)
        response.answer = answer
        messages.append(zone_reader._index_message(response.to_wire()))
    snapshot = zone_reader._build_snapshot(messages, ZONE, "internal")
    texts = [b"".join(rdata.strings) for rdata in rrset]
    assert sorted(snapshot.txt_data(name)) == sorted(texts)
    assert dict(snapshot.txt_owners()) == {name: snapshot.txt_data(name)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=RECORDS, parts=st.integers(1, 4))
def test_snapshot_decodes_what_dnspython_decodes(
    records: list[tuple[dns.name.Name, str, int]], parts: int
) -> None:
    messages = _transfer(records, parts)
    expected = _expected(messages)
    snapshot = zone_reader._build_snapshot(messages, ZONE, "internal")
    _assert_same(snapshot, expected)
    assert snapshot.serial == 7
    assert len(snapshot) == 1 + sum(t not in LEFT_OUT for _, t, _ in records)  # RRs sent
    rebuilt = ZoneSnapshot(ZONE, 7, expected)
    _assert_same(rebuilt, expected)
    assert rebuilt == snapshot


def test_every_type_at_once_through_the_slow_path_too() -> None:
    records = [(dns.name.from_text(f"n{i}.internal."), t, 300) for i, t in enumerate(RDATAS)]
    messages = _transfer(records, 3)
    fast = zone_reader._build_snapshot(messages, ZONE, "internal")
    _assert_same(fast, _expected(messages))
    previous = zone_reader._fast_path_ok
    zone_reader._fast_path_ok = False
    try:
        slow = zone_reader._build_snapshot(messages, ZONE, "internal")
        assert dict(slow.rrsets) == dict(fast.rrsets)
        assert slow.to_zone_text() == fast.to_zone_text()
    finally:
        zone_reader._fast_path_ok = previous


def test_a_record_that_cannot_be_decoded_fails_the_read_when_asked_for() -> None:
    bad = dns.rdata.GenericRdata(dns.rdataclass.IN, dns.rdatatype.A, b"\x01\x02\x03")
    query = dns.message.make_query(ZONE, dns.rdatatype.AXFR)
    response = dns.message.make_response(query)
    good = dns.rrset.from_text("www.internal.", 300, "IN", "A", "10.0.0.80")
    response.answer = [SOA, good, dns.rrset.from_rdata("bad.internal.", 300, bad), SOA]
    messages = [zone_reader._index_message(response.to_wire())]
    snapshot = zone_reader._build_snapshot(messages, ZONE, "internal")
    assert snapshot.get(good.name, dns.rdatatype.A) == good
    with pytest.raises(TransferError, match=r"cannot be decoded at bad\.internal\. A"):
        snapshot.get(dns.name.from_text("bad.internal."), dns.rdatatype.A)
    with pytest.raises(TransferError):  # a backup decodes everything
        snapshot.to_zone_text()


@pytest.mark.parametrize(
    ("owner", "rdclass", "error"),
    [
        ("www.example.", "IN", "outside the zone"),
        ("www.internal.", "CH", "class 3"),
    ],
)
def test_a_record_outside_the_zone_or_of_another_class_fails_the_transfer(
    owner: str, rdclass: str, error: str
) -> None:
    query = dns.message.make_query(ZONE, dns.rdatatype.AXFR)
    response = dns.message.make_response(query)
    stray = dns.rrset.from_text(owner, 300, rdclass, "TXT", '"x"')
    response.answer = [SOA, stray, SOA]
    messages = [zone_reader._index_message(response.to_wire())]
    with pytest.raises(TransferError, match=error):
        zone_reader._build_snapshot(messages, ZONE, "internal")
