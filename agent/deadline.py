"""A bound on the whole run of the agent, however slowly a server answers.

The per-operation ``--timeout`` bounds each connect and each wait for data, so
a server that trickles a byte now and then keeps a run going for ever (and a
systemd oneshot unit "activating" with it). `run_deadline` bounds the run as a
whole: when `seconds` have passed, `DeadlineExceeded` is raised wherever the
run is, through a blocking socket call too (SIGALRM; PEP 475 does not retry a
call whose signal handler raised).

What a run cut short leaves is what a lost connection leaves: every UPDATE is
atomic on the server and guarded by prerequisites, so the zone holds the
messages that were answered and maybe the one in flight; the next run re-reads
and re-plans.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from agent.errors import AgentError


class DeadlineExceeded(AgentError):  # noqa: N818  (reads as an event, like the error tree's names)
    """The run took longer than ``--deadline`` seconds and was stopped."""


@contextmanager
def run_deadline(seconds: float | None) -> Iterator[None]:
    """Raise `DeadlineExceeded` in the block once `seconds` (wall clock) pass.

    `None` means no bound. The bound needs SIGALRM, so it holds only in the main
    thread; elsewhere (a test calling `main` from a thread) the block runs
    unbounded. A previous SIGALRM handler and timer are restored on exit.
    """
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise DeadlineExceeded(
            f"the run took longer than {seconds:g}s (--deadline) and was stopped; the DNS "
            "server answers too slowly or not at all. Changes already answered stay; "
            "the next run re-reads the zone and carries on"
        )

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
