"""How this scales beyond one server (issue 11): a Knot secondary fed by
NOTIFY + IXFR from the primary. Our changes reach it; the agent pointed at the
secondary works through Knot's update forwarding, or -- when the secondary
does not get the change in time -- fails with one clear line, and every
message it sent was applied whole at the primary (record and marker
together), never half."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.fixtures.knot import KnotServer, require_tool, start_knot_pair

pytestmark = pytest.mark.knot

Pair = tuple[KnotServer, KnotServer]
RECORDS = [
    rec("@", "NS", "ns0.internal.", 3600),
    rec("ns0", "A", "10.0.0.53", 3600),
    rec("routy", "A", "10.0.0.1"),
    rec("ns1", "A", "10.1.0.53"),
    rec("dns", "CNAME", "ns0.internal."),
]


@pytest.fixture
def pair_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Pair]]:
    require_tool("knotd", "knot")
    started: list[KnotServer] = []

    def factory(notify: bool = True) -> Pair:
        primary, secondary = start_knot_pair(tmp_path_factory.mktemp("pair"), notify=notify)
        started.extend([secondary, primary])
        return primary, secondary

    try:
        yield factory
    finally:
        for server in started:
            server.stop()


def _agent(server: KnotServer, capsys: pytest.CaptureFixture[str]) -> AgentRun:
    return AgentRun(server.server, server.port, server.key_file("bind"), capsys)


def _wait_serial(secondary: KnotServer, serial: int, zone: str = "internal") -> None:
    deadline = time.monotonic() + 10
    while secondary.serial(zone) != serial:
        assert time.monotonic() < deadline, f"secondary stuck at {secondary.serial(zone)}"
        time.sleep(0.05)


def _desired(tmp_path: Path) -> Path:
    return write_document(tmp_path / "d.json", document({"internal": RECORDS}))


def test_changes_reach_the_secondary_by_notify_and_ixfr(
    pair_factory: Callable[..., Pair], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    primary, secondary = pair_factory()
    code, _, err = _agent(primary, capsys)("apply", _desired(tmp_path))
    assert code == 0, err
    _wait_serial(secondary, primary.serial("internal"))
    assert secondary.axfr("internal") == primary.axfr("internal")
    assert ["routy.internal.", "300", "IN", "A", "10.0.0.1"] in [
        line.split() for line in secondary.axfr("internal")
    ]
    log = secondary.log_path.read_text()
    assert "[internal.] IXFR, incoming" in log
    # and a second run against the primary finds nothing to do
    code, _, err = _agent(primary, capsys)("plan", _desired(tmp_path))
    assert code == 0, err


def test_agent_pointed_at_the_secondary_works_through_update_forwarding(
    pair_factory: Callable[..., Pair], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    primary, secondary = pair_factory()
    agent = _agent(secondary, capsys)
    code, out, err = agent("apply", _desired(tmp_path))
    assert code == 0, err
    assert "in sync" in out
    assert "DDNS, updates forwarded to the master" in secondary.log_path.read_text()
    # the primary holds the change; the secondary got it back by IXFR
    assert secondary.axfr("internal") == primary.axfr("internal")
    code, _, err = agent("plan", _desired(tmp_path))
    assert code == 0, err
    code, _, err = _agent(primary, capsys)("plan", _desired(tmp_path))
    assert code == 0, err


def test_secondary_that_never_gets_the_change_fails_with_one_clear_line(
    pair_factory: Callable[..., Pair], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    primary, secondary = pair_factory(notify=False)
    before = secondary.axfr("internal")
    agent = _agent(secondary, capsys)
    code, _, err = agent("apply", _desired(tmp_path))
    assert code == 1
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, err
    assert "answered NOERROR but did not apply" in lines[0]
    assert "point --server at the primary" in lines[0]
    # the secondary is untouched; the primary holds each forwarded message
    # whole: every record we added has its marker, no marker lacks its record
    assert secondary.axfr("internal") == before
    on_primary = [line.split() for line in primary.axfr("internal")]
    for name, rtype in (("routy", "A"), ("ns1", "A"), ("dns", "CNAME")):
        assert any(rr[0] == f"{name}.internal." and rr[3] == rtype for rr in on_primary)
        marker = f'"heritage=nix,managed-by=routy,type={rtype}"'
        assert any(rr[0] == f"nix.{name}.internal." and rr[4] == marker for rr in on_primary)
