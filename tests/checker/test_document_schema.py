"""The document's schema at every level, and how values appear in messages
(tester findings 9, 11, 12 after issue 10): unknown keys are unusable input,
NaN/Infinity are not JSON, values are quoted as JSON and clipped when huge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.document import InputError, parse_document
from checker.problems import CLIP_ABOVE, clip, json_value
from tests.checker.helpers import run_checker

OWNER = '"owner": {"prefix": "nix", "managedBy": "routy"}'
ZONES = '"zones": {"internal": {"records": [{"name": "ns0", "type": "A", "data": "10.0.0.53"}]}}'


def _doc(*parts: str) -> str:
    return "{" + ", ".join(('"version": 1', *parts)) + "}"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        pytest.param(
            _doc(OWNER, '"zonez": {}', ZONES),
            'the document has unknown key(s) "zonez"',
            id="document-key",
        ),
        pytest.param(
            _doc('"owner": {"prefix": "nix", "managedBy": "r", "extra": 1}', ZONES),
            '"owner" has unknown key(s) "extra"',
            id="owner-key",
        ),
        pytest.param(
            _doc(OWNER, '"defaults": {"tll": 60}', ZONES),
            '"defaults" has unknown key(s) "tll"; known: ttl',
            id="defaults-typo",
        ),
        pytest.param(
            _doc(OWNER, '"zones": {"internal": {"records": [], "ttl": 5}}'),
            'zone "internal" has unknown key(s) "ttl"; known: records',
            id="zone-key",
        ),
        pytest.param(
            _doc(OWNER, ZONES, '"exceptions": null'),
            '"exceptions" must be a list',
            id="exceptions-null",
        ),
        pytest.param(
            _doc(OWNER, ZONES, '"defaults": {"ttl": NaN}'),
            "not valid JSON: NaN is not a JSON value",
            id="nan",
        ),
        pytest.param(
            _doc(OWNER, ZONES, '"defaults": {"ttl": -Infinity}'),
            "not valid JSON: -Infinity is not a JSON value",
            id="minus-infinity",
        ),
        pytest.param(
            '{"version": NaN}', "not valid JSON: NaN is not a JSON value", id="version-nan"
        ),
        pytest.param(
            _doc(OWNER, ZONES, '"' + "k" * 5000 + '": 1'),
            '"' + "k" * 79 + "…(5002 characters)",
            id="huge-unknown-key-clipped",
        ),
    ],
)
def test_unusable_document(text: str, says: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_document(text, "d.json")
    message = str(raised.value)
    assert says in message
    assert len(message) < 1000


def test_known_keys_at_every_level_pass() -> None:
    text = _doc(
        OWNER,
        '"defaults": {"ttl": 60}',
        '"externalDns": {"layouts": [{}]}',
        ZONES,
        '"exceptions": []',
    )
    assert parse_document(text, "d.json")["defaults"] == {"ttl": 60}


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        ("300", '"300"'),
        (300.5, "300.5"),
        ([1], "[1]"),
        ({"s": 1}, '{"s": 1}'),
        ("x" * 5000, '"' + "x" * 79 + "…(5002 characters)"),
    ],
)
def test_json_value_is_json_and_clipped(value: object, shown: str) -> None:
    assert json_value(value) == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a" * CLIP_ABOVE, "a" * CLIP_ABOVE),
        ("a" * (CLIP_ABOVE + 1), "a" * 80 + "…(513 characters)"),
    ],
)
def test_clip(text: str, shown: str) -> None:
    assert clip(text) == shown


@pytest.mark.parametrize(
    ("ttl", "says"),
    [
        ("null", "TTL null is not"),
        ("true", "TTL true is not"),
        ('"300"', 'TTL "300" is not'),
        ("9" * 4000, "TTL " + "9" * 80 + "…(4000 characters) is not"),
    ],
)
def test_record_ttl_is_quoted_as_json(tmp_path: Path, ttl: str, says: str) -> None:
    text = _doc(
        OWNER,
        '"zones": {"internal": {"records": [{"name": "a", "type": "A", "data": "10.0.0.1", '
        f'"ttl": {ttl}}}]}}}}',
    )
    done = run_checker(tmp_path, text)
    assert done.returncode == 1, done.stderr
    assert says in done.stdout, done.stdout
    assert len(done.stdout) < 2000


def test_defaults_ttl_is_quoted_as_json(tmp_path: Path) -> None:
    done = run_checker(tmp_path, _doc(OWNER, '"defaults": {"ttl": null}', ZONES))
    assert "defaults.ttl null is not" in done.stdout + done.stderr


def test_huge_owner_name_is_clipped_in_text_and_json(tmp_path: Path) -> None:
    name = "x" * 200_000
    record = {"name": name, "type": "A", "data": "10.0.0.1"}
    text = _doc(OWNER, '"zones": {"internal": {"records": [' + json.dumps(record) + "]}}")
    done = run_checker(tmp_path, text)
    assert done.returncode == 1, done.stderr
    assert "error[name-syntax] internal: " + "x" * 80 + "…(200000 characters) A" in done.stdout
    assert len(done.stdout) < 2000
    as_json = run_checker(tmp_path, text, "--format", "json")
    assert len(as_json.stdout) < 4000
    problem = json.loads(as_json.stdout)["problems"][0]
    assert problem["name"] == "x" * 80 + "…(200000 characters)"
