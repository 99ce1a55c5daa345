"""`ZoneSnapshot.ttl` reads an RRset's TTL from the index: the TTL `get` gives."""

from __future__ import annotations

import dns.name
import dns.rdatatype
import dns.rrset

from agent.zone_reader import ZoneSnapshot

_ORIGIN = dns.name.from_text("internal.")


def _snapshot() -> ZoneSnapshot:
    records = {
        "@ 3600 IN SOA ns.internal. admin.internal. 1 3600 600 86400 300",
        "@ 3600 IN NS ns.internal.",
        "www 300 IN A 10.0.0.1",
        'nix.www 60 IN TXT "heritage=nix,managed-by=host,type=A"',
        "big 4294967295 IN A 10.0.0.2",
    }
    rrsets = {}
    for line in records:
        name, ttl, _, rtype, *data = line.split(" ", 4)
        rrset = dns.rrset.from_text(
            dns.name.from_text(name, _ORIGIN), int(ttl), "IN", rtype, " ".join(data)
        )
        rrsets[(rrset.name, rrset.rdtype)] = rrset
    return ZoneSnapshot(_ORIGIN, 1, rrsets)


def test_ttl_is_the_ttl_get_gives() -> None:
    snapshot = _snapshot()
    for name, rdtype in snapshot.rrsets:
        rrset = snapshot.get(name, rdtype)
        assert rrset is not None
        assert snapshot.ttl(name, rdtype) == rrset.ttl
    www = dns.name.from_text("WWW.internal.")
    assert snapshot.ttl(www, dns.rdatatype.A) == 300
    assert snapshot.ttl(www, dns.rdatatype.AAAA) is None
    assert snapshot.ttl(dns.name.from_text("nope.internal."), dns.rdatatype.A) is None
