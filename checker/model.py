"""The record model: a desired document normalised into immutable records.

Records and the values in them are immutable named tuples, each made in
one step. Normalising happens once, here, and every record takes the same path
(:func:`_build_record`): owners absolute and lower-case, TTLs filled in,
RDATA parsed, each name text of a zone read once (:class:`NameReader`).
Records that cannot be normalised become problems instead (never
exceptions), so every mistake in a document is reported in one run. The
agent imports this model.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from checker.document import DocumentJSON, RepeatedKeys
from checker.names import DomainName, NameReader, NameSyntaxError, parse_absolute
from checker.problems import Location, Problem, Severity, json_value, printable
from checker.rdata import T_TXT, Rdata, RdataError, RType, is_unquoted_txt, parse_rdata

DEFAULT_TTL = 300
MAX_TTL = 2**31 - 1
# managed-by ends up inside the marker text "heritage=nix,managed-by=<id>,type=<T>".
_OWNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
_FIELDS = frozenset({"name", "type", "data", "ttl", "source"})
_TYPES = {t.value: t for t in RType}
_PREFIX = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")


class Owner(NamedTuple):
    """Who writes the records: marker prefix and the managed-by id."""

    prefix: str
    managed_by: str

    @property
    def prefix_label(self) -> bytes:
        return self.prefix.encode("ascii")


class Record(NamedTuple):
    """One desired resource record, normalised: ``owner`` absolute and
    lower-case inside ``zone``, ``ttl`` in seconds (the default filled in),
    ``rdata`` parsed. ``written_name``/``written_data`` keep the document's
    text for messages; ``source`` is the Nix attribute path (or the record's
    position in the document), ``document`` the file it came from."""

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


class Desired(NamedTuple):
    """One owner's desired state: all its zones and their records."""

    document: str
    owner: Owner
    default_ttl: int
    zones: tuple[DomainName, ...]
    records: tuple[Record, ...]
    #: ``externalDns.layouts`` as (prefix, suffix, wildcard replacement), lower
    #: case; ExternalDNS's defaults (one empty layout) when absent.
    layouts: tuple[tuple[str, str, str], ...] = (("", "", ""),)

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


def _location(
    zone_text: str, name_text: Any, type_text: Any, source_text: str, document: str
) -> Location:
    """Where a record is that could not be read: its fields as written."""
    return Location(
        zone_text,
        printable(name_text) if isinstance(name_text, str) else "?",
        printable(type_text.upper()) if isinstance(type_text, str) else "?",
        source_text,
        document,
    )


def _unreadable_field(raw: dict[str, Any]) -> str | None:
    """The first field whose key or string value holds a lone surrogate (JSON
    allows ``"\\ud800"``; no encoding can write it), else None."""
    for key, value in raw.items():
        if not key.isascii() and not _is_text(key):
            return key
        if type(value) is str and not value.isascii() and not _is_text(value):
            return key
    return None


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
                    f"defaults.ttl {json_value(defaults['ttl'])} is not a whole number of seconds",
                    f"use 0..{MAX_TTL}",
                )
            )

    zones: dict[DomainName, str] = {}
    records: list[Record] = []
    for zone_key, zone_body in doc["zones"].items():
        zone_text = printable(zone_key.rstrip(".")) or "."
        zone_loc = Location(zone_text, "", "", f'zones["{printable(zone_key)}"]', document)
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
        names = NameReader(zone)
        for index, raw in enumerate(zone_body["records"]):
            record = _build_record(
                raw, names, zone_text, zone_key, index, owner, default_ttl, document, problems
            )
            if record is not None:
                records.append(record)
    desired = Desired(document, owner, default_ttl, tuple(zones), tuple(records), _layouts(doc))
    return desired, problems


def _build_record(
    raw: Any,
    names: NameReader,
    zone_text: str,
    zone_key: str,
    index: int,
    owner: Owner,
    default_ttl: int,
    document: str,
    problems: list[Problem],
) -> Record | None:
    zone = names.origin
    if not isinstance(raw, dict):  # (a JSON object is a dict, or RepeatedKeys)
        position = f'zones["{printable(zone_key)}"].records[{index}]'
        where = Location(zone_text, "", "", position, document)
        problems.append(_problem("record-schema", where, "a record must be a JSON object"))
        return None
    source = raw.get("source")
    source_text = (
        source
        if type(source) is str and source and (source.isascii() or _is_text(source))
        else f'zones["{printable(zone_key)}"].records[{index}]'
    )
    name_text = raw.get("name")
    type_text = raw.get("type")
    data_text = raw.get("data")

    if type(raw) is RepeatedKeys:
        keys = ", ".join(f'"{printable(k)}"' for k in raw.repeated)
        problems.append(
            _problem(
                "record-schema",
                _location(zone_text, name_text, type_text, source_text, document),
                f"the record names {keys} more than once; JSON keeps only the last",
                "keep one of each field",
            )
        )
        return None
    if not (type(name_text) is str and type(type_text) is str and type(data_text) is str):
        missing = [
            f'"{field}" (a string)'
            for field, value in (("name", name_text), ("type", type_text), ("data", data_text))
            if not isinstance(value, str)
        ]
        problems.append(
            _problem(
                "record-schema",
                _location(zone_text, name_text, type_text, source_text, document),
                "missing or not a string: " + ", ".join(missing),
            )
        )
        return None
    plain = name_text.isascii() and type_text.isascii() and data_text.isascii()
    if not (plain and (type(source) is not str or source.isascii())) and (
        unreadable := _unreadable_field(raw)
    ):
        problems.append(
            _problem(
                "record-schema",
                _location(zone_text, name_text, type_text, source_text, document),
                f'"{printable(unreadable)}" holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF '
                "escape without its pair), which is not text",
                "write the character itself, or both halves of its surrogate pair",
            )
        )
        return None
    has_source = "source" in raw
    if has_source and type(source) is not str:
        problems.append(
            _problem(
                "record-schema",
                _location(zone_text, name_text, type_text, source_text, document),
                '"source" must be a string',
            )
        )
    # name, type and data are there: any other key but source and ttl is unknown
    has_ttl = "ttl" in raw
    if len(raw) > 3 + has_source + has_ttl:
        unknown = sorted(set(raw) - _FIELDS)
        problems.append(
            _problem(
                "record-schema",
                _location(zone_text, name_text, type_text, source_text, document),
                "unknown field(s) " + ", ".join(f'"{printable(k)}"' for k in unknown),
                'a record has only "name", "type", "data", "ttl" and "source"',
            )
        )
        return None

    rtype = _TYPES.get(type_text)  # as usually written: upper case, no blanks
    if rtype is None:
        type_upper = type_text.strip().upper()
        if type_upper == "SOA":
            problems.append(
                _problem(
                    "unsupported-type",
                    _location(zone_text, name_text, type_text, source_text, document),
                    "SOA is never managed: Knot owns the zone's SOA (serial policy, timers)",
                    "remove this record; set SOA fields in Knot's zone configuration",
                )
            )
            return None
        rtype = _TYPES.get(type_upper)
        if rtype is None:
            supported = ", ".join(t.value for t in RType)
            problems.append(
                _problem(
                    "unsupported-type",
                    _location(zone_text, name_text, type_text, source_text, document),
                    f"type {type_text!r} is not supported",
                    f"use one of {supported}",
                )
            )
            return None

    ttl = default_ttl
    if has_ttl:
        if _valid_ttl(raw["ttl"]):
            ttl = raw["ttl"]
        else:
            problems.append(
                _problem(
                    "ttl-range",
                    _location(zone_text, name_text, type_text, source_text, document),
                    f"TTL {json_value(raw['ttl'])} is not a whole number of seconds in range",
                    f"use 0..{MAX_TTL} (RFC 2181 §8)",
                )
            )
            return None

    try:
        name, absolute = names.name_of(name_text)
    except NameSyntaxError as exc:
        problems.append(
            _problem(
                "name-syntax",
                _location(zone_text, name_text, type_text, source_text, document),
                f"owner name {name_text!r} is invalid: {exc}",
            )
        )
        return None
    if absolute and not name.is_subdomain_of(zone):
        problems.append(
            _problem(
                "out-of-zone",
                _location(zone_text, name_text, type_text, source_text, document),
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
                _location(zone_text, name_text, type_text, source_text, document),
                f"'*' in {name.relative_to(zone)} is only a wildcard as the whole leftmost label",
                "write *.name for a wildcard, or remove the '*'",
            )
        )
        return None

    try:
        rdata = parse_rdata(rtype, data_text, zone, names)
    except RdataError as exc:
        message = (
            exc.message
            if data_text.strip() in exc.message
            else f"data {data_text!r}: {exc.message}"
        )
        problems.append(
            _problem(
                exc.rule,
                Location(zone_text, name.relative_to(zone), str(rtype), source_text, document),
                message,
                exc.hint,
            )
        )
        return None
    if rtype is T_TXT and is_unquoted_txt(data_text):
        problems.append(
            _problem(
                "txt-unquoted",
                Location(zone_text, name.relative_to(zone), str(rtype), source_text, document),
                f"TXT data {data_text!r} is not quoted: each space-separated word becomes its "
                "own character-string",
                'quote the text: "\\"v=spf1 -all\\"" in JSON, or let the Nix renderer quote it',
                Severity.WARNING,
            )
        )
    return Record(
        zone,
        name,
        rtype,
        ttl,
        rdata,
        source_text,
        document,
        owner.managed_by,
        name_text,
        data_text,
    )


def _layouts(doc: DocumentJSON) -> tuple[tuple[str, str, str], ...]:
    """The document's ``externalDns.layouts`` (shape-checked by
    `checker.document`) as lower-case (prefix, suffix, wildcard replacement),
    as ExternalDNS normalises its flags; one empty layout when absent."""
    section = doc.get("externalDns")
    if section is None:
        return (("", "", ""),)
    return tuple(
        (
            layout.get("prefix", "").lower(),
            layout.get("suffix", "").lower(),
            layout.get("wildcardReplacement", "").lower(),
        )
        for layout in section["layouts"]
    )
