"""No input ends in a traceback: unusable documents exit 2 with one line, bad
records are reported with their path like any other problem (issue 10)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.cli import main
from tests.checker.helpers import document, rec, run_checker

HEAD = '{"version": 1, "owner": {"prefix": "nix", "managedBy": "routy"}, '


@pytest.mark.parametrize(
    ("text", "says"),
    [
        pytest.param('{"version": ' + "1" * 5000 + "}", "more than 4300 digits", id="huge-version"),
        pytest.param(
            HEAD + '"zones": {"internal": {"records": []}, "internal": {"records": []}}}',
            '"zones" names "internal" more than once',
            id="zone-twice",
        ),
        pytest.param(
            '{"version": 1, "version": 1, "owner": {"prefix": "nix", "managedBy": "r"}, '
            '"zones": {}}',
            'the document names "version" more than once',
            id="top-level-key-twice",
        ),
        pytest.param(
            HEAD + '"zones": {}, "exceptions": {}}', '"exceptions" must be a list', id="exc"
        ),
    ],
)
def test_unusable_document_exits_2_with_one_line(tmp_path: Path, text: str, says: str) -> None:
    done = run_checker(tmp_path, text)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert says in lines[0]


def _zone(records: str) -> str:
    return HEAD + '"zones": {"internal": {"records": [' + records + "]}}}"


@pytest.mark.parametrize(
    ("records", "found"),
    [
        pytest.param(
            '{"name": "a\\ud800", "type": "A", "data": "10.0.0.1", "source": "s.a"}',
            'error[record-schema] internal: a\\ud800 A (s.a): "name" holds a lone UTF-16',
            id="surrogate-name",
        ),
        pytest.param(
            '{"name": "t", "type": "TXT", "data": "\\"x\\udfff\\"", "source": "s.t"}',
            'error[record-schema] internal: t TXT (s.t): "data" holds a lone UTF-16',
            id="surrogate-txt",
        ),
        pytest.param(
            '{"name": "t", "type": "A", "data": "10.0.0.1", "source": "\\ud800"}',
            'error[record-schema] internal: t A (zones["internal"].records[0]): "source"',
            id="surrogate-source",
        ),
        pytest.param(
            '{"name": "d", "type": "A", "data": "10.0.0.1", "data": "10.0.0.2", "source": "s.d"}',
            'error[record-schema] internal: d A (s.d): the record names "data" more than once',
            id="duplicate-data",
        ),
        pytest.param(
            '{"name": "u", "type": "A", "data": "10.0.0.1", "\\udc00": 1, "source": "s.u"}',
            'error[record-schema] internal: u A (s.u): unknown field(s) "\\udc00"',
            id="surrogate-key",
        ),
    ],
)
def test_bad_record_is_a_problem_with_its_path(tmp_path: Path, records: str, found: str) -> None:
    good = '{"name": "ok", "type": "A", "data": "10.0.0.9"}'
    done = run_checker(tmp_path, _zone(records + ", " + good))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert found in done.stdout, done.stdout
    assert "1 error" in done.stdout.splitlines()[-1]
    json_done = run_checker(tmp_path, _zone(records + ", " + good), "--format", "json")
    assert json_done.returncode == 1
    assert json.loads(json_done.stdout)["errors"] == 1


def test_surrogate_in_zone_name_is_a_zone_problem(tmp_path: Path) -> None:
    done = run_checker(tmp_path, HEAD + '"zones": {"int\\ud800ernal": {"records": []}}}')
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "error[zone-name] int\\ud800ernal" in done.stdout


def test_surrogate_in_owner_is_an_owner_problem(tmp_path: Path) -> None:
    text = json.dumps(document({"internal": [rec("a", "A", "10.0.0.1")]}))
    text = text.replace('"routy"', '"rou\\ud800ty"')
    done = run_checker(tmp_path, text)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "error[owner-config]" in done.stdout


hostile_text = st.text(
    alphabet=st.sampled_from(["a", "0", ".", " ", '"', "\\", "\ud800", "\udfff", "é", "@", "*"]),
    max_size=10,
)
hostile_value = hostile_text | st.integers() | st.none() | st.floats() | st.lists(hostile_text)
hostile_record = st.dictionaries(
    st.sampled_from(["name", "type", "data", "ttl", "source", "\ud800"]) | hostile_text,
    hostile_value | st.sampled_from(["A", "PTR", "TXT"]),
    max_size=6,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    records=st.lists(hostile_record, max_size=4),
    zone=hostile_text | st.just("internal"),
    repeat=st.booleans(),
)
def test_hostile_documents_never_raise(
    records: list[dict[str, Any]], zone: str, repeat: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = {
        "version": 1,
        "owner": {"prefix": "nix", "managedBy": "r"},
        "zones": {zone: {"records": records}},
        "exceptions": [{"rule": "ptr-missing", "zone": zone, "name": "\ud800", "reason": "x"}],
    }
    text = json.dumps(doc)  # lone surrogates become \\ud800 escapes, as an attacker writes them
    if repeat and records:
        text = text.replace('"records": [{', '"records": [{"name": "dup", "name": "dup", ', 1)
    path = _write(text)
    try:
        code = main([path])
    finally:
        Path(path).unlink()
    assert code in (0, 1, 2)
    capsys.readouterr()


def _write(text: str) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        handle.write(text)
    return handle.name
