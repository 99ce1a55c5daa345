"""The whole-run bound (``--deadline``) against a server that trickles its answer.

The per-operation ``--timeout`` never fires here: a byte arrives every 0.2 s.
Only the deadline ends the run. The server is a plain TCP listener on
127.0.0.1 that stops by itself after a bounded time.
"""

from __future__ import annotations

import base64
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.cli import main
from agent.deadline import DeadlineExceeded, run_deadline
from tests.agent.helpers import document, rec, write_document

KEY = "hmac-sha256:update:" + base64.b64encode(b"deadline-test-key-not-a-secret!!").decode()
TRICKLE_FOR = 20.0  # the server gives up by itself after this many seconds


@pytest.fixture
def trickle_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that answers every query one byte per 0.2 s."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.5)
    port: int = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        end = time.monotonic() + TRICKLE_FOR
        while not stop.is_set() and time.monotonic() < end:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1.0)
                try:
                    conn.recv(65535)
                    # a length prefix promising a large message, then crumbs
                    conn.sendall(b"\xff\xff")
                    while not stop.is_set() and time.monotonic() < end:
                        conn.sendall(b"\x00")
                        time.sleep(0.2)
                except OSError:
                    continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def _files(tmp_path: Path) -> tuple[Path, Path]:
    doc = write_document(
        tmp_path / "desired.json",
        document({"internal": [rec("ns0", "A", "10.0.0.53")]}),
    )
    key = tmp_path / "key"
    key.write_text(KEY + "\n")
    return doc, key


@pytest.mark.parametrize("command", ["plan", "apply", "publish"])
def test_a_trickling_server_cannot_keep_a_run_going(
    trickle_server: int, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    doc, key = _files(tmp_path)
    metrics = tmp_path / "metrics.prom"
    extra = {
        "apply": ["--metrics-file", str(metrics)],
        "publish": ["--state-file", str(tmp_path / "published.json")],
    }.get(command, [])
    started = time.monotonic()
    code = main(
        [
            *(command, "--desired", str(doc), "--server", "127.0.0.1"),
            *("--port", str(trickle_server), "--key-file", str(key)),
            *("--timeout", "5", "--deadline", "1.5", *extra),
        ]
    )
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 1, err
    assert elapsed < 6, f"the run took {elapsed:.1f}s"
    assert "--deadline" in err
    assert len([line for line in err.splitlines() if "error:" in line]) == 1, err
    assert "Traceback" not in err
    assert base64.b64encode(b"deadline-test-key-not-a-secret!!").decode() not in err
    if command == "apply":
        assert 'dns_static_records_sync_success{zone="internal"} 0' in metrics.read_text()


def test_the_deadline_restores_the_previous_alarm_handler() -> None:
    def previous(_signum: int, _frame: object) -> None:
        raise AssertionError("not to be called")

    old = signal.signal(signal.SIGALRM, previous)
    try:
        with run_deadline(60):
            assert signal.getsignal(signal.SIGALRM) is not previous
        assert signal.getsignal(signal.SIGALRM) is previous
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, old)


def test_the_deadline_interrupts_a_blocked_call() -> None:
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match=r"0\.3s"), run_deadline(0.3):
        time.sleep(5)
    assert time.monotonic() - started < 2


def test_no_deadline_means_no_alarm() -> None:
    with run_deadline(None):
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
