"""Build `ZoneSnapshot`s from zone-file text, as the AXFR reader would."""

from __future__ import annotations

from types import MappingProxyType

import dns.name
import dns.rdatatype
import dns.rdtypes.ANY.SOA
import dns.rrset
import dns.zone

from agent.zone_reader import RRsetKey, ZoneSnapshot


def snapshot_from_text(text: str, origin: str) -> ZoneSnapshot:
    """Parse zone text (names may be relative to `origin`) into a snapshot with
    absolute, lower-case owner names."""
    zone = dns.zone.from_text(text, origin=origin, relativize=False, check_origin=False)
    rrsets: dict[RRsetKey, dns.rrset.RRset] = {}
    for name, rdataset in zone.iterate_rdatasets():
        owner = name.canonicalize()
        rrset = dns.rrset.RRset(owner, rdataset.rdclass, rdataset.rdtype)
        for rdata in rdataset:
            rrset.add(rdata, rdataset.ttl)
        rrsets[(owner, rdataset.rdtype)] = rrset
    apex = dns.name.from_text(origin).canonicalize()
    soa = rrsets[(apex, dns.rdatatype.SOA)][0]
    assert isinstance(soa, dns.rdtypes.ANY.SOA.SOA)
    return ZoneSnapshot(origin=apex, serial=int(soa.serial), rrsets=MappingProxyType(rrsets))


SOA_LINE = "@ 3600 IN SOA ns0.internal. hostmaster.internal. {serial} 3600 600 86400 300"
