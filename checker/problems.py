"""Problems the checker reports: rule id, severity, location and a fix."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


def printable(text: str) -> str:
    """``text`` safe to print: a lone surrogate (JSON's ``"\\ud800"``, which
    no encoding can write) becomes its ``\\ud800`` escape."""
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a problem is: zone, name (relative to the zone), type and source."""

    zone: str  # zone origin without the trailing dot
    name: str  # "@" for the apex, else relative to the zone (or as written)
    rtype: str
    source: str  # the record's `source`, or its position in the document
    document: str = ""  # the file (only shown when several documents are checked)


@dataclass(frozen=True, slots=True)
class Problem:
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
        return printable(text)  # a message may quote a document's lone surrogate

    def to_json(self) -> dict[str, str]:
        loc = self.location
        return {
            "severity": str(self.severity),
            "rule": self.rule,
            "zone": loc.zone,
            "name": loc.name,
            "type": loc.rtype,
            "source": loc.source,
            "document": loc.document,
            "message": self.message,
            "hint": self.hint,
        }
