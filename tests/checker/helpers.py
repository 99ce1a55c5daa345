"""Building documents and checking them, for the table tests."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.check import Report, check_documents
from checker.document import DocumentJSON, validate_shape
from checker.problems import Problem, Severity

Zones = dict[str, list[tuple[Any, ...]]]
ROOT = Path(__file__).resolve().parents[2]


def run_checker(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The console program on a document written exactly as given."""
    path = tmp_path / "doc.json"
    path.write_text(text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "checker", *args, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def rec(name: str, rtype: str, data: str, ttl: int | None = None) -> tuple[Any, ...]:
    return (name, rtype, data) if ttl is None else (name, rtype, data, ttl)


def document(zones: Zones, *, managed_by: str = "routy", prefix: str = "nix") -> dict[str, Any]:
    """A document whose records get the source ``<zone>:<index>``."""
    out: dict[str, Any] = {}
    for zone, records in zones.items():
        rendered = []
        for i, item in enumerate(records):
            body: dict[str, Any] = {
                "name": item[0],
                "type": item[1],
                "data": item[2],
                "source": f"{zone}:{i}",
            }
            if len(item) > 3:
                body["ttl"] = item[3]
            rendered.append(body)
        out[zone] = {"records": rendered}
    return {
        "version": 1,
        "owner": {"prefix": prefix, "managedBy": managed_by},
        "defaults": {"ttl": 300},
        "zones": out,
    }


def check(*docs: dict[str, Any], strict: bool = False) -> Report:
    shaped: list[tuple[str, DocumentJSON]] = [
        (f"doc{i}.json", validate_shape(doc, f"doc{i}.json")) for i, doc in enumerate(docs)
    ]
    return check_documents(shaped, strict=strict)


@dataclass(frozen=True)
class Expect:
    """One expected problem: rule, severity, location, and words its message must hold."""

    rule: str
    severity: Severity
    zone: str
    name: str
    rtype: str
    source: str
    says: tuple[str, ...] = ()
    document: str = "doc0.json"


def E(  # noqa: N802 - reads like a table row
    rule: str, zone: str, name: str, rtype: str, source: str, *says: str
) -> Expect:
    return Expect(rule, Severity.ERROR, zone, name, rtype, source, says)


def W(  # noqa: N802
    rule: str, zone: str, name: str, rtype: str, source: str, *says: str
) -> Expect:
    return Expect(rule, Severity.WARNING, zone, name, rtype, source, says)


def key(p: Problem) -> tuple[str, Severity, str, str, str, str]:
    loc = p.location
    return (p.rule, p.severity, loc.zone, loc.name, loc.rtype, loc.source)


def assert_problems(report: Report, expected: list[Expect]) -> None:
    """The report holds exactly the expected problems, each with a fix."""
    got = {key(p): p for p in report.problems}
    want = {(e.rule, e.severity, e.zone, e.name, e.rtype, e.source): e for e in expected}
    assert set(got) == set(want), "\n".join(p.to_text() for p in report.problems)
    for k, e in want.items():
        problem = got[k]
        assert problem.hint, problem.to_text()
        assert problem.location.document == e.document
        for word in e.says:
            assert word in problem.message, f"{word!r} not in: {problem.message}"
