"""Ask a server whether it serves a zone at all: one plain SOA query.

An AXFR refused with NOTAUTH means either "this zone is not served here" or
"this key may not transfer it" (Knot answers both alike, knot-notes.md). A
plain, unsigned SOA query without recursion tells them apart: Knot answers
authoritatively (AA) with the zone's SOA for a zone it serves, REFUSED for a
name outside all its zones, and AA NXDOMAIN/NODATA with the *parent's* SOA
for a name inside another zone it serves. ``publish`` asks only after a
retired owner's removal failed to read the zone (its records cannot be in a
zone the server does not serve).
"""

from __future__ import annotations

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype


def zone_served(server: str, port: int, zone: str, timeout: float) -> bool | None:
    """True: `server` serves `zone` (AA answer with the zone's SOA);
    False: it does not (REFUSED/NOTAUTH, or the name lies inside another zone
    it serves); None: no telling (no answer, SERVFAIL, anything else).

    `zone` is a zone name (trailing dot optional); `timeout` in seconds.
    Sends one UDP query (RFC 1035 §4.1.1, RD clear); never raises.
    """
    name = dns.name.from_text(zone)
    query = dns.message.make_query(name, dns.rdatatype.SOA)
    query.flags &= ~dns.flags.RD
    try:
        answer = dns.query.udp(query, server, port=port, timeout=timeout)
    except (OSError, dns.exception.DNSException):
        return None
    rcode = answer.rcode()
    authoritative = bool(answer.flags & dns.flags.AA)
    if rcode in (dns.rcode.REFUSED, dns.rcode.NOTAUTH) and not authoritative:
        return False
    if not authoritative or rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return None
    has_soa = any(
        rrset.name == name and rrset.rdtype == dns.rdatatype.SOA for rrset in answer.answer
    )
    if has_soa and rcode == dns.rcode.NOERROR:
        return True
    parent_soa = any(
        rrset.rdtype == dns.rdatatype.SOA and rrset.name != name and name.is_subdomain(rrset.name)
        for rrset in answer.authority
    )
    return False if parent_soa else None
