"""Take-over against a real knotd (issue 11): the seed's example zone holds a
hand-made ``NS ns0`` while the declaration has ``NS ns0 ns1 ns2``; without a
take-over that is a conflict for ever, with ``--take-over internal/NS`` it is
replaced (backup first, shown old -> new) and the next run is in sync. A name
DHCP owns is never taken over."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.zone_reader import ZoneSnapshot
from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.fixtures.kea import KeaDdns
from tests.fixtures.knot import KnotServer

pytestmark = pytest.mark.knot

RECORDS = [
    rec("@", "NS", "ns0.internal.", 3600),
    rec("@", "NS", "ns1.internal.", 3600),
    rec("@", "NS", "ns2.internal.", 3600),
    rec("ns0", "A", "10.0.0.53", 3600),
    rec("ns1", "A", "10.1.0.53"),
    rec("ns2", "A", "10.2.0.53"),
]
TAKE_OVER_LINE = (
    "^ @ NS 3600 ns0.internal. → 3600 ns0.internal. | ns1.internal. | ns2.internal. take-over"
)


@pytest.fixture
def agent(knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> AgentRun:
    return AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)


def _apex_ns(knot: KnotServer) -> set[str]:
    return {
        line.split()[4] for line in knot.axfr("internal") if line.split()[:4][2:] == ["IN", "NS"]
    }


def test_take_over_replaces_the_hand_made_apex_ns_after_a_backup(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    desired = write_document(tmp_path / "d.json", document({"internal": RECORDS}))
    backups = tmp_path / "backups"

    code, out, _ = agent("plan", desired)
    assert code == 4  # the A records are pending; the NS is a conflict
    assert "! @ NS skipped: differs" in out
    assert "--take-over internal/NS" in out

    code, out, _ = agent("plan", desired, "--take-over", "internal/NS")
    assert code == 4
    assert TAKE_OVER_LINE in out
    assert "! @ NS" not in out
    assert _apex_ns(knot) == {"ns0.internal."}

    # a real take-over needs a backup directory: refused before any I/O
    code, out, err = agent("apply", desired, "--take-over", "internal/NS")
    assert code == 2
    assert err.startswith("error: --take-over replaces hand-made records")
    assert err.count("\n") == 1
    assert _apex_ns(knot) == {"ns0.internal."}

    code, out, err = agent(
        "apply", desired, "--take-over", "internal/NS", "--backup-dir", str(backups)
    )
    assert code == 0, err
    assert "1 take-over" in out
    assert _apex_ns(knot) == {"ns0.internal.", "ns1.internal.", "ns2.internal."}
    assert '"heritage=nix,managed-by=routy,type=NS"' in "\n".join(knot.axfr("internal"))
    [backup] = sorted(backups.iterdir())
    backed_up = backup.read_text()
    assert "ns0.internal." in backed_up
    assert "ns1.internal." not in backed_up.split("IN NS", 1)[1].split("\n", 1)[0]

    # from now on it is ours: in sync without any flag, no conflict left
    code, out, err = agent("plan", desired)
    assert code == 0, out + err
    assert "!" not in out
    assert "0 conflict(s)" in out


def test_concurrent_change_fails_the_message_and_is_backed_up_before_retry(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    desired = write_document(tmp_path / "d.json", document({"internal": RECORDS}))
    backups = tmp_path / "backups"

    def meddle(snapshot: ZoneSnapshot, attempt: int) -> None:
        del snapshot
        if attempt == 1:  # someone edits the hand-made NS between our read and write
            knot.knsupdate("internal", ["add @ 3600 NS ns9.internal."])

    code, _, err = agent(
        "apply",
        desired,
        "--take-over",
        "internal/NS",
        "--backup-dir",
        str(backups),
        after_read=meddle,
    )
    assert code == 0, err
    assert "prerequisite failed" in err
    assert _apex_ns(knot) == {"ns0.internal.", "ns1.internal.", "ns2.internal."}
    # the data replaced on the retry (with ns9) is in a backup too
    texts = [path.read_text() for path in sorted(backups.iterdir())]
    assert any("ns9.internal." in text for text in texts), texts


def test_dhcp_and_undeclared_names_are_never_taken_over(
    knot: KnotServer, kea: KeaDdns, agent: AgentRun, tmp_path: Path
) -> None:
    kea.add_lease("laptop.internal.", "10.0.0.42")
    before = knot.axfr("internal")[1:]
    desired = write_document(
        tmp_path / "d.json",
        document({"internal": [rec("laptop", "A", "10.0.0.99")]}),
    )
    backups = ["--backup-dir", str(tmp_path / "backups")]
    code, out, err = agent("apply", desired, "--take-over", "laptop.internal/A", *backups)
    assert code == 0, err
    assert "! laptop A skipped: dhcp:" in out
    assert "take-over refused" in out
    assert knot.axfr("internal")[1:] == before
    code, _, _ = agent(
        "apply", desired, "--take-over", "laptop.internal/A", *backups, "--on-conflict", "fail"
    )
    assert code == 3
    code, _, err = agent("plan", desired, "--take-over", "printer.internal/A")
    assert code == 2
    assert "declares no A RRset at printer.internal." in err
    assert knot.axfr("internal")[1:] == before
