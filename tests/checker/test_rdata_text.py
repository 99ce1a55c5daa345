"""Canonical RDATA text: it parses back to the same value, and dnspython agrees."""

from __future__ import annotations

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest

from checker.names import parse_absolute
from checker.rdata import RType, parse_rdata

ZONE = "internal"

WRITTEN: list[tuple[RType, str]] = [
    (RType.A, "10.0.0.53"),
    (RType.A, " 192.0.2.1 "),
    (RType.AAAA, "fd00::53"),
    (RType.AAAA, "FD00:0:0::0053"),
    (RType.AAAA, "::ffff:10.0.0.1"),
    (RType.CNAME, "ns0.internal."),
    (RType.CNAME, "ns0"),
    (RType.CNAME, "@"),
    (RType.CNAME, "NS0.Example.ORG."),
    (RType.CNAME, r"we\.ird\200name"),
    (RType.CNAME, r"we\.ird.example."),
    (RType.NS, "ns1.example.net."),
    (RType.PTR, "host"),
    (RType.MX, "10 mail"),
    (RType.MX, "0 ."),
    (RType.MX, "65535 mx.example."),
    (RType.SRV, "0 5 5060 sip"),
    (RType.SRV, "65535 65535 65535 ."),
    (RType.TXT, '"v=spf1 -all"'),
    (RType.TXT, '"with spaces" "two strings"'),
    (RType.TXT, r'"a \"quoted\" word"'),
    (RType.TXT, r'"back\\slash"'),
    (RType.TXT, r'"\000\255\127 \t"'),
    (RType.TXT, r'"caf\195\169"'),
    (RType.TXT, '""'),
    (RType.TXT, "bare words"),
    (RType.TXT, '"' + "x" * 255 + '" "y"'),
    (RType.CAA, '0 issue "letsencrypt.org"'),
    (RType.CAA, '128 ISSUEWILD ";"'),
    (RType.CAA, '0 iodef "mailto:a@example.org"'),
    (RType.CAA, r'0 issue "with \"quotes\""'),
]


@pytest.mark.parametrize(("rtype", "written"), WRITTEN)
def test_to_text_round_trips(rtype: RType, written: str) -> None:
    origin = parse_absolute(ZONE)
    rdata = parse_rdata(rtype, written, origin)
    again = parse_rdata(rtype, rdata.to_text(), origin)
    assert again == rdata
    assert again.to_text() == rdata.to_text()
    # Canonical text is absolute: another origin reads it the same.
    assert parse_rdata(rtype, rdata.to_text(), parse_absolute("elsewhere")) == rdata


@pytest.mark.parametrize(("rtype", "written"), WRITTEN)
def test_dnspython_reads_the_same(rtype: RType, written: str) -> None:
    origin = dns.name.from_text(ZONE)
    ours = parse_rdata(rtype, written, parse_absolute(ZONE)).to_text()
    rdtype = dns.rdatatype.from_text(str(rtype))
    expected = dns.rdata.from_text(
        dns.rdataclass.IN, rdtype, written, origin=origin, relativize=False
    )
    assert dns.rdata.from_text(dns.rdataclass.IN, rdtype, ours) == expected
    assert (
        dns.rdata.from_text(dns.rdataclass.IN, rdtype, ours, origin=origin, relativize=False)
        == expected
    )
