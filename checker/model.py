"""The record model: a desired document normalised into frozen records.

Normalising happens once, here: owners absolute and lower-case, TTLs filled
in, RDATA parsed. Records that cannot be normalised become problems instead
(never exceptions), so every mistake in a document is reported in one run.
The agent imports this model.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from checker.document import DocumentJSON
from checker.frozen import frozen_delattr, frozen_setattr, slot_setter
from checker.names import (
    MAX_LABEL,
    MAX_NAME,
    DomainName,
    NameSyntaxError,
    ParsedName,
    _NameDraft,
    _ParsedDraft,
    new_name,
    parse_absolute,
    parse_name,
)
from checker.problems import Location, Problem, Severity
from checker.rdata import (
    NAME_TYPES,
    T_A,
    T_AAAA,
    T_TXT,
    V6_FLAG,
    Address,
    Rdata,
    RdataError,
    RType,
    Target,
    _AddressDraft,
    _TargetDraft,
    is_unquoted_txt,
    parse_rdata,
)

DEFAULT_TTL = 300
MAX_TTL = 2**31 - 1
# managed-by ends up inside the marker text "heritage=nix,managed-by=<id>,type=<T>".
_OWNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
_FIELDS = frozenset({"name", "type", "data", "ttl", "source"})
_TYPES = {t.value: t for t in RType}
# TXT data that is only quoted strings (the common case: nothing to warn about).
_QUOTED_TXT = re.compile(r'[ \t]*"(?:[^"\\]|\\.)*"(?:[ \t]+"(?:[^"\\]|\\.)*")*[ \t]*')
# A relative name of plain labels: letters, digits, "-", "_" and "/".
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_/-]+(?:\.[A-Za-z0-9_/-]+)*")
_HEX_COLON = re.compile(r"[0-9A-Fa-f:]+").fullmatch
_AF_INET, _AF_INET6 = socket.AF_INET, socket.AF_INET6
_PREFIX = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")


@dataclass(frozen=True, slots=True)
class Owner:
    """Who writes the records: marker prefix and the managed-by id."""

    prefix: str
    managed_by: str

    @property
    def prefix_label(self) -> bytes:
        return self.prefix.encode("ascii")


_RECORD_FIELDS = (
    "zone",
    "owner",
    "rtype",
    "ttl",
    "rdata",
    "source",
    "document",
    "managed_by",
    "written_name",
    "written_data",
)


class _RecordFields:
    __slots__ = _RECORD_FIELDS

    zone: DomainName
    owner: DomainName
    rtype: RType
    ttl: int
    rdata: Rdata
    source: str
    document: str
    managed_by: str
    written_name: str
    written_data: str


class _RecordDraft(_RecordFields):
    """A Record under construction (see :mod:`checker.frozen`)."""

    __slots__ = ()


class Record(_RecordFields):
    """One desired resource record, normalised.

    Immutable (a frozen plain class rather than a frozen dataclass: a large
    document makes hundreds of thousands of them, see :mod:`checker.frozen`)."""

    __slots__ = ()

    __setattr__ = frozen_setattr
    __delattr__ = frozen_delattr

    def __init__(
        self,
        zone: DomainName,
        owner: DomainName,
        rtype: RType,
        ttl: int,
        rdata: Rdata,
        source: str,
        document: str,
        managed_by: str,
        written_name: str,
        written_data: str,
    ) -> None:
        for setter, value in zip(
            _SETTERS,
            (
                zone,
                owner,
                rtype,
                ttl,
                rdata,
                source,
                document,
                managed_by,
                written_name,
                written_data,
            ),
            strict=True,
        ):
            setter(self, value)

    def __reduce__(self) -> tuple[type[Record], tuple[Any, ...]]:
        return (Record, self._fields())

    def _fields(self) -> tuple[object, ...]:
        return (
            self.zone,
            self.owner,
            self.rtype,
            self.ttl,
            self.rdata,
            self.source,
            self.document,
            self.managed_by,
            self.written_name,
            self.written_data,
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is not Record:
            return NotImplemented
        return self is other or self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (
            "Record("
            + ", ".join(
                f"{field}={value!r}"
                for field, value in zip(_RECORD_FIELDS, self._fields(), strict=True)
            )
            + ")"
        )

    @property
    def key(self) -> tuple[DomainName, RType]:
        return (self.owner, self.rtype)

    @property
    def name(self) -> str:
        """The owner relative to its zone, as messages show it."""
        return self.owner.relative_to(self.zone)

    def location(self) -> Location:
        return Location(self.zone.display(), self.name, str(self.rtype), self.source, self.document)

    def describe(self) -> str:
        """Short reference for messages that mention another record."""
        return f"{self.name} {self.rtype} {self.written_data} ({self.source})"


_SETTERS = tuple(slot_setter(_RecordFields, field) for field in _RECORD_FIELDS)
_new = object.__new__


@dataclass(frozen=True, slots=True)
class Desired:
    """One owner's desired state: all its zones and their records."""

    document: str
    owner: Owner
    default_ttl: int
    zones: tuple[DomainName, ...]
    records: tuple[Record, ...]

    def records_in(self, zone: DomainName) -> Iterator[Record]:
        return (r for r in self.records if r.zone == zone)


def _problem(
    rule: str,
    loc: Location,
    message: str,
    hint: str = "",
    severity: Severity = Severity.ERROR,
) -> Problem:
    return Problem(rule, severity, loc, message, hint)


def _valid_ttl(value: Any) -> bool:
    return type(value) is int and 0 <= value <= MAX_TTL


def build_desired(doc: DocumentJSON, document: str) -> tuple[Desired, list[Problem]]:
    """Normalise a shape-checked document into records, collecting every problem."""
    problems: list[Problem] = []
    doc_loc = Location("", "", "", "document", document)

    owner_json = doc["owner"]
    prefix, managed_by = owner_json["prefix"], owner_json["managedBy"]
    if not _PREFIX.match(prefix):
        problems.append(
            _problem(
                "owner-config",
                doc_loc,
                f"owner prefix {prefix!r} is not a single lower-case DNS label",
                'use letters, digits, "-" or "_", e.g. "nix"',
            )
        )
    if not _OWNER_ID.match(managed_by):
        problems.append(
            _problem(
                "owner-config",
                doc_loc,
                f"managedBy {managed_by!r} cannot be written into an ownership marker",
                'use letters, digits, ".", "-" or "_" (no spaces, commas or "="), '
                "e.g. the host name",
            )
        )
    owner = Owner(prefix.lower(), managed_by)
    managed_by = owner.managed_by

    default_ttl = DEFAULT_TTL
    defaults = doc.get("defaults", {})
    if "ttl" in defaults:
        if _valid_ttl(defaults["ttl"]):
            default_ttl = defaults["ttl"]
        else:
            problems.append(
                _problem(
                    "ttl-range",
                    doc_loc,
                    f"defaults.ttl {defaults['ttl']!r} is not a whole number of seconds",
                    f"use 0..{MAX_TTL}",
                )
            )

    zones: dict[DomainName, str] = {}
    records: list[Record] = []
    names: dict[str, DomainName] = {}  # see _plain_records
    for zone_key, zone_body in doc["zones"].items():
        zone_loc = Location(zone_key.rstrip(".") or ".", "", "", f'zones["{zone_key}"]', document)
        try:
            zone = parse_absolute(zone_key)
        except NameSyntaxError as exc:
            problems.append(_problem("zone-name", zone_loc, f"zone name is invalid: {exc}"))
            continue
        if zone.is_root:
            problems.append(_problem("zone-name", zone_loc, "the root zone cannot be managed here"))
            continue
        if zone in zones:
            problems.append(
                _problem(
                    "zone-name",
                    zone_loc,
                    f'zone declared twice: "{zones[zone]}" and "{zone_key}" are the same zone',
                    "merge the two into one entry",
                )
            )
            continue
        zones[zone] = zone_key
        zone_text = zone.display()
        rows = zone_body["records"]
        plain, missed = _plain_records(
            rows, zone, zone_key, default_ttl, document, managed_by, names
        )
        if not missed:
            records.extend(plain)  # type: ignore[arg-type]  # no None in it
            continue
        for index, record in enumerate(plain):
            if record is None:
                record = _build_record(
                    rows[index],
                    zone,
                    zone_text,
                    zone_key,
                    index,
                    owner,
                    default_ttl,
                    document,
                    problems,
                )
            if record is not None:
                records.append(record)
    desired = Desired(document, owner, default_ttl, tuple(zones), tuple(records))
    return desired, problems


def _plain_records(
    rows: list[Any],
    zone: DomainName,
    zone_key: str,
    default_ttl: int,
    document: str,
    managed_by: str,
    names: dict[str, DomainName],
) -> tuple[list[Record | None], int]:
    """The records of a zone's plain, valid entries; None for each entry that
    needs a closer look (then :func:`_build_record` decides and reports); and
    how many entries need that.

    This is the hot loop on large documents: one pass, names looked up once
    per owner, nothing allocated for a record beyond what it keeps. ``names``
    maps the presentation text of plain names made so far (across zones) to
    the name, so an owner and the PTR or CNAME target naming it share one
    object (what this text reads as never depends on where it was read).
    Plain A, AAAA, CNAME, NS and PTR data is parsed here as
    :func:`~checker.rdata.parse_rdata` would; the rest goes to it."""
    out: list[Record | None] = []
    append = out.append
    missed = 0
    types_get = _TYPES.get
    names_get = names.get
    fields = _FIELDS
    quoted_txt = _QUOTED_TXT.fullmatch
    plain_name = _PLAIN_NAME.fullmatch
    zone_labels = zone.labels
    zone_text = zone.to_text()
    # A relative one-label owner: its wire length is its length + 1 + the zone's.
    room = MAX_NAME - 1 - zone.wire_length
    owners: dict[str, DomainName] = {}
    owners_get = owners.get
    txt, t_a, t_aaaa = T_TXT, T_A, T_AAAA
    name_types = NAME_TYPES
    hex_colon = _HEX_COLON
    inet_pton, from_bytes, af_inet, af_inet6 = socket.inet_pton, int.from_bytes, _AF_INET, _AF_INET6
    new, draft, frozen = _new, _RecordDraft, Record
    # Value objects built inline as drafts (see checker.frozen).
    name_draft, name_cls = _NameDraft, DomainName
    parsed_draft, parsed_cls = _ParsedDraft, ParsedName
    address_draft, address_cls = _AddressDraft, Address
    target_draft, target_cls = _TargetDraft, Target
    for index, raw in enumerate(rows):
        if type(raw) is not dict:
            append(None)
            missed += 1
            continue
        try:
            name_text = raw["name"]
            type_text = raw["type"]
            data_text = raw["data"]
        except KeyError:
            append(None)
            missed += 1
            continue
        if type(name_text) is not str or type(type_text) is not str or type(data_text) is not str:
            append(None)
            missed += 1
            continue
        rtype = types_get(type_text)
        if rtype is None:
            append(None)
            missed += 1
            continue
        ttl = default_ttl
        source_text = None
        size = len(raw)
        if size == 4 and "source" in raw:  # the usual fourth field
            source_text = raw["source"]
            if type(source_text) is not str:
                append(None)
                missed += 1
                continue
        elif size > 3:
            if not raw.keys() <= fields:
                append(None)
                missed += 1
                continue
            if "source" in raw:
                source_text = raw["source"]
                if type(source_text) is not str:
                    append(None)
                    missed += 1
                    continue
            if "ttl" in raw:
                ttl = raw["ttl"]
                if type(ttl) is not int or not 0 <= ttl <= MAX_TTL:
                    append(None)
                    missed += 1
                    continue
        name: Any = owners_get(name_text)
        if name is None:
            if plain_name(name_text) is not None and len(name_text) <= room:
                # Plain relative labels (no trailing dot, no escape, no '*'):
                # the wire length is the text's length + 1 + the zone's.
                body = name_text.lower()
                text = f"{body}.{zone_text}"
                name = names_get(text)
                if name is None:
                    parts = body.encode("ascii").split(b".")
                    if len(body) > MAX_LABEL and max(map(len, parts)) > MAX_LABEL:
                        append(None)
                        missed += 1
                        continue
                    labels = (*parts, *zone_labels)
                    name = new(name_draft)  # new_name(labels, text), inline
                    name.labels = labels
                    name._hash = hash(labels)
                    name._text = text
                    name.__class__ = name_cls
                    names[text] = name
            elif "*" in name_text or "\\" in name_text:
                append(None)
                missed += 1
                continue
            else:
                try:
                    owner_parsed = parse_name(name_text, zone)
                except NameSyntaxError:
                    append(None)
                    missed += 1
                    continue
                name = owner_parsed.name
                if owner_parsed.absolute and not name.is_subdomain_of(zone):
                    append(None)
                    missed += 1
                    continue
            owners[name_text] = name
        rdata: Any = None
        if rtype is t_a:
            try:
                key = from_bytes(inet_pton(af_inet, data_text))
                rdata = new(address_draft)  # new_address(key), inline
                rdata.key = key
                rdata.__class__ = address_cls
            except OSError:
                pass
        elif rtype in name_types:
            # What parse_name makes of a plain name (see there).
            if data_text[-1:] == ".":
                if len(data_text) <= MAX_NAME - 1 and plain_name(data_text, 0, len(data_text) - 1):
                    text = data_text.lower()
                    target = names_get(text)
                    if target is None:
                        parts = text[:-1].encode("ascii").split(b".")
                        if len(text) <= MAX_LABEL + 1 or max(map(len, parts)) <= MAX_LABEL:
                            target = names[text] = new_name(tuple(parts), text)
                    if target is not None:
                        parsed: Any = new(parsed_draft)  # new_parsed(...), inline
                        parsed.name = target
                        parsed.absolute = True
                        parsed.written = data_text
                        parsed.__class__ = parsed_cls
                        rdata = new(target_draft)  # new_target(parsed), inline
                        rdata.target = parsed
                        rdata.__class__ = target_cls
            elif plain_name(data_text) is not None and len(data_text) <= room:
                body = data_text.lower()
                text = f"{body}.{zone_text}"
                target = names_get(text)
                if target is None:
                    parts = body.encode("ascii").split(b".")
                    if len(body) <= MAX_LABEL or max(map(len, parts)) <= MAX_LABEL:
                        target = names[text] = new_name((*parts, *zone_labels), text)
                if target is not None:
                    parsed = new(parsed_draft)
                    parsed.name = target
                    parsed.absolute = False
                    parsed.written = data_text
                    parsed.__class__ = parsed_cls
                    rdata = new(target_draft)
                    rdata.target = parsed
                    rdata.__class__ = target_cls
        elif rtype is t_aaaa and hex_colon(data_text) is not None:
            try:
                key = from_bytes(inet_pton(af_inet6, data_text)) | V6_FLAG
                rdata = new(address_draft)
                rdata.key = key
                rdata.__class__ = address_cls
            except OSError:
                pass
        if rdata is None:
            try:
                rdata = parse_rdata(rtype, data_text, zone)
            except RdataError:
                append(None)
                missed += 1
                continue
            if rtype is txt and quoted_txt(data_text) is None:
                append(None)
                missed += 1
                continue
        record: Any = new(draft)
        record.zone = zone
        record.owner = name
        record.rtype = rtype
        record.ttl = ttl
        record.rdata = rdata
        record.source = source_text or f'zones["{zone_key}"].records[{index}]'
        record.document = document
        record.managed_by = managed_by
        record.written_name = name_text
        record.written_data = data_text
        record.__class__ = frozen
        append(record)
    return out, missed


def _build_record(
    raw: Any,
    zone: DomainName,
    zone_text: str,
    zone_key: str,
    index: int,
    owner: Owner,
    default_ttl: int,
    document: str,
    problems: list[Problem],
) -> Record | None:
    if not isinstance(raw, dict):
        position = f'zones["{zone_key}"].records[{index}]'
        where = Location(zone_text, "", "", position, document)
        problems.append(_problem("record-schema", where, "a record must be a JSON object"))
        return None
    source = raw.get("source")
    source_text = (
        source if isinstance(source, str) and source else f'zones["{zone_key}"].records[{index}]'
    )
    name_text = raw.get("name")
    type_text = raw.get("type")
    data_text = raw.get("data")

    def loc() -> Location:
        return Location(
            zone_text,
            name_text if isinstance(name_text, str) else "?",
            type_text.upper() if isinstance(type_text, str) else "?",
            source_text,
            document,
        )

    fast = type(name_text) is str and type(type_text) is str and type(data_text) is str
    missing = (
        []
        if fast
        else [
            f'"{field}" (a string)'
            for field, value in (("name", name_text), ("type", type_text), ("data", data_text))
            if not isinstance(value, str)
        ]
    )
    if missing:
        problems.append(
            _problem("record-schema", loc(), "missing or not a string: " + ", ".join(missing))
        )
        return None
    assert isinstance(name_text, str)
    assert isinstance(type_text, str)
    assert isinstance(data_text, str)
    if "source" in raw and not isinstance(source, str):
        problems.append(_problem("record-schema", loc(), '"source" must be a string'))
    unknown = [] if raw.keys() <= _FIELDS else sorted(set(raw) - _FIELDS)
    if unknown:
        problems.append(
            _problem(
                "record-schema",
                loc(),
                "unknown field(s) " + ", ".join(f'"{k}"' for k in unknown),
                'a record has only "name", "type", "data", "ttl" and "source"',
            )
        )
        return None

    rtype_fast = _TYPES.get(type_text)
    type_upper = type_text.strip().upper()
    if rtype_fast is None and type_upper == "SOA":
        problems.append(
            _problem(
                "unsupported-type",
                loc(),
                "SOA is never managed: Knot owns the zone's SOA (serial policy, timers)",
                "remove this record; set SOA fields in Knot's zone configuration",
            )
        )
        return None
    try:
        rtype = rtype_fast or RType(type_upper)
    except ValueError:
        supported = ", ".join(t.value for t in RType)
        problems.append(
            _problem(
                "unsupported-type",
                loc(),
                f"type {type_text!r} is not supported",
                f"use one of {supported}",
            )
        )
        return None

    ttl = default_ttl
    if "ttl" in raw:
        if _valid_ttl(raw["ttl"]):
            ttl = raw["ttl"]
        else:
            problems.append(
                _problem(
                    "ttl-range",
                    loc(),
                    f"TTL {raw['ttl']!r} is not a whole number of seconds in range",
                    f"use 0..{MAX_TTL} (RFC 2181 §8)",
                )
            )
            return None

    try:
        parsed = parse_name(name_text, zone)
    except NameSyntaxError as exc:
        problems.append(
            _problem("name-syntax", loc(), f"owner name {name_text!r} is invalid: {exc}")
        )
        return None
    name = parsed.name
    if parsed.absolute and not name.is_subdomain_of(zone):
        problems.append(
            _problem(
                "out-of-zone",
                loc(),
                f"owner {name.to_text()} is not inside zone {zone.to_text()}",
                f"move the record to the zone that holds it, or write it relative to {zone_text}",
            )
        )
        return None
    if ("*" in name_text or "\\" in name_text) and (
        any(label == b"*" for label in name.labels[1:])
        or any(b"*" in label and label != b"*" for label in name.labels)
    ):
        problems.append(
            _problem(
                "wildcard-placement",
                loc(),
                f"'*' in {name.relative_to(zone)} is only a wildcard as the whole leftmost label",
                "write *.name for a wildcard, or remove the '*'",
            )
        )
        return None

    def loc_named() -> Location:
        return Location(zone_text, name.relative_to(zone), str(rtype), source_text, document)

    try:
        rdata = parse_rdata(rtype, data_text, zone)
    except RdataError as exc:
        message = (
            exc.message
            if data_text.strip() in exc.message
            else f"data {data_text!r}: {exc.message}"
        )
        problems.append(_problem(exc.rule, loc_named(), message, exc.hint))
        return None
    if rtype is T_TXT and _QUOTED_TXT.fullmatch(data_text) is None and is_unquoted_txt(data_text):
        problems.append(
            _problem(
                "txt-unquoted",
                loc_named(),
                f"TXT data {data_text!r} is not quoted: each space-separated word becomes its "
                "own character-string",
                'quote the text: "\\"v=spf1 -all\\"" in JSON, or let the Nix renderer quote it',
                Severity.WARNING,
            )
        )
    return Record(
        zone=zone,
        owner=name,
        rtype=rtype,
        ttl=ttl,
        rdata=rdata,
        source=source_text,
        document=document,
        managed_by=owner.managed_by,
        written_name=name_text,
        written_data=data_text,
    )
