"""Who owns what in a zone, read from its records alone (pure, no I/O).

Contract §3: we own an RRset (N, T) only if the TXT RRset at ``<prefix>.N``
holds the exact text ``heritage=nix,managed-by=<id>,type=<T>``. Everything
else is foreign: names with a DHCID (Kea DHCP-DDNS), names claimed by
ExternalDNS registry markers (plain or encrypted; which name a marker claims
follows the configured ExternalDNS layouts, `agent.external_dns`), RRsets
marked by another managed-by id, and hand-made records.

When in doubt a name is *claimed*: a spurious claim only produces a reported
conflict, while a missed claim could let us overwrite another writer.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import dns.name
import dns.rdatatype
import dns.rrset

from agent.errors import InputError
from agent.external_dns import DEFAULT_LAYOUTS, Layout, any_readings, apex_types, readings
from agent.names import Labels, NameMap, name_key, text
from agent.zone_reader import JoinedStrings, ZoneSnapshot
from checker.model import Owner

MARKER_HERITAGE = "heritage=nix"
EXTERNAL_DNS_HERITAGE = "heritage=external-dns"


class JoinedText(str):
    """`txt_texts` of a TXT RR of several character-strings (joined)."""

    __slots__ = ()


class _NixMarker:
    """The contract's marker text, as we write it: ONE character-string.
    ``match`` gives group 1, the managed-by id, and group 2, the type; it
    never matches a text joined from several strings (`JoinedText`,
    `agent.zone_reader.JoinedStrings`): such a TXT RR is hand-made, and
    deleting the one-string RDATA we write would not remove it."""

    _pattern = re.compile(r"^heritage=nix,managed-by=([^,]+),type=([A-Za-z0-9]+)$")

    def match(self, text: str) -> re.Match[str] | None:
        if isinstance(text, JoinedText):
            return None
        return self._pattern.match(text)


NIX_MARKER = _NixMarker()
_BASE64 = re.compile(r"^[A-Za-z0-9+/]{64,}={0,2}$")
# The fewest bytes an ExternalDNS --txt-encrypt value decodes to (its
# endpoint/crypto.go EncryptText): base64 of a 12-byte AES-GCM nonce, the
# sealed gzip of the registry text (gzip's 10-byte header and 8-byte trailer
# around at least 2 bytes of deflate data; the text itself, 42 bytes or more,
# when compression fails) and the 16-byte tag. Shorter base64 (a WireGuard or
# Ed25519 key: 32 bytes) is no registry record.
_ENCRYPTED_MIN_BYTES = 12 + 10 + 2 + 8 + 16
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
# Types (as ints) that are no data at a name: the server's, and TXT where the
# name's TXT RRset is a marker or registry record.
_NOT_DATA = frozenset(int(rdtype) for rdtype in SERVER_TYPES)
_NOT_DATA_TXT = _NOT_DATA | {int(dns.rdatatype.TXT)}


def is_external_dns(text: str) -> bool:
    """Whether a TXT text is an ExternalDNS registry record: ``heritage=external-dns``
    first, as ExternalDNS reads it (quotes around it, as some providers keep
    them, and the case do not matter)."""
    return text.strip().strip('"').lower().startswith(EXTERNAL_DNS_HERITAGE)


def is_heritage(text: str) -> bool:
    """Whether a TXT text is an ownership marker of any writer: ``heritage=``
    first (ExternalDNS's registry records, ours and other owners' under any
    prefix), read as leniently as `is_external_dns`. A TXT RRset holding one
    is foreign to every plan: never adopted, taken over, rewritten or deleted."""
    return text.strip().strip('"').lower().startswith("heritage=")


def marker_text(managed_by: str, rdtype: dns.rdatatype.RdataType) -> str:
    """The exact text of our marker for an RRset of ``rdtype``."""
    return f"heritage=nix,managed-by={managed_by},type={dns.rdatatype.to_text(rdtype)}"


def marker_name(prefix: str, name: dns.name.Name) -> dns.name.Name:
    """``<prefix>.<name>``; for the apex that is ``<prefix>.<zone>``.
    Raises `InputError` when that exceeds 255 octets (the checker's
    ``marker-name-length`` rule reports it first)."""
    try:
        return dns.name.Name((prefix.encode("ascii"), *name.labels))
    except dns.name.NameTooLong:
        raise InputError(
            f"the ownership-marker name {prefix}.{name.to_text()} would exceed 255 octets; "
            "shorten the name or choose a shorter ownerPrefix; nothing was sent"
        ) from None


def txt_texts(rrset: dns.rrset.RRset) -> list[str]:
    """Each TXT RR's strings joined, decoded leniently (markers are ASCII);
    a `JoinedText` where the RR holds several strings."""
    texts = [b"".join(rd.strings).decode("utf-8", "replace") for rd in rrset]
    return [
        JoinedText(text) if len(rd.strings) > 1 else text
        for rd, text in zip(rrset, texts, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class Ownership:
    """Claims found in one snapshot."""

    ours: Collection[RRsetKey]  # RRsets carrying our exact marker
    other_owners: dict[RRsetKey, str]  # RRset -> the other managed-by id (our prefix)
    other_prefix: dict[RRsetKey, tuple[str, str]]  # RRset -> (managed-by id, its prefix)
    # Zone-wide collections, keyed by lower-case labels (`agent.names`): a
    # lookup never hashes a `dns.name.Name`.
    external_dns: Mapping[dns.name.Name, dns.name.Name]  # claimed name -> marker name
    dhcp: Collection[dns.name.Name]  # names holding a DHCID
    markers: Collection[RRsetKey]  # TXT RRsets that hold someone's marker (any heritage=)
    # claimed names whose only claims come from markers fitting no configured layout
    external_dns_guessed: Collection[dns.name.Name] = frozenset()
    # ExternalDNS markers that fit no configured layout (their claims are guesses)
    unfit_markers: tuple[dns.name.Name, ...] = ()
    # apex types such a marker could claim (`external_dns.apex_types`) -> the marker
    external_dns_apex: Mapping[dns.rdatatype.RdataType, dns.name.Name] = field(default_factory=dict)

    def is_ours(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> bool:
        return (name, rdtype) in self.ours


def _looks_encrypted(text: str) -> bool:
    """Whether a TXT text may be an ExternalDNS registry record encrypted with
    --txt-encrypt: standard base64 of at least `_ENCRYPTED_MIN_BYTES` bytes
    (nonce + sealed gzip + tag). Nothing tells such a value from random bytes,
    so any long enough base64 counts (the safe direction)."""
    if not _BASE64.match(text):
        return False
    try:
        return len(base64.b64decode(text, validate=True)) >= _ENCRYPTED_MIN_BYTES
    except (binascii.Error, ValueError):
        return False


def _lower_text(name: dns.name.Name) -> str:
    return text(name, omit_final_dot=True).lower()


class RRsetKeys(Collection[RRsetKey]):
    """A set of (owner name, type), stored by the name's lower-case labels
    (`agent.names.name_key`): membership never hashes a `dns.name.Name`. Of
    equal keys the first is kept."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[RRsetKey] = ()) -> None:
        self._items: dict[tuple[Labels, int], RRsetKey] = {}
        for item in items:
            self.add(item)

    def add(self, item: RRsetKey) -> None:
        self._items.setdefault((name_key(item[0]), int(item[1])), item)

    def __contains__(self, item: object) -> bool:
        if not (isinstance(item, tuple) and len(item) == 2):
            return False
        name, rdtype = item
        return isinstance(name, dns.name.Name) and (name_key(name), int(rdtype)) in self._items

    def __iter__(self) -> Iterator[RRsetKey]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def name_keys(self) -> Iterator[Labels]:
        """The `name_key` of each item's name."""
        return (labels for labels, _ in self._items)


class _ZoneNames:
    """Facts about names given as lower-case text without the final dot (as
    ExternalDNS markers are read), looked up in the snapshot's index on demand
    instead of listing the zone: the names of interest are the names in the
    zone and the desired names; a name holds data if it holds an RRset that is
    no marker, no registry TXT and not the server's. Nothing is computed
    before a marker asks."""

    def __init__(
        self,
        snapshot: ZoneSnapshot,
        desired: Iterable[dns.name.Name],
        registry: Iterable[dns.name.Name],
        markers: RRsetKeys,
    ) -> None:
        self._snapshot = snapshot
        self._desired_names = desired
        self._registry = registry
        self._markers = markers
        self._in_zone: dict[str, dns.name.Name | None] = {}
        self._data: dict[str, bool] = {}
        self._wildcards: bool | None = None

    @functools.cached_property
    def _desired(self) -> dict[str, dns.name.Name]:
        return {_lower_text(name): name for name in self._desired_names}

    @functools.cached_property
    def _not_data(self) -> set[Labels]:
        """Names (lower-case labels) whose TXT RRset is a marker or a registry
        record: no data."""
        names = {name_key(name) for name in self._registry}
        names.update(self._markers.name_keys())
        return names

    def _zone_name(self, text: str) -> dns.name.Name | None:
        if text in self._in_zone:
            return self._in_zone[text]
        name = self._in_zone[text] = self._snapshot.lookup(text)
        return name

    def get(self, text: str) -> dns.name.Name | None:
        """The name of interest spelt `text`, if there is one."""
        return self._zone_name(text) or self._desired.get(text)

    def with_data(self, text: str) -> bool:
        found = self._data.get(text)
        if found is None:
            found = self._data[text] = self._holds_data(text)
        return found

    def _holds_data(self, text: str) -> bool:
        key = self._snapshot.key_of(text)  # (no name built: most texts are asked once)
        if key is None:
            return False
        no_data = _NOT_DATA_TXT if key in self._not_data else _NOT_DATA
        return self._snapshot.holds_types_besides(key, no_data)

    def wildcards(self) -> bool:
        """Whether any name of interest is a wildcard."""
        if self._wildcards is None:
            self._wildcards = self._snapshot.has_wildcards() or any(
                text.startswith("*") for text in self._desired
            )
        return self._wildcards


@dataclass
class _ExternalDnsClaims:
    """Collects the names ExternalDNS markers claim (mutable, local to `analyse`)."""

    zone: str
    layouts: tuple[Layout, ...]
    names: _ZoneNames
    # claimed name (its `key`) -> (the name, the marker claiming it)
    claims: dict[Labels, tuple[dns.name.Name, dns.name.Name]] = field(default_factory=dict)
    guessed: set[Labels] = field(default_factory=set)  # claimed only by unfit markers
    unfit: list[dns.name.Name] = field(default_factory=list)
    # the names whose claims are kept (lower-case text, no final dot); None: every name
    scope: set[str] | None = None

    def fitting(self, marker_text: str) -> set[str]:
        """Names the marker claims under the configured layouts; empty if it
        fits none (no reading names a name that holds data)."""
        found: set[str] = set()
        fits = False
        for layout in self.layouts:
            names = {name for name, _ in readings(layout, marker_text, self.zone)}
            if any(self.names.with_data(n) for n in names):
                fits = True
                found |= names
        return found if fits else set()

    def add(self, marker: dns.name.Name, data_only: bool = False) -> bool:
        """Record the claims of the marker at `marker`; True if it claims any name."""
        text = _lower_text(marker)
        names = self.fitting(text)
        guessed = not names
        if guessed:
            names = any_readings(text, self.zone, self.names.wildcards())
        if data_only and not any(self.names.with_data(n) for n in names):
            return False
        if guessed:
            self.unfit.append(marker)
        scope = self.scope
        if scope is not None and scope.isdisjoint(names):
            return True  # (most markers of a large zone claim no name a plan decides on)
        hits = [
            name
            for n in sorted(names)
            if (scope is None or n in scope)
            and (name := self.names.get(n)) is not None
            and (not data_only or self.names.with_data(n))
        ]
        for name in hits:
            labels = name_key(name)
            if labels not in self.claims:
                self.claims[labels] = (name, marker)
                if guessed:
                    self.guessed.add(labels)
            elif not guessed:
                self.guessed.discard(labels)
        return True


def analyse(
    snapshot: ZoneSnapshot,
    owner: Owner,
    layouts: Sequence[Layout] = DEFAULT_LAYOUTS,
    desired_names: Iterable[dns.name.Name] = (),
    *,
    planned_names_only: bool = False,
    declared_texts: Mapping[dns.name.Name, Collection[bytes]] | None = None,
) -> Ownership:
    """Find every claim in the zone: ours, other owners', ExternalDNS, DHCP.

    `layouts` are the ExternalDNS registry layouts configured for the zone;
    `desired_names` are names the caller may write (they can be claimed by a
    marker although nothing is there yet). Time grows with the markers in the
    zone and the names they may claim, not with the zone: DHCID names, TXT
    RRsets and the types at a name come from the snapshot's index.

    With `planned_names_only` (a plan), ExternalDNS claims are kept for the
    desired names and the names of RRsets we own only: every marker is still
    read and tested against the layouts (`unfit_markers` is zone-wide), but
    asking `external_dns` or `external_dns_guessed` about any other name
    raises `LookupError` instead of answering "not claimed".

    `declared_texts` maps a name to the TXT texts (character-strings joined)
    the document declares there: such a text is the user's data (a key, a
    token), never an encrypted registry record, however it looks. Any other
    text that looks encrypted still claims its name, also inside a TXT RRset
    we own: an ExternalDNS of the legacy layout adds its registry record to
    the TXT RRset at the name itself, and only the declaration tells the two
    apart (a text we wrote once and no longer declare cannot be told from
    one, so it is left alone as a claim).
    """
    declared = declared_texts or {}
    prefix = owner.prefix_label.lower()
    ours = RRsetKeys()
    others: dict[RRsetKey, str] = {}
    other_prefix: dict[RRsetKey, tuple[str, str]] = {}
    markers = RRsetKeys()
    heritage: list[dns.name.Name] = []
    encrypted: list[dns.name.Name] = []
    rdtype = dns.rdatatype.TXT

    dhcp = snapshot.dhcid_names()
    # Markers are found through the snapshot's index: the texts of the TXT
    # RRsets are read from it, nothing else of the zone is decoded.
    for name, datas in snapshot.txt_owners():
        at_our_prefix = bool(name.labels) and name.labels[0].lower() == prefix
        for data in datas:
            text = data.decode("utf-8", "replace")
            if is_external_dns(text):
                markers.add((name, rdtype))
                if not heritage or heritage[-1] is not name:  # (each name comes once)
                    heritage.append(name)
                continue
            mine = None if isinstance(data, JoinedStrings) else NIX_MARKER.match(text)
            if mine:
                markers.add((name, rdtype))
                try:
                    marked_type = dns.rdatatype.from_text(mine.group(2))
                except dns.rdatatype.UnknownRdatatype:
                    continue
                # the marked name: one label up (`Name.parent` less its two name compares)
                marked = (dns.name.Name(name.labels[1:]), marked_type)
                if at_our_prefix and mine.group(1) == owner.managed_by:
                    ours.add(marked)
                elif at_our_prefix:
                    others.setdefault(marked, mine.group(1))
                else:
                    # another host with its own prefix: just as foreign
                    label = name.labels[0].decode("ascii", "replace")
                    other_prefix.setdefault(marked, (mine.group(1), label))
                continue
            if is_heritage(text):
                markers.add((name, rdtype))  # a marker we cannot map: leave it alone
                continue
            if (
                _looks_encrypted(text)
                and (not encrypted or encrypted[-1] is not name)
                and bytes(data) not in declared.get(name, ())
            ):
                encrypted.append(name)

    desired_names = list(desired_names)
    names = _ZoneNames(snapshot, desired_names, [*heritage, *encrypted], markers)
    scope: set[Labels] | None = None
    texts: set[str] | None = None
    if planned_names_only:
        planned = [*desired_names, *(name for name, _ in ours)]
        scope, texts = {name_key(name) for name in planned}, {_lower_text(name) for name in planned}
    external = _ExternalDnsClaims(_lower_text(snapshot.origin), tuple(layouts), names, scope=texts)
    if heritage or encrypted:
        for marker in heritage:
            external.add(marker)
        for marker in encrypted:
            if external.add(marker, data_only=True):
                markers.add((marker, dns.rdatatype.TXT))
    apex: dict[dns.rdatatype.RdataType, dns.name.Name] = {}
    zone_text = _lower_text(snapshot.origin)
    for marker in external.unfit:
        for token in sorted(apex_types(_lower_text(marker), zone_text)):
            apex.setdefault(dns.rdatatype.from_text(token), marker)
    return Ownership(
        external_dns_apex=apex,
        ours=ours,
        other_owners=others,
        other_prefix=other_prefix,
        external_dns=NameMap.keyed(external.claims, scope),
        external_dns_guessed=NameMap.keyed(
            {labels: (external.claims[labels][0], None) for labels in external.guessed}, scope
        ),
        unfit_markers=tuple(external.unfit),
        dhcp=dhcp,
        markers=markers,
    )


def layout_hint(own: Ownership, layouts: Sequence[Layout]) -> str | None:
    """One line about ExternalDNS markers that fit no configured layout, or None."""
    if not own.unfit_markers:
        return None
    shown = ", ".join(m.to_text() for m in own.unfit_markers[:3])
    more = f" and {len(own.unfit_markers) - 3} more" if len(own.unfit_markers) > 3 else ""
    configured = "; ".join(layout.describe() for layout in layouts) or "none"
    return (
        f"{len(own.unfit_markers)} ExternalDNS marker(s) fit no configured ExternalDNS layout "
        f"({configured}): {shown}{more}; each is taken to claim every name below the apex "
        "it could stand for, and at the apex the RRsets of the types it could name (a type "
        "token such as a- names one; none: every type ExternalDNS writes). Configure the "
        "layout ExternalDNS runs with (its --txt-prefix, --txt-suffix, "
        "--txt-wildcard-replacement) in the document's externalDns.layouts "
        "(NixOS: services.dnsStaticRecords.externalDns.layouts)"
    )


def external_dns_marker(own: Ownership, name: dns.name.Name) -> str:
    """``marker <name>`` of the marker claiming `name`, saying so when the claim
    is the fail-safe guess of a marker that fits no configured layout."""
    marker = own.external_dns[name].to_text()
    if name in own.external_dns_guessed:
        return (
            f"marker {marker}, which fits no configured ExternalDNS layout and so is taken "
            "to claim every name it could stand for; configure externalDns.layouts"
        )
    return f"marker {marker}"


def external_dns_apex_marker(own: Ownership, rdtype: dns.rdatatype.RdataType) -> str:
    """``marker <name>, ...`` of the marker that may claim the apex RRset of
    `rdtype` (`Ownership.external_dns_apex`), saying why."""
    marker = own.external_dns_apex[rdtype].to_text()
    return (
        f"marker {marker}, which fits no configured ExternalDNS layout and could stand for "
        f"the zone apex {dns.rdatatype.to_text(rdtype)} (an ExternalDNS prefix ending in a dot); "
        "configure externalDns.layouts"
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


def classify(
    snapshot: ZoneSnapshot, owner: Owner, layouts: Sequence[Layout] = DEFAULT_LAYOUTS
) -> list[Classified]:
    """Sort every RRset of the zone into a category, in canonical name order.

    Markers are reported as MARKER unless they belong to a DHCP name. RRsets
    marked by any nix owner are OURS when ``owner.managed_by`` wrote them,
    else OTHER_OWNER.
    """
    own = analyse(snapshot, owner, layouts)
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
            detail = f"claimed by {external_dns_marker(own, name)}"
            out.append(Classified(rrset, Category.EXTERNAL_DNS, detail))
        elif name == snapshot.origin and rdtype in own.external_dns_apex:
            detail = f"claimed by {external_dns_apex_marker(own, rdtype)}"
            out.append(Classified(rrset, Category.EXTERNAL_DNS, detail))
        else:
            out.append(Classified(rrset, Category.STATIC_CANDIDATE, "no marker, no DHCID"))
    return out
