"""dns-static-check end to end: exit codes, output formats, several documents."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from checker.cli import main
from tests.checker.helpers import document, rec

ROOT = Path(__file__).resolve().parents[2]
ROUTY = ROOT / "examples" / "routy.json"


def write(tmp_path: Path, name: str, doc: Any) -> str:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(path)


def test_users_example_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(ROUTY)]) == 0
    out = capsys.readouterr().out
    # 10.0.0.1 (routy) has no PTR in the declared 10.in-addr.arpa: the only remark.
    assert out.splitlines()[0].startswith("warning[ptr-missing] internal: routy A ")
    assert out.rstrip().endswith("ok: 0 errors, 1 warning (17 records in 3 zones)")


def test_strict_turns_warnings_into_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--strict", str(ROUTY)]) == 1
    assert "error[ptr-missing]" in capsys.readouterr().out


def test_invalid_records_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = document(
        {
            "internal": [
                rec("@", "NS", "ns0.internal."),
                rec("ns0", "A", "10.0.0.53"),
                rec("dns", "CNAME", "ns0.internal."),
                rec("dns", "A", "10.0.0.5"),
                rec("x", "SOA", "a b 1 2 3 4 5"),
            ]
        }
    )
    assert main([write(tmp_path, "bad.json", bad)]) == 1
    out = capsys.readouterr().out
    assert "error[cname-coexistence] internal: dns CNAME (internal:2): " in out
    assert "    help: " in out
    assert "error[unsupported-type] internal: x SOA (internal:4): " in out
    assert out.rstrip().endswith("invalid: 2 errors, 0 warnings (4 records in 1 zone)")


def test_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = document(
        {
            "internal": [
                rec("@", "NS", "ns0.internal."),
                rec("@", "MX", "10 dns"),
                rec("dns", "CNAME", "@"),
            ]
        }
    )
    assert main(["--format", "json", write(tmp_path, "d.json", doc)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is False
    assert data["errors"] == 1
    assert data["warnings"] == 1
    rules = {p["rule"]: p for p in data["problems"]}
    assert set(rules) == {"cname-target", "ns-glue-missing"}
    assert rules["cname-target"]["source"] == "internal:1"
    assert rules["ns-glue-missing"]["severity"] == "warning"
    assert set(rules["cname-target"]) >= {"zone", "name", "type", "document", "message", "hint"}


def test_json_format_on_unusable_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--format", "json", write(tmp_path, "x.json", "{")]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["valid"] is False
    assert "not valid JSON" in captured.err


def test_several_documents(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write(tmp_path, "a.json", document({"internal": [rec("w", "A", "10.0.0.1")]}))
    b = write(
        tmp_path, "b.json", document({"internal": [rec("w", "A", "10.0.0.2")]}, managed_by="hb")
    )
    assert main([a, b]) == 1
    out = capsys.readouterr().out
    assert f"error[owner-collision] {a}: internal: w A (internal:0): " in out
    assert f"error[owner-collision] {b}: internal: w A (internal:0): " in out
    assert "from 2 documents" in out
    c = write(
        tmp_path, "c.json", document({"internal": [rec("v", "A", "10.0.0.3")]}, managed_by="hc")
    )
    assert main([a, c]) == 0


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{", "not valid JSON"),
        (b'{"a": "\xff"}', "not UTF-8"),
        ("[]", "must be a JSON object"),
        ('{"version": 2, "owner": {}, "zones": {}}', "version 2 is not supported"),
        ('{"owner": {}, "zones": {}}', 'no "version"'),
        ('{"version": 1, "owner": {"prefix": "nix"}, "zones": {}}', "owner.managedBy"),
        (
            '{"version": 1, "owner": {"prefix": "n", "managedBy": "r"}, "zones": {"a": []}}',
            "records",
        ),
        ("[" * 100000, "nested too deeply"),
    ],
)
def test_unusable_input_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes, says: str
) -> None:
    path = tmp_path / "doc.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    assert main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"error: {path}: ")
    assert says in err


def test_missing_file_and_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nope.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main([str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(write(tmp_path, "d.json", document({})))
    path.chmod(0)
    assert main([str(path)]) == 2
    assert "permission denied" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["--format", "yaml", "x.json"], ["--bogus", "x.json"]])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage: dns-static-check" in capsys.readouterr().err


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "checker", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_python_dash_m(tmp_path: Path) -> None:
    ok = _run(str(ROUTY))
    assert ok.returncode == 0, ok.stderr
    assert "ok: 0 errors" in ok.stdout
    assert ok.stderr == ""
    bad = _run(write(tmp_path, "b.json", document({"internal": [rec("@", "CNAME", "x.")]})))
    assert bad.returncode == 1
    assert "error[cname-apex]" in bad.stdout
    broken = _run(write(tmp_path, "c.json", "{"))
    assert broken.returncode == 2
    assert "Traceback" not in broken.stderr
    usage = _run()
    assert usage.returncode == 2
    assert "usage:" in usage.stderr


def test_unreadable_file_reported_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same as test_unreadable_file, for when the tests run as root."""

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", denied)
    assert main([str(tmp_path / "d.json")]) == 2
    assert "permission denied" in capsys.readouterr().err
