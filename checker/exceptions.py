"""Reviewed exceptions: findings a document's owner has looked at and accepts.

A document may carry ``"exceptions"``, a list of
``{"rule", "zone", "name", "type"?, "reason", "source"?}`` (contract §2). A finding of
that rule at that owner name (relative to the zone, ``@`` for the apex, as
messages show it) and, when given, that type is *accepted*: it no longer
counts as an error or warning, and the report lists it with the reason.
Nothing is dropped silently:

- ``exception-invalid`` (error): an entry that is malformed, names an
  unknown rule, or a rule that cannot be accepted (one whose record could
  not be read, or that the server or the agent would refuse).
- ``exception-stale`` (warning): an entry that matches no finding (fixed
  since, or mistyped): remove it or correct it.

An exception only accepts findings located in its own document.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from checker.document import DocumentJSON, RepeatedKeys
from checker.names import NameSyntaxError, parse_absolute, parse_name
from checker.problems import Location, Problem, Severity, clip, json_value, printable
from checker.rdata import RType

# Findings about meaning, where a shared zone or a deliberate choice makes
# the rule's assumption wrong. Anything else is a record that could not be
# read, or one the server would refuse or the agent could not keep apart.
ACCEPTABLE = frozenset(
    {
        "caa-unknown-tag",
        "cname-target",
        "duplicate-record",
        "ns-glue-missing",
        "ns-ttl-zero",
        "null-mx",
        "ptr-duplicate",
        "ptr-mismatch",
        "ptr-missing",
        "ptr-owner",
        "root-target",
        "srv-null-target",
        "srv-owner",
        "trailing-dot",
        "txt-unquoted",
    }
)
NOT_ACCEPTABLE = frozenset(
    {
        "address-family",
        "address-syntax",
        "caa-tag",
        "caa-value",
        "cname-apex",
        "cname-coexistence",
        "cname-loop",
        "cname-multiple",
        "exception-invalid",
        "exception-stale",
        "field-range",
        "in-child-zone",
        "marker-collision",
        "name-syntax",
        "occluded",
        "out-of-zone",
        "owner-cname-collision",
        "owner-collision",
        "owner-config",
        "owner-duplicate",
        "rdata-syntax",
        "record-schema",
        "rrset-size",
        "target-syntax",
        "ttl-mismatch",
        "ttl-range",
        "txt-length",
        "txt-quoting",
        "unsupported-type",
        "wildcard-placement",
        "zone-name",
    }
)
_FIELDS = frozenset({"rule", "zone", "name", "type", "reason", "source"})
_TYPES = frozenset(t.value for t in RType)


class ReviewedException(NamedTuple):
    """One accepted finding pattern: ``zone`` as messages show it (no
    trailing dot), ``name`` relative to it, ``rtype`` None for any type."""

    rule: str
    zone: str
    name: str
    rtype: str | None
    reason: str
    source: str  # "exceptions[N]"
    document: str

    def matches(self, problem: Problem) -> bool:
        loc = problem.location
        return (
            problem.rule == self.rule
            and loc.document == self.document
            and loc.zone == self.zone
            and loc.name == self.name
            and (self.rtype is None or loc.rtype == self.rtype)
        )

    def describe(self) -> str:
        what = f"{self.name} {self.rtype}" if self.rtype else self.name
        return f"{self.rule} at {what} in zone {self.zone}"


class Accepted(NamedTuple):
    """A finding accepted by a reviewed exception, reported with its reason."""

    problem: Problem
    exception: ReviewedException

    def to_text(self, *, show_document: bool = False) -> str:
        problem = self.problem
        head = problem.to_text(show_document=show_document).split("\n", 1)[0]
        head = head.replace(f"{problem.severity}[", "accepted[", 1)
        return (
            f"{head}\n    reason: {printable(self.exception.reason)} "
            f"({self.exception.source}, was {problem.severity})"
        )

    def to_json(self) -> dict[str, str]:
        return {
            **self.problem.to_json(),
            "reason": self.exception.reason,
            "exception": self.exception.source,
        }


def read_exceptions(
    doc: DocumentJSON, document: str
) -> tuple[list[ReviewedException], list[Problem]]:
    """The document's reviewed exceptions, and a problem for each bad entry
    (``exception-invalid``, every fault of the entry in one message) and each
    repeat of an earlier entry (``exception-stale``, naming the first)."""
    found: list[ReviewedException] = []
    problems: list[Problem] = []
    first: dict[tuple[str, str, str, str | None], ReviewedException] = {}
    raw_list: Sequence[Any] = doc.get("exceptions", [])
    for index, raw in enumerate(raw_list):
        where = _source(raw, f"exceptions[{index}]")
        try:
            exception = _read_one(raw, where, document)
        except _InvalidError as bad:
            problems.append(
                Problem(
                    "exception-invalid",
                    Severity.ERROR,
                    Location("", "", "", where, document),
                    str(bad),
                    'write {"rule", "zone", "name", "reason"} and optionally "type"; '
                    "the reason says why the finding is acceptable",
                )
            )
            continue
        key = (exception.rule, exception.zone, exception.name, exception.rtype)
        earlier = first.setdefault(key, exception)
        if earlier is exception:
            found.append(exception)
            continue
        problems.append(
            Problem(
                "exception-stale",
                Severity.WARNING,
                Location("", "", "", where, document),
                f"the exception for {exception.describe()} repeats {earlier.source}",
                "remove the repeated exception",
            )
        )
    return found, problems


class _InvalidError(Exception):
    """An exception entry that cannot be used; the message says why."""


def _source(raw: Any, position: str) -> str:
    """Where the entry was declared: its ``source`` (the module writes the
    option path, e.g. ``services.dnsStaticRecords.exceptions[1]``) when that
    is usable text, else its position in the document."""
    source = raw.get("source") if isinstance(raw, dict) else None
    if isinstance(source, str) and source.strip() and printable(source) == source:
        return clip(source.strip())
    return position


def _text(raw: dict[str, Any], field: str, *, required: bool = True) -> str | None:
    value = raw.get(field)
    if value is None and not required and field not in raw:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _InvalidError(f'"{field}" must be a non-empty string, not {json_value(value)}')
    if not value.isascii() and printable(value) != value:
        raise _InvalidError(f'"{field}" holds a lone UTF-16 surrogate, which is not text')
    return value.strip()


def _read_one(raw: Any, where: str, document: str) -> ReviewedException:
    """One entry, or _InvalidError naming every fault it has (not only the first)."""
    if not isinstance(raw, dict):
        raise _InvalidError(f"an exception must be a JSON object, not {json_value(raw)}")
    faults: list[str] = []
    if isinstance(raw, RepeatedKeys):
        keys = ", ".join(f'"{printable(k)}"' for k in raw.repeated)
        faults.append(f"the exception names {keys} more than once")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        faults.append("unknown field(s) " + ", ".join(printable(json_value(k)) for k in unknown))
    text: dict[str, str | None] = {}
    for field in ("rule", "zone", "name", "reason", "type", "source"):
        try:
            text[field] = _text(raw, field, required=field not in ("type", "source"))
        except _InvalidError as bad:
            faults.append(str(bad))
            text[field] = None
    rule, zone_text, name_text, reason, rtype = (
        text["rule"],
        text["zone"],
        text["name"],
        text["reason"],
        text["type"],
    )
    if rule is not None and rule not in ACCEPTABLE:
        if rule in NOT_ACCEPTABLE:
            faults.append(
                f"findings of rule {rule} cannot be accepted: the record could not be read, "
                "or the server or the agent would refuse it; fix the record instead"
            )
        else:
            faults.append(
                f"unknown rule id {json_value(rule)}; the checker's messages show rule ids"
            )
    if rtype is not None:
        rtype = rtype.upper()
        if rtype not in _TYPES:
            faults.append(
                f'"type" {json_value(rtype)} is not a record type the checker reads; '
                f"use one of {', '.join(sorted(_TYPES))}, or leave it out for any type"
            )
    zone = name = None
    if zone_text is not None and name_text is not None:
        try:
            zone = parse_absolute(zone_text)
            name = parse_name(name_text, zone).name
        except NameSyntaxError as exc:
            faults.append(f"zone {json_value(zone_text)} / name {json_value(name_text)}: {exc}")
        else:
            if not name.is_subdomain_of(zone):
                faults.append(f"name {clip(name.to_text())} is not inside zone {zone.display()}")
    if faults or rule is None or reason is None or zone is None or name is None:
        raise _InvalidError("; ".join(faults))
    return ReviewedException(
        rule=rule,
        zone=zone.display(),
        name=name.relative_to(zone),
        rtype=rtype,
        reason=reason,
        source=where,
        document=document,
    )


def apply_exceptions(
    problems: Iterable[Problem], exceptions: Sequence[ReviewedException]
) -> tuple[list[Problem], list[Accepted]]:
    """Split ``problems`` into those still standing (with an
    ``exception-stale`` warning for every exception that matched nothing)
    and those accepted."""
    if not exceptions:
        return list(problems), []
    # (rule, document, zone, name) -> the exceptions there: one lookup a finding
    at: dict[tuple[str, str, str, str], list[ReviewedException]] = {}
    for exception in exceptions:
        place = (exception.rule, exception.document, exception.zone, exception.name)
        at.setdefault(place, []).append(exception)
    standing: list[Problem] = []
    accepted: list[Accepted] = []
    used: set[ReviewedException] = set()
    for problem in problems:
        loc = problem.location
        candidates = at.get((problem.rule, loc.document, loc.zone, loc.name), ())
        match = next((e for e in candidates if e.matches(problem)), None)
        if match is None:
            standing.append(problem)
        else:
            accepted.append(Accepted(problem, match))
            used.add(match)
    for exception in exceptions:
        if exception not in used:
            standing.append(
                Problem(
                    "exception-stale",
                    Severity.WARNING,
                    Location("", "", "", exception.source, exception.document),
                    f"no finding matches the exception for {exception.describe()} "
                    f"(reason: {exception.reason})",
                    "remove the exception if the finding is gone, or correct its rule, zone, "
                    "name or type",
                )
            )
    return standing, accepted
