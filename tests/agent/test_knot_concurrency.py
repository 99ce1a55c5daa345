"""Another writer changes the zone between our read and our UPDATE: the
prerequisites make our message fail whole, we re-read, re-plan and converge
without clobbering the other writer. Also: SERVFAIL retries, and NOERROR that
changed nothing is reported, never taken for success."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import dns.update
import pytest

from agent import applier as applier_module
from agent import dns_io
from agent.applier import AfterRead
from agent.errors import ServerFailure
from agent.zone_reader import ZoneSnapshot
from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.fixtures.kea import KeaDdns
from tests.fixtures.knot import KnotServer
from tests.fixtures.writers import Writers

pytestmark = pytest.mark.knot

NS = rec("@", "NS", "ns0.internal.", 3600)
NS0 = rec("ns0", "A", "10.0.0.53", 3600)


def _has(lines: list[str], text: str) -> bool:
    return any(ln.split() == text.split() for ln in lines)


@pytest.fixture
def agent(knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> AgentRun:
    return AgentRun(knot.server, knot.port, knot.key_file("keymgr"), capsys)


def _once(action: Callable[[], object]) -> AfterRead:
    """A hook that writes into the zone right after our first read."""

    def hook(_snapshot: ZoneSnapshot, attempt: int) -> None:
        if attempt == 1:
            action()

    return hook


def _apply_json(agent: AgentRun, path: Path, hook: AfterRead | None) -> dict[str, object]:
    code, out, err = agent("apply", path, "--json", after_read=hook)
    assert code == 0, err
    zone: dict[str, object] = json.loads(out)["zones"][0]
    return zone


def test_concurrent_add_at_our_new_name_is_kept_and_becomes_a_conflict(
    knot: KnotServer, writers: Writers, agent: AgentRun, tmp_path: Path
) -> None:
    path = write_document(
        tmp_path / "d.json",
        document({"internal": [NS, NS0, rec("www", "A", "10.0.0.80"), rec("b", "A", "10.0.0.2")]}),
    )
    hook = _once(lambda: writers.hand_made("internal", ["www 300 A 10.9.9.9"]))
    code, out, err = agent("apply", path, "--json", after_read=hook)
    assert code == 0, err
    # the conflict appears only in the retry's plan: it is logged all the same
    assert [ln for ln in err.splitlines() if "www A" in ln and "differs" in ln], err
    zone = json.loads(out)["zones"][0]
    result = zone["result"]
    assert isinstance(result, dict)
    assert result["attempts"] == 2
    lines = knot.axfr("internal")
    assert _has(lines, "www.internal. 300 IN A 10.9.9.9")
    assert not any("10.0.0.80" in ln for ln in lines)
    assert not any(ln.startswith("nix.www.") for ln in lines)
    assert _has(lines, "b.internal. 300 IN A 10.0.0.2")
    code, out, _ = agent("plan", path)
    assert code == 0
    assert "! www A skipped: differs" in out


def test_concurrent_dhcp_lease_for_our_name_is_not_clobbered(
    knot: KnotServer, kea: KeaDdns, agent: AgentRun, tmp_path: Path
) -> None:
    path = write_document(
        tmp_path / "d.json", document({"internal": [NS, NS0, rec("laptop", "A", "10.0.0.50")]})
    )
    hook = _once(lambda: kea.add_lease("laptop.internal.", "10.0.0.42", reverse=False))
    _apply_json(agent, path, hook)
    lines = knot.axfr("internal")
    assert _has(lines, "laptop.internal. 3600 IN A 10.0.0.42")
    assert any(ln.startswith("laptop.internal.") and "DHCID" in ln for ln in lines)
    assert not any("10.0.0.50" in ln for ln in lines)
    assert agent("plan", path)[0] == 0


def test_concurrent_change_of_an_owned_rrset_and_marker_name(
    knot: KnotServer, writers: Writers, agent: AgentRun, tmp_path: Path
) -> None:
    first = [NS, NS0, rec("old", "A", "10.0.0.9"), rec("keep", "A", "10.0.0.10")]
    assert (
        agent("apply", write_document(tmp_path / "a.json", document({"internal": first})))[0] == 0
    )
    # now delete "old"; meanwhile someone adds a note TXT at the marker name
    path = write_document(
        tmp_path / "b.json", document({"internal": [NS, NS0, rec("keep", "A", "10.0.0.10")]})
    )
    hook = _once(lambda: writers.hand_made("internal", ['nix.old 300 TXT "note by hand"']))
    zone = _apply_json(agent, path, hook)
    result = zone["result"]
    assert isinstance(result, dict)
    assert result["attempts"] == 2
    lines = knot.axfr("internal")
    assert _has(lines, 'nix.old.internal. 300 IN TXT "note by hand"')
    assert not any(ln.startswith("old.internal.") for ln in lines)
    assert not any("type=A" in ln and ln.startswith("nix.old.") for ln in lines)
    assert agent("plan", path)[0] == 0


def test_servfail_is_retried(
    knot: KnotServer, agent: AgentRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = dns_io.send_update
    calls: list[int] = []

    def flaky(server: str, port: int, message: dns.update.UpdateMessage, timeout: float) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ServerFailure("UPDATE of zone internal not applied: SERVFAIL")
        real(server, port, message, timeout)

    monkeypatch.setattr(applier_module, "send_update", flaky)
    path = write_document(
        tmp_path / "d.json", document({"internal": [NS, NS0, rec("www", "A", "10.0.0.80")]})
    )
    zone = _apply_json(agent, path, None)
    result = zone["result"]
    assert isinstance(result, dict)
    assert result["attempts"] == 2
    assert len(calls) == 2
    assert _has(knot.axfr("internal"), "www.internal. 300 IN A 10.0.0.80")


def test_noerror_without_effect_is_an_error_naming_the_change(
    knot: KnotServer, agent: AgentRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ignored(*_: object) -> None:
        return None  # the server "answers NOERROR" and changes nothing

    monkeypatch.setattr(applier_module, "send_update", ignored)
    path = write_document(
        tmp_path / "d.json", document({"internal": [NS, NS0, rec("www", "A", "10.0.0.80")]})
    )
    code, _, err = agent("apply", path)
    assert code == 1
    line = next(ln for ln in err.splitlines() if ln.startswith("error:"))
    assert "www A" in line
    assert "NOERROR" in line
