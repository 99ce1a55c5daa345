"""Field cases replayed against a real knotd (issue 9): marker TTLs, the owner
prefix's case, signed zones, failures after sending, signals, unwritable
metrics and backup paths."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.fixtures.knot import KnotServer
from tests.fixtures.relay import RelayFactory

pytestmark = pytest.mark.knot

NS = rec("@", "NS", "ns0.internal.", 3600)


@pytest.fixture
def agent(knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> AgentRun:
    return AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)


def rrs(knot: KnotServer, zone: str = "internal") -> list[str]:
    return [" ".join(line.split()) for line in knot.axfr(zone)[1:]]


def doc_file(tmp_path: Path, records: list[dict[str, Any]], ttl: int = 300) -> Path:
    return write_document(tmp_path / "desired.json", document({"internal": records}, ttl=ttl))


def test_markers_follow_defaults_ttl(knot: KnotServer, agent: AgentRun, tmp_path: Path) -> None:
    """Input 7: markers use defaults.ttl (contract §3), also after it changes."""
    records = [NS, rec("www", "A", "10.0.0.80", 300), rec("www", "TXT", '"hi"', 300)]
    assert agent("apply", doc_file(tmp_path, records))[0] == 0
    assert 'nix.www.internal. 300 IN TXT "heritage=nix,managed-by=routy,type=A"' in rrs(knot)

    path = doc_file(tmp_path, records, ttl=600)
    code, out, _ = agent("plan", path)
    assert code == 4
    assert "~ www A ownership marker TTL → 600" in out
    code, out, err = agent("apply", path)
    assert code == 0, err
    markers = [ln for ln in rrs(knot) if ln.startswith("nix.")]
    assert markers
    assert all(" 600 IN TXT " in ln for ln in markers), markers
    assert "www.internal. 300 IN A 10.0.0.80" in rrs(knot)
    assert agent("plan", path)[0] == 0


def test_classify_owner_prefix_is_case_insensitive(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    """Input 7: ``--owner-prefix NIX`` finds our records with their markers."""
    assert agent("apply", doc_file(tmp_path, [NS, rec("www", "A", "10.0.0.80")]))[0] == 0
    code, out, err = agent(
        "classify", None, "--zone", "internal", "--owner-prefix", "NIX", "--format", "json"
    )
    assert code == 0, err
    rows = {(r["name"], r["type"]): r["category"] for r in json.loads(out)}
    assert rows[("www.internal.", "A")] == "ours"
    assert rows[("nix.www.internal.", "TXT")] == "ours"


# -- input 5: what was sent is reported after a late failure --------------------------


def _metrics(path: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def test_verification_read_cut_off_reports_what_was_sent(
    knot: KnotServer,
    relay_factory: RelayFactory,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    relay = relay_factory(knot.port, cut_axfr={2})  # 1: pre-flight read, 2: verification
    agent = AgentRun(knot.server, relay.port, knot.key_file("bind"), capsys)
    records = [NS, rec("routy", "A", "10.0.0.1"), rec("ns1", "A", "10.1.0.53")]
    records.append(rec("dns", "CNAME", "ns0.internal."))
    metrics = tmp_path / "m.prom"
    code, _, err = agent("apply", doc_file(tmp_path, records), "--metrics-file", str(metrics))
    assert code == 1
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, err
    assert "nothing was changed" not in lines[0]
    assert "acknowledged 3 add, 0 delete, 0 update, 1 adopt" in lines[0]
    assert "in 1 message(s)" in lines[0]
    assert "routy.internal. 300 IN A 10.0.0.1" in rrs(knot)
    values = _metrics(metrics)
    assert values['dns_static_records_sync_success{zone="internal"}'] == 0
    assert values['dns_static_records_changes{zone="internal",action="add"}'] == 3
    assert values['dns_static_records_changes{zone="internal",action="adopt"}'] == 1


def test_server_dying_mid_apply_reports_the_acknowledged_messages(
    knot: KnotServer,
    relay_factory: RelayFactory,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    def die(number: int) -> None:
        if number == 1:
            knot.kill9()

    relay = relay_factory(knot.port, after_update=die)
    agent = AgentRun(knot.server, relay.port, knot.key_file("bind"), capsys)
    records = [NS] + [rec(f"h{i}", "A", f"10.7.{i >> 8}.{i & 255}") for i in range(1500)]
    metrics = tmp_path / "m.prom"
    code, _, err = agent(
        "apply", doc_file(tmp_path, records), "--metrics-file", str(metrics), "--force"
    )
    assert code == 1
    line = next(ln for ln in err.splitlines() if ln.startswith("error:"))
    assert "in 1 message(s)" in line, line
    knot.start()
    landed = sum(1 for ln in rrs(knot) if ln.startswith("h") and " IN A " in ln)
    assert 0 < landed < 1500
    values = _metrics(metrics)
    assert values['dns_static_records_sync_success{zone="internal"}'] == 0
    sent = values['dns_static_records_changes{zone="internal",action="add"}']
    sent += values['dns_static_records_changes{zone="internal",action="adopt"}']
    assert sent == landed + 1  # the adopted apex NS travelled in the first message too


# -- input 6: SIGTERM ------------------------------------------------------------------


def test_sigterm_exits_143_with_metrics_and_no_temp_files(knot: KnotServer, tmp_path: Path) -> None:
    """systemd's stop: one line, exit 143, metrics say the run failed, and no
    temp file stays behind; stale ones of earlier killed runs are removed."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    metrics = tmp_path / "metrics" / "m.prom"
    metrics.parent.mkdir()
    metrics.write_text('dns_static_records_sync_success{zone="internal"} 1\n')
    stale = metrics.parent / ".m.prom.abcd1234.tmp"
    stale.write_text("left by a SIGKILLed run")
    backups = tmp_path / "backups"
    backups.mkdir()
    stale_backup = backups / ".internal.4194999.abcd1234.tmp"  # above pid_max
    stale_backup.write_text("left by a SIGKILLed run")
    path = doc_file(tmp_path, [NS, rec("www", "A", "10.0.0.80")])
    argv = [sys.executable, "-m", "agent", "apply", "--desired", str(path)]
    argv += ["--server", "127.0.0.1", "--port", str(silent.getsockname()[1])]
    argv += ["--key-file", str(knot.key_file("bind")), "--timeout", "60"]
    argv += ["--metrics-file", str(metrics), "--backup-dir", str(backups)]
    with silent:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            silent.settimeout(30)
            connection, _ = silent.accept()  # the agent is reading the zone now
            with connection:
                process.send_signal(signal.SIGTERM)
                _, stderr = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 143
    errors = [ln for ln in stderr.decode().splitlines() if "error:" in ln]
    assert errors == ["error: terminated (SIGTERM)"], stderr
    assert _metrics(metrics)['dns_static_records_sync_success{zone="internal"}'] == 0
    assert not stale.exists()
    assert not stale_backup.exists()
    assert [p.name for p in metrics.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_sigterm_while_applying_reports_what_was_sent(
    knot: KnotServer, agent: AgentRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM after the UPDATE was acknowledged (during the verification
    read): exit 143, and the run says what it had sent."""
    from agent import applier

    read_back = applier._read_back

    def terminated_read_back(*args: Any) -> Any:
        os.kill(os.getpid(), signal.SIGTERM)
        return read_back(*args)

    monkeypatch.setattr(applier, "_read_back", terminated_read_back)
    path = doc_file(tmp_path, [NS, rec("www", "A", "10.0.0.80")])
    metrics = tmp_path / "m.prom"
    code, _, err = agent("apply", path, "--metrics-file", str(metrics))
    assert code == 143, err
    assert "acknowledged 1 add, 0 delete, 0 update, 1 adopt" in err
    assert "in 1 message(s)" in err
    assert "error: terminated (SIGTERM)" in err
    values = _metrics(metrics)
    assert values['dns_static_records_sync_success{zone="internal"}'] == 0
    assert values['dns_static_records_changes{zone="internal",action="add"}'] == 1


# -- input 8: unwritable paths are found before anything is sent ----------------------


@pytest.mark.parametrize("option", ["--metrics-file", "--backup-dir"])
def test_unwritable_metrics_or_backup_path_stops_before_sending(
    knot: KnotServer, agent: AgentRun, tmp_path: Path, option: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    serial = knot.serial("internal")
    path = doc_file(tmp_path, [NS, rec("www", "A", "10.0.0.80")])
    code, _, err = agent("apply", path, option, str(blocker / "sub" / "x"))
    assert code == 1
    assert "nothing was sent" in err
    assert knot.serial("internal") == serial


def test_metrics_path_that_is_a_directory_stops_before_sending(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    serial = knot.serial("internal")
    path = doc_file(tmp_path, [NS, rec("www", "A", "10.0.0.80")])
    code, _, err = agent("apply", path, "--metrics-file", str(tmp_path))
    assert code == 1
    assert "is a directory" in err
    assert knot.serial("internal") == serial
