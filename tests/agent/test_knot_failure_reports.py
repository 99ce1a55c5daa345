"""Honest failure reports against a real knotd: a refused UPDATE changed
nothing, a metrics path that is no regular file is refused before anything is
sent, and a second signal does not cut the failure report short."""

from __future__ import annotations

import os
import signal
import socket
import stat
from pathlib import Path
from typing import Any

import pytest

import agent.cli as cli_module
import agent.dns_io as dns_io_module
from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.fixtures.knot import KnotFactory, KnotServer

pytestmark = pytest.mark.knot

ZONE = "lan.test"
NS = rec("@", "NS", "ns0.internal.", 3600)


def test_a_refused_update_says_nothing_was_changed(
    knot_factory: KnotFactory, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Knot answers NOTAUTH (the key may not change MX): the answer came, so
    nothing of the message was applied -- not "may have been applied"."""
    knot = knot_factory(zones=(ZONE,), update_types=("A", "AAAA", "CNAME", "TXT"))
    agent = AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)
    path = write_document(
        tmp_path / "d.json", document({ZONE: [NS, rec("@", "MX", "10 mail.lan.test.")]})
    )
    before = knot.axfr(ZONE)
    code, _, err = agent("apply", path)
    assert code == 1, err
    assert "(NOTAUTH" in err, err
    assert err.rstrip().endswith("nothing was changed"), err
    assert "may have been applied" not in err, err
    assert "partly changed" not in err, err
    assert knot.axfr(ZONE) == before


def _special_file(path: Path, kind: str) -> None:
    """A device node (a copy of /dev/null: the real one is never used, a
    regression would replace it), a FIFO or a socket at `path`."""
    if kind == "device":
        try:
            os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        except PermissionError:
            pytest.skip("making a device node needs root")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(path))


@pytest.mark.parametrize("kind", ["device", "fifo", "socket"])
def test_a_metrics_path_that_is_no_regular_file_is_refused_before_sending(
    knot: KnotServer, capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    zone = "internal"
    agent = AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)
    path = write_document(tmp_path / "d.json", document({zone: [rec("nas", "A", "10.0.0.5")]}))
    metrics = tmp_path / "metrics.prom"
    _special_file(metrics, kind)
    mode = metrics.lstat().st_mode
    before = knot.axfr(zone)
    code, _, err = agent("apply", path, "--metrics-file", str(metrics))
    assert code == 2, err
    assert err.count("\n") == 1, err
    assert "not a regular file" in err, err
    assert knot.axfr(zone) == before
    assert metrics.lstat().st_mode == mode  # neither replaced nor removed


def test_a_backup_dir_that_is_a_file_is_refused_before_sending(
    knot: KnotServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    zone = "internal"
    agent = AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)
    path = write_document(tmp_path / "d.json", document({zone: [rec("nas", "A", "10.0.0.5")]}))
    backups = tmp_path / "backups"
    backups.write_text("")
    before = knot.axfr(zone)
    code, _, err = agent("apply", path, "--backup-dir", str(backups))
    assert code == 2, err
    assert err.count("\n") == 1, err
    assert "not a directory" in err, err
    assert knot.axfr(zone) == before


def test_a_second_sigterm_does_not_cut_the_failure_report_short(
    knot: KnotServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGTERM right after an UPDATE went out; another SIGTERM arrives while
    the report is written: the failure metrics and the line saying what was
    sent are still written."""
    zone = "internal"
    agent = AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)
    path = write_document(
        tmp_path / "d.json",
        document({zone: [rec("nas", "A", "10.0.0.5"), rec("pc", "A", "10.0.0.6")]}),
    )
    metrics = tmp_path / "m.prom"
    metrics.write_text(f'dns_static_records_sync_success{{zone="{zone}"}} 1\n')
    send, write = dns_io_module.send_update, cli_module._write_metrics

    def send_then_terminated(*args: Any) -> None:
        send(*args)
        os.kill(os.getpid(), signal.SIGTERM)

    def write_interrupted(*args: Any) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # the second signal, while reporting
        write(*args)

    monkeypatch.setattr("agent.applier.send_update", send_then_terminated)
    monkeypatch.setattr(cli_module, "_write_metrics", write_interrupted)
    code, _, err = agent("apply", path, "--metrics-file", str(metrics))
    assert code == 143, err
    assert "interrupted after the server had acknowledged" in err, err
    assert "terminated (SIGTERM)" in err, err
    text = metrics.read_text()
    assert f'dns_static_records_sync_success{{zone="{zone}"}} 0' in text, text
    assert signal.getsignal(signal.SIGTERM) is not signal.SIG_IGN
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN


def test_each_acknowledged_message_is_logged_before_the_next_is_sent(
    knot: KnotServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run killed between two messages (SIGKILL, the OOM killer) has already
    logged every change the server acknowledged: the change lines of a message
    are written as soon as its answer comes, not after the last message."""
    zone = "internal"
    agent = AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)
    records = [rec(f"host{i}", "A", f"10.0.{i // 250}.{i % 250}") for i in range(600)]
    path = write_document(tmp_path / "d.json", document({zone: records}))
    send = dns_io_module.send_update
    logged_before_send: list[str] = []

    def send_watched(*args: Any) -> None:
        logged_before_send.append(capsys.readouterr().err)
        send(*args)

    monkeypatch.setattr("agent.applier.send_update", send_watched)
    code, _, err = agent("apply", path)
    assert code == 0, err
    assert len(logged_before_send) >= 2, "the test needs the changes to take several messages"
    assert f"{zone}: + host0 A" not in logged_before_send[0]
    assert f"{zone}: + host0 A" in "".join(logged_before_send[1:])
