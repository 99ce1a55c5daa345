"""The migration tool's output (``dns-static-agent classify``, seed "Pre-Migration").

Every RRset of a zone is sorted into one category:

* ``ours`` -- marked under our owner prefix by a ``heritage=nix`` marker
  (any managed-by id unless one is given; the id is shown), and those markers;
* ``other-owner`` -- marked by another owner: another managed-by id under our
  prefix (when our id is given), or a contract-format nix marker under
  another prefix; and those markers;
* ``external-dns`` -- names claimed by ExternalDNS markers under the
  configured layouts (or, for a marker that fits none, every name below the
  apex it could stand for and the apex RRsets of the types it could name),
  encrypted values included, and the markers themselves;
* ``dhcp`` -- every RRset of a name that holds a DHCID, the DHCID included,
  and (with ``--kea-config``) the unmarked RRsets Kea's reservations let it
  write: at reserved names, PTRs pointing at a reserved host name, and
  A/AAAA holding the address of a reservation without a hostname;
* ``server`` -- SOA and DNSSEC types the server maintains;
* ``marker-name`` -- unmarked records at an ownership-marker name
  (``<prefix>.<name>``): never declarable (the checker's marker-collision),
  listed apart so the user renames them by hand;
* ``static-candidate`` -- everything else (the apex NS included): what a
  user reviews and pastes into the Nix configuration.

The marker parsing is `agent.ownership`'s; this module only regroups its
result for people and renders it as text, JSON or a Nix ``zones`` snippet in
dns.nix's shape (contract §8), which ``nix/lib.nix``'s ``render`` turns back
into the same records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import dns.name
import dns.rdata
import dns.rdatatype
import dns.rdtypes.ANY.CAA
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.MX
import dns.rdtypes.ANY.NS
import dns.rdtypes.ANY.PTR
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.rdtypes.IN.SRV
import dns.rrset

from agent.external_dns import DEFAULT_LAYOUTS, Layout
from agent.kea_config import KeaReserved
from agent.ownership import (
    MARKER_HERITAGE,
    NIX_MARKER,
    Category,
    analyse,
    classify,
    is_external_dns,
    layout_hint,
    txt_texts,
)
from agent.zone_reader import ZoneSnapshot
from checker.model import Owner

Format = Literal["text", "json", "nix"]
FORMATS: tuple[Format, ...] = ("text", "json", "nix")


class Apart(StrEnum):
    """Sections `classify` adds to `agent.ownership.Category`."""

    MARKER_NAME = "marker-name"  # unmarked data at an ownership-marker name


Section = Category | Apart

#: Section order of the text output: what needs review comes last, nearest the prompt.
SECTION_ORDER: tuple[Section, ...] = (
    Category.SERVER,
    Category.OURS,
    Category.OTHER_OWNER,
    Category.EXTERNAL_DNS,
    Category.DHCP,
    Apart.MARKER_NAME,
    Category.STATIC_CANDIDATE,
)
SECTION_TITLES: dict[Section, str] = {
    Category.SERVER: "server-managed (never managed by the agent)",
    Category.OURS: "ours (marked under the owner prefix)",
    Category.OTHER_OWNER: "other owners (nix markers of another id or prefix)",
    Category.EXTERNAL_DNS: "ExternalDNS (claimed by registry TXT markers)",
    Category.DHCP: "DHCP (names with a DHCID, or reserved in the Kea configuration)",
    Apart.MARKER_NAME: "at ownership-marker names (not declarable: rename them by hand)",
    Category.STATIC_CANDIDATE: "static candidates (no marker, no DHCID: review, then add to Nix)",
}

#: Types the agent manages, in the order the Nix snippet lists them.
NIX_TYPES: tuple[dns.rdatatype.RdataType, ...] = (
    dns.rdatatype.A,
    dns.rdatatype.AAAA,
    dns.rdatatype.CNAME,
    dns.rdatatype.NS,
    dns.rdatatype.PTR,
    dns.rdatatype.TXT,
    dns.rdatatype.MX,
    dns.rdatatype.SRV,
    dns.rdatatype.CAA,
)
DEFAULT_TTL = 300

# Never matches a managed-by id (the marker grammar needs at least one character).
_ANY_ID = ""


@dataclass(frozen=True, slots=True)
class Entry:
    """One classified RRset."""

    rrset: dns.rrset.RRset
    category: Section
    detail: str

    @property
    def name(self) -> dns.name.Name:
        return self.rrset.name

    @property
    def rdtype(self) -> dns.rdatatype.RdataType:
        return self.rrset.rdtype


def classify_snapshot(
    snapshot: ZoneSnapshot,
    owner_prefix: str,
    managed_by: str | None = None,
    reserved: KeaReserved | None = None,
    layouts: Sequence[Layout] = DEFAULT_LAYOUTS,
) -> list[Entry]:
    """Every RRset of `snapshot` with its category and a detail, in canonical
    name order. Markers are filed under the owner they speak for.

    Without `managed_by` every nix marker under `owner_prefix` counts as ours
    (the detail names its managed-by id); with it, other ids are other owners.
    `reserved` (from `agent.kea_config`) files the unmarked RRsets a DHCP
    server's reservations let it write under DHCP (`KeaReserved.claim`).
    Unmarked RRsets left at a marker name (``<owner_prefix>.<name>``) are
    `Apart.MARKER_NAME`: a declaration there fails the checker
    (marker-collision), and the agent's markers would clobber them.
    """
    owner = Owner(prefix=owner_prefix.lower(), managed_by=managed_by or _ANY_ID)
    ownership = analyse(snapshot, owner, layouts)
    prefix = owner.prefix_label.lower()
    unfit = frozenset(ownership.unfit_markers)
    claims_by_marker: dict[dns.name.Name, list[dns.name.Name]] = {}
    for claimed, marker in ownership.external_dns.items():
        claims_by_marker.setdefault(marker, []).append(claimed)

    entries: list[Entry] = []
    for item in classify(snapshot, owner, layouts):
        rrset = item.rrset
        key = (rrset.name, rrset.rdtype)
        category: Section = item.category
        detail = item.detail
        if (
            category == Category.OTHER_OWNER
            and managed_by is None
            and key in ownership.other_owners
        ):
            category = Category.OURS
        elif category == Category.MARKER:
            category, detail = _marker_category(
                rrset, prefix, managed_by, claims_by_marker.get(rrset.name, []), snapshot
            )
            if rrset.name in unfit:
                detail += " (fits no configured ExternalDNS layout: a fail-safe guess)"
        elif category == Category.STATIC_CANDIDATE:
            claim = reserved.claim(rrset) if reserved is not None else None
            if claim is not None:
                category, detail = Category.DHCP, claim
            elif _at_marker_name(rrset.name, snapshot.origin, prefix):
                category = Apart.MARKER_NAME
                detail = (
                    f"unmarked data at the ownership-marker name of "
                    f"{rrset.name.parent().to_text()}: declaring it fails the checker "
                    f"(marker-collision); rename it so its first label is not "
                    f"{prefix.decode('ascii', 'replace')!r}"
                )
        entries.append(Entry(rrset, category, detail))
    return entries


def _at_marker_name(name: dns.name.Name, origin: dns.name.Name, prefix: bytes) -> bool:
    """Whether `name` is ``<prefix>.<something>`` (contract §3), the apex excluded."""
    return name != origin and len(name) > 1 and name.labels[0].lower() == prefix


def _marker_category(
    rrset: dns.rrset.RRset,
    prefix: bytes,
    managed_by: str | None,
    claimed: list[dns.name.Name],
    snapshot: ZoneSnapshot,
) -> tuple[Category, str]:
    texts = txt_texts(rrset)
    if any(is_external_dns(text) for text in texts) or not any(
        text.startswith(MARKER_HERITAGE + ",") for text in texts
    ):
        kind = "" if any(is_external_dns(t) for t in texts) else "encrypted "
        # the marker's name is read both ways (old and current format); show the
        # readings that name existing data, if any
        with_data = snapshot.names()
        shown = [n for n in claimed if n in with_data] or claimed
        names = ", ".join(n.to_text() for n in sorted(shown)) or "no name with data"
        return Category.EXTERNAL_DNS, f"{kind}ExternalDNS marker, claims {names}"
    at_our_prefix = len(rrset.name) > 1 and rrset.name.labels[0].lower() == prefix
    parts: list[str] = []
    ids: set[str] = set()
    for text in texts:
        match = NIX_MARKER.match(text)
        if match is None:
            if text.startswith(MARKER_HERITAGE + ","):
                parts.append(f"{text!r} is not in the contract format and claims nothing")
            continue
        ids.add(match.group(1))
        target = rrset.name.parent()
        try:
            present = snapshot.get(target, dns.rdatatype.from_text(match.group(2))) is not None
        except dns.rdatatype.UnknownRdatatype:
            present = False
        parts.append(
            f"marks {target.to_text()} {match.group(2).upper()} for managed-by={match.group(1)}"
            + ("" if present else " (that RRset is absent: orphan marker)")
        )
    detail = "marker: " + "; ".join(parts)
    if not at_our_prefix:
        return Category.OTHER_OWNER, detail
    if managed_by is not None and ids and managed_by not in ids:
        return Category.OTHER_OWNER, detail
    return Category.OURS, detail


# -- rendering ----------------------------------------------------------------------


def render_classification(
    snapshot: ZoneSnapshot,
    owner_prefix: str,
    fmt: Format,
    *,
    managed_by: str | None = None,
    default_ttl: int = DEFAULT_TTL,
    reserved: KeaReserved | None = None,
    layouts: Sequence[Layout] = DEFAULT_LAYOUTS,
) -> str:
    """The classification of `snapshot` as ``text`` (sections with counts),
    ``json`` (a list of ``{name, type, ttl, data, category, detail}``) or
    ``nix`` (the static candidates as a dns.nix-shaped zone for
    ``services.dnsStaticRecords.zones."<zone>"``; TTLs equal to
    `default_ttl` are left out). `reserved` as for `classify_snapshot`;
    `layouts` are ExternalDNS's registry layouts (`agent.external_dns`)."""
    entries = classify_snapshot(snapshot, owner_prefix, managed_by, reserved, layouts)
    if fmt == "text":
        hint = classification_hint(snapshot, owner_prefix, layouts)
        text = _render_text(snapshot, owner_prefix.lower(), entries)
        return text + (f"note: {hint}\n" if hint else "")
    if fmt == "json":
        return _render_json(entries)
    if fmt == "nix":
        return render_nix(
            snapshot,
            [e for e in entries if e.category == Category.STATIC_CANDIDATE],
            default_ttl,
            apart=[e for e in entries if e.category == Apart.MARKER_NAME],
        )
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def classification_hint(
    snapshot: ZoneSnapshot, owner_prefix: str, layouts: Sequence[Layout] = DEFAULT_LAYOUTS
) -> str | None:
    """The hint to configure the ExternalDNS layout, when markers fit none."""
    own = analyse(snapshot, Owner(prefix=owner_prefix.lower(), managed_by=_ANY_ID), layouts)
    return layout_hint(own, layouts)


def _rdata_texts(rrset: dns.rrset.RRset) -> list[str]:
    return [rdata.to_text() for rdata in sorted(rrset)]


def _render_text(snapshot: ZoneSnapshot, owner_prefix: str, entries: Sequence[Entry]) -> str:
    zone = snapshot.origin.to_text()
    records = sum(len(e.rrset) for e in entries)
    lines = [
        f"zone {zone} serial {snapshot.serial}: {len(entries)} RRsets, {records} records "
        f"(owner prefix {owner_prefix!r})"
    ]
    counts: dict[Section, int] = {}
    for category in SECTION_ORDER:
        section = [e for e in entries if e.category == category]
        counts[category] = len(section)
        lines.append("")
        lines.append(f"== {SECTION_TITLES[category]}: {len(section)} RRsets")
        rows: list[tuple[str, str, str, str, str]] = []
        for entry in section:
            rdatas = _rdata_texts(entry.rrset)
            for index, text in enumerate(rdatas):
                first = index == 0
                rows.append(
                    (
                        entry.name.to_text() if first else "",
                        str(entry.rrset.ttl) if first else "",
                        dns.rdatatype.to_text(entry.rdtype) if first else "",
                        text,
                        entry.detail if first and category != Category.STATIC_CANDIDATE else "",
                    )
                )
        if not rows:
            lines.append("  (none)")
            continue
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            cells = [row[i].ljust(widths[i]) for i in range(4)]
            line = "  " + "  ".join(cells)
            if row[4]:
                line += "  ; " + row[4]
            lines.append(line.rstrip())
    lines.append("")
    lines.append("summary: " + ", ".join(f"{counts[c]} {c.value}" for c in reversed(SECTION_ORDER)))
    return "\n".join(lines) + "\n"


def _render_json(entries: Sequence[Entry]) -> str:
    out = [
        {
            "name": entry.name.to_text(),
            "type": dns.rdatatype.to_text(entry.rdtype),
            "ttl": entry.rrset.ttl,
            "data": _rdata_texts(entry.rrset),
            "category": entry.category.value,
            "detail": entry.detail,
        }
        for entry in entries
    ]
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


# -- Nix snippet --------------------------------------------------------------------


def nix_string(text: str) -> str:
    """A Nix double-quoted string literal holding exactly `text`."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("${", "\\${")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


_NIX_KEYWORDS = frozenset(
    {"if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"}
)
_NIX_IDENT = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_'-]*$")


def nix_attr(key: str) -> str:
    """An attribute name as a Nix user writes it: bare when possible."""
    if _NIX_IDENT.match(key) and key not in _NIX_KEYWORDS:
        return key
    return nix_string(key)


def _nix_value(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return nix_string(value)


def _attrs(fields: Iterable[tuple[str, str | int | bool]]) -> str:
    return "{ " + " ".join(f"{nix_attr(k)} = {_nix_value(v)};" for k, v in fields) + " }"


@dataclass
class _Item:
    """One list item of a node, as Nix source."""

    rdtype: dns.rdatatype.RdataType
    source: str
    sort_key: tuple[str, ...]


@dataclass
class _Node:
    items: list[_Item]
    comments: list[str]


def _utf8(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def _canonical_txt_split(strings: Sequence[bytes]) -> bool:
    """Whether `strings` are split as lib.nix's escapeTxt splits their join."""
    joined = b"".join(strings)
    if not joined:
        return len(strings) == 1
    expected = [joined[i : i + 255] for i in range(0, len(joined), 255)]
    return list(strings) == expected


def _name_text(name: dns.name.Name) -> str:
    return name.to_text()


def _item_fields(
    rdata: dns.rdata.Rdata,
) -> tuple[str | None, list[tuple[str, str | int | bool]] | None, str | None]:
    """(string form, attrset fields, note) for one RR; string form None when
    the type has none, fields None when the attrset form cannot say it."""
    if isinstance(rdata, dns.rdtypes.IN.A.A | dns.rdtypes.IN.AAAA.AAAA):
        return rdata.address, [("address", rdata.address)], None
    if isinstance(rdata, dns.rdtypes.ANY.CNAME.CNAME):
        target = _name_text(rdata.target)
        return target, [("cname", target)], None
    if isinstance(rdata, dns.rdtypes.ANY.NS.NS):
        target = _name_text(rdata.target)
        return target, [("nsdname", target)], None
    if isinstance(rdata, dns.rdtypes.ANY.PTR.PTR):
        target = _name_text(rdata.target)
        return target, [("ptrdname", target)], None
    if isinstance(rdata, dns.rdtypes.ANY.TXT.TXT):
        text = _utf8(b"".join(rdata.strings))
        if text is None:
            return None, None, "not UTF-8 text, or holds NUL"
        note = None
        if not _canonical_txt_split(rdata.strings):
            note = (
                f"TXT {rdata.to_text()} is split into strings differently from how the "
                "renderer splits the joined text; adopting it will report a difference"
            )
        return text, [("data", text)], note
    if isinstance(rdata, dns.rdtypes.ANY.MX.MX):
        return (
            None,
            [("preference", rdata.preference), ("exchange", _name_text(rdata.exchange))],
            None,
        )
    if isinstance(rdata, dns.rdtypes.ANY.CAA.CAA):
        tag = _utf8(rdata.tag)
        value = _utf8(rdata.value)
        if tag is None or value is None or rdata.flags not in (0, 128):
            return None, None, None  # raw RDATA string
        return None, [("issuerCritical", rdata.flags == 128), ("tag", tag), ("value", value)], None
    return None, None, None


def _srv_split(name: dns.name.Name, origin: dns.name.Name) -> tuple[dns.name.Name, str, str] | None:
    """(node, service, proto) for an SRV owner ``_service._proto.<node>``."""
    relative = name.relativize(origin)
    labels = relative.labels
    if len(labels) < 2 or not (labels[0].startswith(b"_") and labels[1].startswith(b"_")):
        return None
    service = _utf8(labels[0][1:])
    proto = _utf8(labels[1][1:])
    if not service or not proto or not all(_NIX_IDENT_LABEL.match(x) for x in (service, proto)):
        return None
    return dns.name.Name(labels[2:]).derelativize(origin), service, proto


_NIX_IDENT_LABEL = re.compile(r"^[A-Za-z0-9-]+$")


def _node_key(name: dns.name.Name, origin: dns.name.Name) -> str:
    relative = name.relativize(origin)
    return "@" if relative == dns.name.empty else relative.to_text()


def render_nix(
    snapshot: ZoneSnapshot,
    entries: Sequence[Entry],
    default_ttl: int = DEFAULT_TTL,
    apart: Sequence[Entry] = (),
) -> str:
    """The RRsets of `entries` as a dns.nix-shaped zone (without SOA): apex
    records at the top, every other name under ``subdomains`` with its name
    relative to the zone as key, targets absolute. Types the agent does not
    manage, data Nix cannot express, and the RRsets of `apart` (with their
    detail) are listed as comments."""
    origin = snapshot.origin
    nodes: dict[dns.name.Name, _Node] = {}
    unsupported: list[str] = []

    def node(name: dns.name.Name) -> _Node:
        return nodes.setdefault(name, _Node([], []))

    for entry in entries:
        rrset = entry.rrset
        rdtype = rrset.rdtype
        if rdtype not in NIX_TYPES:
            unsupported.extend(
                f"{rrset.name.to_text()} {rrset.ttl} {dns.rdatatype.to_text(rdtype)} {text}"
                for text in _rdata_texts(rrset)
            )
            continue
        owner = rrset.name
        srv: tuple[dns.name.Name, str, str] | None = None
        if rdtype == dns.rdatatype.SRV:
            srv = _srv_split(owner, origin)
        for rdata in sorted(rrset):
            ttl_fields: list[tuple[str, str | int | bool]] = (
                [] if rrset.ttl == default_ttl else [("ttl", rrset.ttl)]
            )
            key = (dns.rdatatype.to_text(rdtype), rdata.to_text())
            if isinstance(rdata, dns.rdtypes.IN.SRV.SRV) and srv is not None:
                where, service, proto = srv
                fields: list[tuple[str, str | int | bool]] = [
                    ("service", service),
                    ("proto", proto),
                    ("priority", rdata.priority),
                    ("weight", rdata.weight),
                    ("port", rdata.port),
                    ("target", _name_text(rdata.target)),
                ]
                node(where).items.append(
                    _Item(rdtype, _attrs(fields + ttl_fields), (service, proto, *key))
                )
                continue
            string, attr_fields, note = _item_fields(rdata)
            if string is None and attr_fields is None and rdtype == dns.rdatatype.TXT:
                unsupported.append(f"{owner.to_text()} {rrset.ttl} TXT {rdata.to_text()} ({note})")
                continue
            target = node(owner)
            if note is not None:
                target.comments.append(note)
            if string is None and attr_fields is None:
                # raw RDATA string (MX/SRV/CAA have no dns.nix string form; render passes it on)
                if ttl_fields:
                    target.comments.append(
                        f"{dns.rdatatype.to_text(rdtype)} {rdata.to_text()} has TTL {rrset.ttl}: "
                        "a raw RDATA string cannot carry a TTL, set the node's ttl by hand"
                    )
                target.items.append(_Item(rdtype, nix_string(rdata.to_text()), ("", "", *key)))
                continue
            if string is not None and not ttl_fields:
                source = nix_string(string)
            else:
                assert attr_fields is not None
                source = _attrs(attr_fields + ttl_fields)
            target.items.append(_Item(rdtype, source, ("", "", *key)))

    zone = origin.to_text(omit_final_dot=True)
    count = len(entries)
    out = [
        f"# static candidates of zone {zone} (serial {snapshot.serial}): {count} RRsets.",
        f"# Review, then paste as services.dnsStaticRecords.zones.{nix_string(zone)}.",
        f"# TTLs of {default_ttl} s (the render default) are left out.",
    ]
    if unsupported:
        out.append("# Not managed by the agent (keep them by hand):")
        out.extend(f"#   {line}" for line in unsupported)
    if apart:
        out.append("# Left out, not declarable as they are:")
        for entry in apart:
            out.extend(
                f"#   {entry.name.to_text()} {entry.rrset.ttl} "
                f"{dns.rdatatype.to_text(entry.rdtype)} {text}"
                for text in _rdata_texts(entry.rrset)
            )
            out.append(f"#     ({entry.detail})")
    apex = nodes.pop(origin, None)
    out.append("{")
    if apex is not None:
        out.extend(_node_body(apex, "  "))
    if nodes:
        out.append("  subdomains = {")
        for name in sorted(nodes):
            child = nodes[name]
            attr = nix_attr(_node_key(name, origin))
            types = _types_in_order(child)
            if len(types) == 1 and not child.comments:
                out.append(f"    {attr}.{_list_line(types[0], child, '    ')[0]}")
                out.extend(_list_line(types[0], child, "    ")[1:])
                continue
            out.append(f"    {attr} = {{")
            out.extend(_node_body(child, "      "))
            out.append("    };")
        out.append("  };")
    out.append("}")
    return "\n".join(out) + "\n"


def _types_in_order(node: _Node) -> list[dns.rdatatype.RdataType]:
    present = {item.rdtype for item in node.items}
    return [t for t in NIX_TYPES if t in present]


def _list_line(rdtype: dns.rdatatype.RdataType, node: _Node, indent: str) -> list[str]:
    """``TYPE = [ ... ];`` inline when short, else one item per line."""
    items = sorted((i for i in node.items if i.rdtype == rdtype), key=lambda i: i.sort_key)
    name = dns.rdatatype.to_text(rdtype)
    inline = f"{name} = [ " + " ".join(i.source for i in items) + " ];"
    if len(indent) + len(inline) <= 100:
        return [inline]
    return [f"{name} = ["] + [f"{indent}  {i.source}" for i in items] + [f"{indent}];"]


def _node_body(node: _Node, indent: str) -> list[str]:
    lines = [f"{indent}# note: {comment}" for comment in node.comments]
    for rdtype in _types_in_order(node):
        rendered = _list_line(rdtype, node, indent)
        lines.append(indent + rendered[0])
        lines.extend(rendered[1:])
    return lines
