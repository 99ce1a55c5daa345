"""Who owns what in a zone, read from its records alone (pure, no I/O).

Contract §3: we own an RRset (N, T) only if the TXT RRset at ``<prefix>.N``
holds the exact text ``heritage=nix,managed-by=<id>,type=<T>``. Everything
else is foreign: names with a DHCID (Kea DHCP-DDNS), names claimed by
ExternalDNS markers (old ``k8s.<name>`` and current ``k8s.<type>-<name>``
formats, plain or encrypted), RRsets marked by another managed-by id, and
hand-made records.

When in doubt a name is *claimed*: a spurious claim only produces a reported
conflict, while a missed claim could let us overwrite another writer.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import dns.name
import dns.rdatatype
import dns.rrset

from agent.zone_reader import ZoneSnapshot
from checker.model import Owner

MARKER_HERITAGE = "heritage=nix"
EXTERNAL_DNS_HERITAGE = "heritage=external-dns"
#: The contract's marker text; group 1 is the managed-by id, group 2 the type.
NIX_MARKER = re.compile(r"^heritage=nix,managed-by=([^,]+),type=([A-Za-z0-9]+)$")
# ExternalDNS puts the record type in front of the name: k8s.a-forge, k8s.cname-www.
_EXTERNAL_DNS_TYPED = re.compile(rb"^(a|aaaa|cname|ns|mx|srv|txt|ptr|caa|naptr)-(.+)$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/]{38,}={0,2}$")
# Types the server maintains (SOA, DNSSEC); never static candidates.
SERVER_TYPES = frozenset(
    {
        dns.rdatatype.SOA,
        dns.rdatatype.RRSIG,
        dns.rdatatype.NSEC,
        dns.rdatatype.NSEC3,
        dns.rdatatype.NSEC3PARAM,
        dns.rdatatype.DNSKEY,
        dns.rdatatype.CDS,
        dns.rdatatype.CDNSKEY,
    }
)

RRsetKey = tuple[dns.name.Name, dns.rdatatype.RdataType]


def marker_text(managed_by: str, rdtype: dns.rdatatype.RdataType) -> str:
    """The exact text of our marker for an RRset of ``rdtype``."""
    return f"heritage=nix,managed-by={managed_by},type={dns.rdatatype.to_text(rdtype)}"


def marker_name(prefix: str, name: dns.name.Name) -> dns.name.Name:
    """``<prefix>.<name>``; for the apex that is ``<prefix>.<zone>``."""
    return dns.name.Name((prefix.encode("ascii"), *name.labels))


def txt_texts(rrset: dns.rrset.RRset) -> list[str]:
    """Each TXT RR's strings joined, decoded leniently (markers are ASCII)."""
    return [b"".join(rd.strings).decode("utf-8", "replace") for rd in rrset]


@dataclass(frozen=True, slots=True)
class Ownership:
    """Claims found in one snapshot."""

    ours: frozenset[RRsetKey]  # RRsets carrying our exact marker
    other_owners: dict[RRsetKey, str]  # RRset -> the other managed-by id (our prefix)
    other_prefix: dict[RRsetKey, tuple[str, str]]  # RRset -> (managed-by id, its prefix)
    external_dns: dict[dns.name.Name, dns.name.Name]  # claimed name -> marker name
    dhcp: frozenset[dns.name.Name]  # names holding a DHCID
    markers: frozenset[RRsetKey]  # TXT RRsets that are someone's markers

    def is_ours(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> bool:
        return (name, rdtype) in self.ours


def _external_dns_claims(marker: dns.name.Name) -> Iterable[dns.name.Name]:
    """Names an ExternalDNS marker at ``marker`` may claim (old and new formats)."""
    labels = marker.labels
    if len(labels) < 3:  # a marker at <prefix>.<tld> claims nothing we can name
        return
    yield dns.name.Name(labels[1:])  # old format: k8s.forge.internal -> forge.internal
    typed = _EXTERNAL_DNS_TYPED.match(labels[1].lower())
    if typed:  # current format: k8s.a-forge.internal -> forge.internal
        yield dns.name.Name((typed.group(2), *labels[2:]))
    typed_first = _EXTERNAL_DNS_TYPED.match(labels[0].lower())
    if typed_first:  # prefix without a dot: a-forge.internal style
        yield dns.name.Name((typed_first.group(2), *labels[1:]))


def _looks_encrypted(text: str) -> bool:
    """An ExternalDNS marker encrypted with --txt-encrypt: base64 of nonce+sealed box."""
    if not _BASE64.match(text):
        return False
    try:
        return len(base64.b64decode(text, validate=True)) >= 28
    except (binascii.Error, ValueError):
        return False


def _may_be_marker(rdata: bytes) -> bool:
    """Whether a TXT RR (RDATA in wire form) may hold a marker: its text
    contains ``heritage=``, or it could be an encrypted ExternalDNS value
    (38+ characters), or it is split into several strings (which could hide
    either). Cheap, and never false for a marker."""
    return b"heritage=" in rdata or len(rdata) >= 39 or rdata[:1] != bytes([len(rdata) - 1])


def analyse(snapshot: ZoneSnapshot, owner: Owner) -> Ownership:
    """Find every claim in the zone: ours, other owners', ExternalDNS, DHCP."""
    prefix = owner.prefix_label
    ours: set[RRsetKey] = set()
    others: dict[RRsetKey, str] = {}
    other_prefix: dict[RRsetKey, tuple[str, str]] = {}
    external: dict[dns.name.Name, dns.name.Name] = {}
    dhcp: set[dns.name.Name] = set()
    markers: set[RRsetKey] = set()
    rdtype = dns.rdatatype.TXT

    def has_data(name: dns.name.Name) -> bool:
        return any(t != dns.rdatatype.TXT for t in snapshot.types_at(name))

    dhcp.update(snapshot.dhcid_names())
    # Markers are found through the snapshot's index: only TXT RRsets that may
    # hold one are decoded, never the rest of the zone.
    for name in snapshot.txt_names():
        if not any(_may_be_marker(raw) for raw in snapshot.raw_rdatas(name, rdtype)):
            continue
        rrset = snapshot.get(name, rdtype)
        assert rrset is not None
        at_our_prefix = bool(name.labels) and name.labels[0].lower() == prefix
        for text in txt_texts(rrset):
            if text.startswith(EXTERNAL_DNS_HERITAGE):
                markers.add((name, rdtype))
                for claimed in _external_dns_claims(name):
                    external.setdefault(claimed, name)
                continue
            mine = NIX_MARKER.match(text)
            if mine:
                markers.add((name, rdtype))
                try:
                    marked_type = dns.rdatatype.from_text(mine.group(2))
                except dns.rdatatype.UnknownRdatatype:
                    continue
                key = (name.parent(), marked_type)
                if at_our_prefix and mine.group(1) == owner.managed_by:
                    ours.add(key)
                elif at_our_prefix:
                    others.setdefault(key, mine.group(1))
                else:
                    # another host with its own prefix: just as foreign
                    label = name.labels[0].decode("ascii", "replace")
                    other_prefix.setdefault(key, (mine.group(1), label))
                continue
            if text.startswith(MARKER_HERITAGE + ","):
                markers.add((name, rdtype))  # a nix marker we cannot map: leave it alone
                continue
            if _looks_encrypted(text):
                hidden = [n for n in _external_dns_claims(name) if has_data(n)]
                if hidden:
                    markers.add((name, rdtype))
                    for n in hidden:
                        external.setdefault(n, name)
    return Ownership(
        ours=frozenset(ours),
        other_owners=others,
        other_prefix=other_prefix,
        external_dns=external,
        dhcp=frozenset(dhcp),
        markers=frozenset(markers),
    )


class Category(StrEnum):
    """Where an RRset came from, for the migration tool (``classify``)."""

    OURS = "ours"
    EXTERNAL_DNS = "external-dns"
    DHCP = "dhcp"
    OTHER_OWNER = "other-owner"
    MARKER = "marker"
    SERVER = "server"
    STATIC_CANDIDATE = "static-candidate"


@dataclass(frozen=True, slots=True)
class Classified:
    rrset: dns.rrset.RRset
    category: Category
    detail: str


def classify(snapshot: ZoneSnapshot, owner: Owner) -> list[Classified]:
    """Sort every RRset of the zone into a category, in canonical name order.

    Markers are reported as MARKER unless they belong to a DHCP name. RRsets
    marked by any nix owner are OURS when ``owner.managed_by`` wrote them,
    else OTHER_OWNER.
    """
    own = analyse(snapshot, owner)
    out: list[Classified] = []
    for key in sorted(snapshot.rrsets, key=lambda k: (k[0], int(k[1]))):
        name, rdtype = key
        rrset = snapshot.rrsets[key]
        if rdtype in SERVER_TYPES:
            out.append(Classified(rrset, Category.SERVER, "maintained by the DNS server"))
        elif name in own.dhcp:
            out.append(Classified(rrset, Category.DHCP, "the name holds a DHCID (Kea DHCP-DDNS)"))
        elif key in own.markers:
            out.append(Classified(rrset, Category.MARKER, "ownership marker"))
        elif key in own.ours:
            out.append(Classified(rrset, Category.OURS, f"managed-by={owner.managed_by}"))
        elif key in own.other_owners:
            out.append(
                Classified(rrset, Category.OTHER_OWNER, f"managed-by={own.other_owners[key]}")
            )
        elif key in own.other_prefix:
            managed_by, prefix = own.other_prefix[key]
            out.append(
                Classified(
                    rrset,
                    Category.OTHER_OWNER,
                    f"managed-by={managed_by} under prefix {prefix!r}",
                )
            )
        elif name in own.external_dns:
            marker = own.external_dns[name]
            out.append(
                Classified(rrset, Category.EXTERNAL_DNS, f"claimed by marker {marker.to_text()}")
            )
        else:
            out.append(Classified(rrset, Category.STATIC_CANDIDATE, "no marker, no DHCID"))
    return out
