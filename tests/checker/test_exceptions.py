"""Reviewed exceptions: accepted findings are listed with their reason, never
dropped; stale and malformed exceptions are reported (issue 10)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from checker.cli import main
from checker.problems import Severity
from tests.checker.helpers import check, document, rec

MULTI_HOMED = {
    "internal": [
        rec("@", "NS", "ns0.internal."),
        rec("ns0", "A", "10.0.0.53"),
        rec("routy", "A", "10.0.0.1"),
    ],
    "10.in-addr.arpa": [
        rec("53.0.0", "PTR", "ns0.internal."),
        rec("1.0.0", "PTR", "routy.internal."),
        rec("1.0.1", "PTR", "routy.internal."),
    ],
}
REASON = "routy is multi-homed; routy.internal. resolves to 10.0.0.1 only"


def _doc(*exceptions: dict[str, Any]) -> dict[str, Any]:
    doc = document(MULTI_HOMED)
    doc["exceptions"] = list(exceptions)
    return doc


def _exception(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "rule": "ptr-mismatch",
        "zone": "10.in-addr.arpa",
        "name": "1.0.1",
        "reason": REASON,
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def test_without_exception_the_multi_homed_router_fails() -> None:
    report = check(_doc())
    assert not report.ok
    assert [p.rule for p in report.problems] == ["ptr-mismatch"]
    assert report.accepted == ()


@pytest.mark.parametrize(
    "exception",
    [
        _exception(),
        _exception(type="PTR"),
        _exception(type="ptr"),
        _exception(zone="10.IN-ADDR.ARPA."),
        _exception(name="1.0.1.10.in-addr.arpa."),
    ],
)
def test_exception_accepts_the_finding(exception: dict[str, Any]) -> None:
    report = check(_doc(exception))
    assert report.ok
    assert report.problems == ()
    assert len(report.accepted) == 1
    accepted = report.accepted[0]
    assert accepted.problem.rule == "ptr-mismatch"
    assert accepted.problem.severity is Severity.ERROR
    assert accepted.exception.reason == REASON
    text = accepted.to_text()
    assert text.startswith("accepted[ptr-mismatch] 10.in-addr.arpa: 1.0.1 PTR ")
    assert f"reason: {REASON} (exceptions[0], was error)" in text


@pytest.mark.parametrize(
    "exception",
    [
        _exception(type="A"),
        _exception(name="1.0.0"),
        _exception(zone="internal", name="routy"),
        _exception(rule="ptr-missing"),
    ],
)
def test_exception_that_matches_nothing_is_stale(exception: dict[str, Any]) -> None:
    report = check(_doc(exception))
    assert not report.ok  # the finding still stands
    rules = sorted((p.rule, p.severity) for p in report.problems)
    assert rules == [("exception-stale", Severity.WARNING), ("ptr-mismatch", Severity.ERROR)]
    stale = next(p for p in report.problems if p.rule == "exception-stale")
    assert stale.location.source == "exceptions[0]"
    assert REASON in stale.message


def test_stale_exception_fails_strict() -> None:
    doc = _doc(_exception(), _exception(name="9.9.9"))
    assert check(doc).ok
    strict = check(doc, strict=True)
    assert [p.rule for p in strict.problems] == ["exception-stale"]
    assert not strict.ok


@pytest.mark.parametrize(
    ("exception", "says"),
    [
        (_exception(reason=None), '"reason" must be a non-empty string'),
        (_exception(reason="  "), '"reason" must be a non-empty string'),
        (_exception(rule="no-such-rule"), 'unknown rule id "no-such-rule"'),
        (_exception(rule="cname-coexistence"), "cannot be accepted"),
        (_exception(rule="record-schema"), "cannot be accepted"),
        (_exception(name="a..b"), "empty label"),
        (_exception(zone="internal", name="x.example."), "is not inside zone internal"),
        (_exception(color="red"), 'unknown field(s) "color"'),
        (_exception(type=5), '"type" must be a non-empty string'),
        ("ptr-mismatch", "must be a JSON object"),
    ],
)
def test_malformed_exception_is_an_error(exception: Any, says: str) -> None:
    report = check(_doc(exception))
    invalid = [p for p in report.problems if p.rule == "exception-invalid"]
    assert len(invalid) == 1, report.problems
    assert says in invalid[0].message
    assert invalid[0].severity is Severity.ERROR
    assert invalid[0].location.source == "exceptions[0]"
    assert report.accepted == ()


def test_exception_accepts_only_its_own_documents_findings() -> None:
    other = document({"internal": [rec("x", "TXT", '"x"')]}, managed_by="other")
    other["exceptions"] = [_exception()]
    report = check(_doc(), other)
    assert {p.rule for p in report.problems} == {"ptr-mismatch", "exception-stale"}


def test_cli_prints_accepted_and_counts_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    path = tmp_path / "doc.json"
    path.write_text(json.dumps(_doc(_exception())))
    assert main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "accepted[ptr-mismatch] 10.in-addr.arpa: 1.0.1 PTR" in out
    assert f"    reason: {REASON}" in out
    assert out.rstrip().endswith("ok: 0 errors, 0 warnings, 1 accepted (6 records in 2 zones)")
    assert main(["--format", "json", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is True
    assert data["problems"] == []
    assert data["accepted"][0]["reason"] == REASON
    assert data["accepted"][0]["rule"] == "ptr-mismatch"


@pytest.mark.parametrize(
    ("exception", "says"),
    [
        pytest.param(_exception(type="FOO"), '"type" "FOO" is not a record type', id="type-foo"),
        pytest.param(
            _exception(rule="nope", reason=""),
            'unknown rule id "nope"; the checker',
            id="two-faults-rule",
        ),
        pytest.param(
            _exception(rule="nope", reason=""),
            '"reason" must be a non-empty string, not ""',
            id="two-faults-reason",
        ),
        pytest.param(
            _exception(reason=None, type="FOO", color="red"),
            '"color"; "reason" must be a non-empty string, not null; "type" "FOO"',
            id="three-faults",
        ),
        pytest.param(_exception(source=5), '"source" must be a non-empty string', id="source"),
    ],
)
def test_every_fault_of_an_entry_is_named(exception: dict[str, Any], says: str) -> None:
    report = check(_doc(exception))
    invalid = [p for p in report.problems if p.rule == "exception-invalid"]
    assert len(invalid) == 1, report.problems
    assert says in invalid[0].message
    assert [p.rule for p in report.problems if p.rule == "exception-stale"] == []


def test_repeated_exception_names_the_first() -> None:
    report = check(_doc(_exception(type="PTR"), _exception(type="ptr", reason="again")))
    assert report.ok
    assert len(report.accepted) == 1
    assert report.accepted[0].exception.source == "exceptions[0]"
    [repeat] = report.problems
    assert repeat.rule == "exception-stale"
    assert repeat.location.source == "exceptions[1]"
    assert "repeats exceptions[0]" in repeat.message
    assert "no finding matches" not in repeat.message


def test_source_names_the_module_option() -> None:
    option = "services.dnsStaticRecords.exceptions"
    report = check(
        _doc(
            _exception(source=f"{option}[0]"),
            _exception(name="9.9.9", source=f"{option}[1]"),
            _exception(rule="nope", source=f"{option}[2]"),
        )
    )
    where = {p.rule: p.location.source for p in report.problems}
    assert where == {"exception-stale": f"{option}[1]", "exception-invalid": f"{option}[2]"}
    assert f"({option}[0], was error)" in report.accepted[0].to_text()
