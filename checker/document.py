"""The desired-state document (contract §2): its JSON shape and loading it.

Only the outer shape is checked here; a document that gets past
:func:`load_document` is usable, and everything about its records is the
rules' business (reported, never raised).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

from checker.problems import json_value, printable

SUPPORTED_VERSION = 1


class RecordJSON(TypedDict):
    name: str
    type: str
    data: str
    ttl: NotRequired[int]
    source: NotRequired[str]


class ZoneJSON(TypedDict):
    records: list[RecordJSON]


class OwnerJSON(TypedDict):
    prefix: str
    managedBy: str


class DefaultsJSON(TypedDict, total=False):
    ttl: int


class ExceptionJSON(TypedDict):
    """A reviewed exception: findings of ``rule`` at ``name`` (and ``type``,
    when given) in ``zone`` are accepted, for ``reason``."""

    rule: str
    zone: str
    name: str
    type: NotRequired[str]
    reason: str


class ExternalDnsLayoutJSON(TypedDict, total=False):
    """One ExternalDNS instance's TXT registry flags (all default to "")."""

    prefix: str  # --txt-prefix
    suffix: str  # --txt-suffix
    wildcardReplacement: str  # --txt-wildcard-replacement


class ExternalDnsJSON(TypedDict):
    layouts: list[ExternalDnsLayoutJSON]


class DocumentJSON(TypedDict):
    version: int
    owner: OwnerJSON
    defaults: NotRequired[DefaultsJSON]
    externalDns: NotRequired[ExternalDnsJSON]
    zones: dict[str, ZoneJSON]
    exceptions: NotRequired[list[ExceptionJSON]]


class RepeatedKeys(dict[str, Any]):
    """A JSON object that names a key more than once: the values are the last
    ones given (what ``json`` keeps), ``repeated`` the keys named again."""

    __slots__ = ("repeated",)

    def __init__(self, pairs: list[tuple[str, Any]], repeated: list[str]) -> None:
        super().__init__(pairs)
        self.repeated = repeated


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook``: a plain dict, or RepeatedKeys when a key repeats."""
    made = dict(pairs)
    if len(made) == len(pairs):
        return made
    counts = Counter(key for key, _ in pairs)
    return RepeatedKeys(pairs, [key for key, n in counts.items() if n > 1])


class InputError(Exception):
    """The input cannot be used at all (exit 2): unreadable, not JSON, wrong shape."""


def _shape(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise InputError(f"{where}: {what}")


def _once(obj: Any, where: str, path: str) -> None:
    """Refuse an outer object that names a key twice: the first value would
    be lost without a word (e.g. a zone's whole record list)."""
    if isinstance(obj, RepeatedKeys):
        keys = ", ".join(f'"{printable(k)}"' for k in obj.repeated)
        raise InputError(
            f"{where}: {path} names {keys} more than once; JSON keeps only the last "
            "(merge the two entries)"
        )


_DOCUMENT_KEYS = ("version", "owner", "defaults", "externalDns", "zones", "exceptions")
_OWNER_KEYS = ("prefix", "managedBy")
_DEFAULTS_KEYS = ("ttl",)
_ZONE_KEYS = ("records",)


def _known(obj: dict[str, Any], known: tuple[str, ...], where: str, path: str) -> None:
    """Refuse a key the contract does not define: a typo (``"tll"``) would
    otherwise be ignored and its value silently replaced by a default."""
    unknown = sorted(set(obj) - set(known))
    _shape(
        not unknown,
        where,
        f"{path} has unknown key(s) {', '.join(printable(json_value(k)) for k in unknown)}; "
        f"known: {', '.join(known)}",
    )


def validate_shape(data: Any, where: str) -> DocumentJSON:
    """Check the document's outer shape; records are checked by the rules.
    Raises InputError."""
    _shape(isinstance(data, dict), where, "the document must be a JSON object")
    _once(data, where, "the document")
    _known(data, _DOCUMENT_KEYS, where, "the document")
    version = data.get("version")
    _shape(
        "version" in data, where, f'no "version"; this checker reads version {SUPPORTED_VERSION}'
    )
    _shape(
        type(version) is int and version == SUPPORTED_VERSION,
        where,
        f"document version {json.dumps(version)} is not supported; this checker reads "
        f"version {SUPPORTED_VERSION} (is the checker older than the module that rendered it?)",
    )
    owner = data.get("owner")
    _shape(isinstance(owner, dict), where, '"owner" must be an object {"prefix", "managedBy"}')
    _once(owner, where, '"owner"')
    _known(owner, _OWNER_KEYS, where, '"owner"')
    for key in ("prefix", "managedBy"):
        _shape(isinstance(owner.get(key), str), where, f'"owner.{key}" must be a string')
    defaults = data.get("defaults", {})
    _shape(isinstance(defaults, dict), where, '"defaults" must be an object')
    _once(defaults, where, '"defaults"')
    _known(defaults, _DEFAULTS_KEYS, where, '"defaults"')
    if "externalDns" in data:
        _external_dns_shape(data["externalDns"], where)
    zones = data.get("zones")
    _shape(isinstance(zones, dict), where, '"zones" must be an object keyed by zone origin')
    _once(zones, where, '"zones"')
    for zone, body in zones.items():
        _shape(
            isinstance(body, dict) and isinstance(body.get("records"), list),
            where,
            f'zone "{printable(zone)}" must be an object with a "records" list',
        )
        _once(body, where, f'zone "{printable(zone)}"')
        _known(body, _ZONE_KEYS, where, f'zone "{printable(zone)}"')
    _shape(
        isinstance(data.get("exceptions", []), list),  # null too: absent means none
        where,
        '"exceptions" must be a list of {"rule", "zone", "name", "type", "reason"} objects',
    )
    return cast(DocumentJSON, data)


_LAYOUT_KEYS = ("prefix", "suffix", "wildcardReplacement")
# What ExternalDNS's registry affixes may hold to name TXT records in the
# zone: letters, digits, '-', '_', dots between labels, and its one
# template, %{record_type}; the wildcard replacement is part of one label.
_AFFIX = re.compile(r"(?:[A-Za-z0-9_-]|\.|%\{record_type\})*")
_LABEL_PART = re.compile(r"[A-Za-z0-9_-]*")


def layout_text_fault(key: str, text: str) -> str | None:
    """Why `text` cannot be an ExternalDNS layout's `key` (``prefix``,
    ``suffix``, ``wildcardReplacement``; ``--txt-*`` flags alike), or None.
    Registry names are built by joining text, so an escape, a space or a
    non-ASCII letter would name another record, or none, outside the zone."""
    shown = json_value(text)
    if key == "wildcardReplacement":
        if not _LABEL_PART.fullmatch(text):
            return (
                f"{shown} may hold only ASCII letters, digits, '-' and '_' "
                "(it replaces the '*' label of a registry name)"
            )
        return None
    if not _AFFIX.fullmatch(text):
        return (
            f"{shown} may hold only ASCII letters, digits, '-', '_', dots and %{{record_type}} "
            "(it becomes part of the registry TXT names ExternalDNS writes)"
        )
    if (
        ".." in text
        or (key == "prefix" and text.startswith("."))
        or (key == "suffix" and text.endswith("."))
    ):
        return f"{shown} would make an empty label in the registry TXT names"
    if any(len(label) > 63 for label in text.replace("%{record_type}", "cname").split(".")):
        return f"{shown} holds a label of more than 63 octets (RFC 1035 §2.3.4)"
    return None


def _external_dns_shape(value: Any, where: str) -> None:
    """``externalDns``: ``{"layouts": [{"prefix"?, "suffix"?, "wildcardReplacement"?}]}``,
    strings only, prefix and suffix not both set (ExternalDNS refuses that too)."""
    shaped = isinstance(value, dict) and set(value) == {"layouts"}
    _shape(
        shaped and isinstance(value["layouts"], list),
        where,
        '"externalDns" must be an object {"layouts": [...]}',
    )
    for index, layout in enumerate(value["layouts"]):
        at = f"externalDns.layouts[{index}]"
        _shape(isinstance(layout, dict), where, f"{at} must be an object")
        _once(layout, where, at)
        unknown = sorted(set(layout) - set(_LAYOUT_KEYS))
        _shape(
            not unknown,
            where,
            f"{at} has unknown key(s) {', '.join(unknown)}; known: {', '.join(_LAYOUT_KEYS)}",
        )
        for key in _LAYOUT_KEYS:
            _shape(isinstance(layout.get(key, ""), str), where, f"{at}.{key} must be a string")
            fault = layout_text_fault(key, layout.get(key, ""))
            _shape(fault is None, where, f"{at}.{key} {fault}")
        _shape(
            not (layout.get("prefix") and layout.get("suffix")),
            where,
            f"{at} sets both prefix and suffix; ExternalDNS accepts only one of them",
        )


def load_document(path: str) -> DocumentJSON:
    """Read and shape-check one document. Raises InputError with one clear line."""
    try:
        text = Path(path).read_bytes() if path != "-" else _stdin()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied (run as a user that can read it)") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a JSON document") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_document(text, path)


def _stdin() -> bytes:
    return sys.stdin.buffer.read()


class _NotJSONError(ValueError):
    """A constant Python's ``json`` reads but JSON (RFC 8259 §6) does not have."""


def _refuse_constant(name: str) -> Any:
    raise _NotJSONError(name)


def parse_document(text: bytes | str, where: str) -> DocumentJSON:
    """Parse and shape-check a document's text (RFC 8259 JSON: ``NaN`` and
    ``Infinity`` are refused). Raises InputError with one clear line."""
    try:
        data = json.loads(text, object_pairs_hook=_json_object, parse_constant=_refuse_constant)
    except _NotJSONError as exc:
        raise InputError(
            f"{where}: not valid JSON: {exc} is not a JSON value (write a number or null)"
        ) from None
    except UnicodeDecodeError:
        raise InputError(f"{where}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{where}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise InputError(f"{where}: JSON nested too deeply") from None
    except ValueError:  # an integer of more digits than Python converts
        raise InputError(
            f"{where}: a number in the JSON has more than {sys.get_int_max_str_digits()} "
            "digits; no field takes such a number"
        ) from None
    return validate_shape(data, where)
