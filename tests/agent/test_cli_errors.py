"""Error paths: one clear line, the right exit code, the zone unchanged and
the secret never shown."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest

from tests.agent.helpers import AgentRun, document, rec, too_big_for_one_message, write_document
from tests.fixtures.knot import KnotServer

NS = rec("@", "NS", "ns0.internal.", 3600)


def _doc(tmp_path: Path, zone: str = "internal") -> Path:
    return write_document(tmp_path / "d.json", document({zone: [NS, rec("www", "A", "10.0.0.80")]}))


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


# -- usage and input errors: no network I/O at all (port 9 would fail with 1) --------


@pytest.fixture
def offline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> AgentRun:
    key = tmp_path / "k.key"
    key.write_text("hmac-sha256:update:" + base64.b64encode(b"x" * 32).decode() + "\n")
    return AgentRun("127.0.0.1", 9, key, capsys)


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "--force"],
        ["plan", "--dry-run"],
        ["plan", "--metrics-file", "m"],
        ["apply", "--max-delete-fraction", "2"],
        ["apply", "--on-conflict", "ignore"],
        ["apply", "--zone", "example.org"],
    ],
)
def test_usage_errors_exit_2_before_any_io(
    offline: AgentRun, tmp_path: Path, argv: list[str]
) -> None:
    code, out, err = offline(argv[0], _doc(tmp_path), *argv[1:])
    assert code == 2
    assert out == ""
    _one_error_line(err)


def test_zone_not_in_document_names_the_zones(offline: AgentRun, tmp_path: Path) -> None:
    code, _, err = offline("plan", _doc(tmp_path), "--zone", "other")
    assert code == 2
    assert "internal" in _one_error_line(err)


def test_document_with_checker_errors_is_refused(offline: AgentRun, tmp_path: Path) -> None:
    bad = document({"internal": [rec("www", "CNAME", "a.internal."), rec("www", "A", "10.0.0.1")]})
    code, _, err = offline("apply", write_document(tmp_path / "bad.json", bad))
    assert code == 1
    assert "dns-static-check" in _one_error_line(err)


def test_unreadable_document_and_key_file(offline: AgentRun, tmp_path: Path) -> None:
    code, _, err = offline("plan", tmp_path / "missing.json")
    assert code == 1
    _one_error_line(err)
    offline.key_file = tmp_path / "missing.key"
    code, _, err = offline("plan", _doc(tmp_path))
    assert code == 1
    assert "key file" in _one_error_line(err)


# -- server-side failures ------------------------------------------------------------


def _key_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.key"
    path.write_text(text + "\n")
    return path


@pytest.mark.knot
@pytest.mark.parametrize("case", ["wrong-secret", "wrong-algorithm", "unknown-key", "acl-denied"])
def test_tsig_failures_exit_1_with_one_line_and_no_secret(
    knot: KnotServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    fake_secret = base64.b64encode(secrets.token_bytes(32)).decode()
    real_secret = knot.key_secret_b64("update")
    if case == "wrong-secret":
        key = _key_file(tmp_path, f"hmac-sha256:update:{fake_secret}")
    elif case == "wrong-algorithm":
        key = _key_file(tmp_path, f"hmac-sha512:update:{real_secret}")
    elif case == "unknown-key":
        key = _key_file(tmp_path, f"hmac-sha256:nobody:{fake_secret}")
    else:
        key = knot.key_file("bind", "other")  # known, but its ACL denies zone internal
    run = AgentRun(knot.server, knot.port, key, capsys)
    before = knot.axfr("internal")
    for command in ("plan", "apply"):
        code, out, err = run(command, _doc(tmp_path))
        assert code == 1, (command, err)
        line = _one_error_line(err)
        for secret in (fake_secret, real_secret, knot.key_secret_b64("other")):
            assert secret not in out + err
        assert "TSIG" in line or "key" in line
    assert knot.axfr("internal") == before


@pytest.mark.knot
def test_zone_the_server_does_not_serve(
    knot: KnotServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = AgentRun(knot.server, knot.port, knot.key_file("keymgr"), capsys)
    code, _, err = run("apply", _doc(tmp_path, zone="example.org"))
    assert code == 1
    assert "example.org" in _one_error_line(err)
    assert knot.key_secret_b64() not in err


@pytest.mark.knot
def test_stopped_server(
    knot: KnotServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = AgentRun(knot.server, knot.port, knot.key_file("one-line"), capsys)
    path = _doc(tmp_path)
    metrics = tmp_path / "m.prom"
    knot.stop()
    code, _, err = run("apply", path, "--metrics-file", str(metrics))
    assert code == 1
    assert "connect" in _one_error_line(err) or "refused" in err
    text = metrics.read_text()
    assert 'dns_static_records_sync_success{zone="internal"} 0' in text
    assert 'dns_static_records_errors_total{zone="internal"} 1' in text
    knot.start()
    assert knot.serial("internal") == 1


def test_unexpected_exception_is_one_line_unless_debug(
    offline: AgentRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import agent.cli

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(agent.cli, "read_and_plan", boom)
    code, _, err = offline("plan", _doc(tmp_path))
    assert code == 1
    assert "boom" in _one_error_line(err)
    monkeypatch.setenv("DNS_STATIC_DEBUG", "1")
    code, _, err = offline("plan", _doc(tmp_path))
    assert code == 1
    assert "Traceback" in err


@pytest.mark.knot
def test_a_name_too_big_for_one_message_is_refused_before_anything_is_sent(
    knot: KnotServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = too_big_for_one_message("big")
    zones = {
        "internal": [NS, rec("www", "A", "10.0.0.80")],  # fine, and first
        "s3.garage.internal": [rec("@", "NS", "ns0.internal.", 3600), *big],
    }
    path = write_document(tmp_path / "d.json", document(zones))
    run = AgentRun(knot.server, knot.port, knot.key_file("keymgr"), capsys)
    before = {zone: knot.axfr(zone) for zone in zones}
    backups = tmp_path / "backups"
    code, _, err = run("apply", path, "--backup-dir", str(backups))
    assert code == 1
    line = _one_error_line(err)
    assert "big.s3.garage.internal." in line
    assert "65,535" in line
    assert {zone: knot.axfr(zone) for zone in zones} == before  # not even zone internal
    assert not backups.exists() or not any(backups.iterdir())
