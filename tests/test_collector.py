"""The collector pause the checker and the agent share: paused inside,
restored as it was afterwards, also when the block raises."""

from __future__ import annotations

import gc

import pytest

from agent.cli import main as agent_main
from checker.collector import collector_paused


def _fail_while_paused() -> None:
    with collector_paused():
        assert not gc.isenabled()
        raise RuntimeError


def test_paused_inside_and_restored_after_an_exception() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        _fail_while_paused()
    assert gc.isenabled()


def test_left_off_when_it_was_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_agent_restores_it_after_a_failed_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert agent_main(["plan", "--desired", "/nonexistent/d.json", "--zone", "x"]) != 0
    assert gc.isenabled()
    capsys.readouterr()
