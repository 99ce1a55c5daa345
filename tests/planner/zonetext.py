"""Build ZoneSnapshots from zone-file text, for pure planner tests."""

from __future__ import annotations

import dns.name
import dns.rdatatype
import dns.rrset
import dns.zone

from agent.zone_reader import ZoneSnapshot

SOA = "@ 300 IN SOA ns0.internal. hostmaster.internal. 1 3600 600 604800 300\n"


def snapshot(origin: str, text: str, *, with_soa: bool = True) -> ZoneSnapshot:
    """A snapshot of ``origin`` holding the RRs of ``text`` (plus an SOA)."""
    zone_name = dns.name.from_text(origin)
    zone = dns.zone.from_text(
        (SOA if with_soa else "") + text,
        origin=zone_name,
        relativize=False,
        check_origin=False,
    )
    rrsets: dict[tuple[dns.name.Name, dns.rdatatype.RdataType], dns.rrset.RRset] = {}
    for name, node in zone.nodes.items():
        for rdataset in node.rdatasets:
            rrset = dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset))
            rrsets[(name, rdataset.rdtype)] = rrset
    serial = 1
    return ZoneSnapshot(zone_name, serial, rrsets)
