"""Problems the checker reports: rule id, severity, location and a fix."""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Any, NamedTuple

# A value a message quotes is shown whole up to this many characters (a
# domain name is at most 253, a TXT string 255 octets, each quoted or
# escaped); anything longer is cut, so one hostile value cannot turn one
# line of output into megabytes.
CLIP_ABOVE = 512
_KEEP = 80
_LONG_TOKEN = re.compile(rf"\S{{{CLIP_ABOVE + 1},}}")


def clip(text: str) -> str:
    """``text``, or when longer than CLIP_ABOVE characters its first 80
    characters, ``…`` and its length (as the label check writes ``'bbbb…'``)."""
    if len(text) <= CLIP_ABOVE:
        return text
    return f"{text[:_KEEP]}…({len(text)} characters)"


def _clip_tokens(text: str) -> str:
    """``text`` with every run of more than CLIP_ABOVE non-blank characters clipped."""
    if len(text) <= CLIP_ABOVE:
        return text
    return _LONG_TOKEN.sub(lambda m: clip(m.group()), text)


def json_value(value: Any) -> str:
    """A document's value as the user wrote it in JSON (``null``, ``true``,
    ``"300"``), clipped; never a Python repr (``None``, ``True``)."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError:  # NaN/Infinity: refused when the document is read
        text = f"<{type(value).__name__}>"
    return clip(text)


def printable(text: str) -> str:
    """``text`` safe to print: a lone surrogate (JSON's ``"\\ud800"``, which
    no encoding can write) becomes its ``\\ud800`` escape."""
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Location(NamedTuple):
    """Where a problem is: zone, name (relative to the zone), type and source."""

    zone: str  # zone origin without the trailing dot
    name: str  # "@" for the apex, else relative to the zone (or as written)
    rtype: str
    source: str  # the record's `source`, or its position in the document
    document: str = ""  # the file (only shown when several documents are checked)


class Problem(NamedTuple):
    rule: str
    severity: Severity
    location: Location
    message: str
    hint: str = ""

    def sort_key(self) -> tuple[str, str, str, str, str, str, str, str]:
        loc = self.location
        return (
            loc.document,
            loc.zone,
            loc.name,
            loc.rtype,
            self.rule,
            self.message,
            loc.source,
            str(self.severity),
        )

    def to_text(self, *, show_document: bool = False) -> str:
        loc = self.location
        # A problem with no zone is about a whole document: always say which.
        doc = f"{loc.document}: " if loc.document and (show_document or not loc.zone) else ""
        where = f"{loc.zone}: {loc.name} {loc.rtype}".rstrip() if loc.zone else ""
        source = f"({loc.source})" if loc.source else ""
        head = " ".join(part for part in (where, source) if part)
        text = f"{self.severity}[{self.rule}] {doc}{head}: {self.message}"
        if self.hint:
            text += f"\n    help: {self.hint}"
        return printable(_clip_tokens(text))  # a message may quote a document's lone surrogate

    def to_json(self) -> dict[str, str]:
        loc = self.location
        return {
            "severity": str(self.severity),
            "rule": self.rule,
            "zone": clip(loc.zone),
            "name": clip(loc.name),
            "type": clip(loc.rtype),
            "source": clip(loc.source),
            "document": loc.document,
            "message": _clip_tokens(self.message),
            "hint": _clip_tokens(self.hint),
        }
