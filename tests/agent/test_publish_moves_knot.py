"""``dns-static-agent publish`` against a real knotd when names change hands
(findings t11 items 3, 7, 10): a host renamed, a name moved between owners,
the publisher's marker prefix changed, a zone the server does not serve. One
run converges; no name a current owner declares is left absent; every
foreign record stays byte-identical."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.published_owners import Published, read_state, write_state
from agent.zone_probe import zone_served
from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.fixtures.knot import KnotServer, free_port
from tests.fixtures.writers import Writers

pytestmark = pytest.mark.knot

SECRETS = {
    "internal": [rec("auth", "A", "10.0.0.7"), rec("vault", "A", "10.0.0.7")],
    "10.in-addr.arpa": [rec("7.0.0", "PTR", "auth.internal.")],
}
NAS = {"internal": [rec("nas", "A", "10.0.0.9")]}


@pytest.fixture
def agent(knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> AgentRun:
    return AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)


def owner_doc(
    tmp_path: Path, owner: str, zones: dict[str, list[dict[str, Any]]], prefix: str = "nix"
) -> Path:
    doc = document(zones, managed_by=owner)
    doc["owner"]["prefix"] = prefix
    return write_document(tmp_path / f"{owner}-{prefix}.json", doc)


def publish(agent: AgentRun, state: Path, *docs: Path) -> tuple[int, str, str]:
    words: list[str] = []
    for doc in docs:
        words += ["--desired", str(doc)]
    return agent("publish", None, *words, "--state-file", str(state))


def converged(knot: KnotServer, agent: AgentRun, state: Path, *docs: Path) -> None:
    """The next run with the same documents sends nothing."""
    serial = knot.serial("internal")
    assert publish(agent, state, *docs)[0] == 0
    assert knot.serial("internal") == serial


def data(lines: list[str]) -> set[tuple[str, ...]]:
    return {rr(ln) for ln in lines}


def rr(text: str) -> tuple[str, ...]:
    """A zone line's words (AXFR lines are tab-separated)."""
    return tuple(text.split())


def foreign(writers: Writers) -> None:
    writers.hand_made("internal", ["legacy 600 A 10.0.0.99", "nix.printer 3600 TXT note"])
    writers.other_owner("internal", "elsewhere", "A", ["10.0.0.77"], managed_by="otherhost")
    writers.external_dns("internal", "argocd", data=["10.1.0.5"], marker_format="both")


def not_ours(lines: list[str], owners: tuple[str, ...], names: set[str]) -> list[str]:
    return [
        ln
        for ln in lines
        if ln.split()[0] not in names and not any(f"managed-by={o}," in ln for o in owners)
    ]


NAMES = {
    "auth.internal.",
    "vault.internal.",
    "nas.internal.",
    "nix.auth.internal.",
    "nix.vault.internal.",
    "nix.nas.internal.",
    "dns.auth.internal.",
    "dns.vault.internal.",
    "dns.nas.internal.",
}


def test_a_renamed_host_keeps_its_names_in_one_run(
    knot: KnotServer, writers: Writers, agent: AgentRun, tmp_path: Path
) -> None:
    foreign(writers)
    state = tmp_path / "state.json"
    nas = owner_doc(tmp_path, "nas", NAS)
    code, out, err = publish(agent, state, owner_doc(tmp_path, "mysecrets", SECRETS), nas)
    assert code == 0, out + err
    before = knot.axfr("internal")[1:]
    # mysecrets is renamed vaulthost: same names, new managed-by
    vaulthost = owner_doc(tmp_path, "vaulthost", SECRETS)
    code, out, err = publish(agent, state, vaulthost, nas)
    assert code == 0, out + err
    internal = knot.axfr("internal")[1:]
    for needed in (
        "auth.internal. 300 IN A 10.0.0.7",
        "vault.internal. 300 IN A 10.0.0.7",
        'nix.auth.internal. 300 IN TXT "heritage=nix,managed-by=vaulthost,type=A"',
        'nix.vault.internal. 300 IN TXT "heritage=nix,managed-by=vaulthost,type=A"',
        "nas.internal. 300 IN A 10.0.0.9",
    ):
        assert rr(needed) in data(internal), needed
    assert not [ln for ln in internal if "managed-by=mysecrets" in ln]
    assert "other-owner" not in out  # retired first: the names were free
    assert rr("7.0.0.10.in-addr.arpa. 300 IN PTR auth.internal.") in data(
        knot.axfr("10.in-addr.arpa")
    )
    # every foreign line byte-identical, in order
    owners = ("mysecrets", "vaulthost", "nas")
    assert not_ours(internal, owners, NAMES) == not_ours(before, owners, NAMES)
    assert read_state(state) == sorted(
        [
            Published("nas", "internal", "nix"),
            Published("vaulthost", "10.in-addr.arpa", "nix"),
            Published("vaulthost", "internal", "nix"),
        ]
    )
    converged(knot, agent, state, vaulthost, nas)


def test_a_name_moved_between_two_current_owners_in_one_run(
    knot: KnotServer, writers: Writers, agent: AgentRun, tmp_path: Path
) -> None:
    foreign(writers)
    state = tmp_path / "state.json"
    assert publish(agent, state, owner_doc(tmp_path, "mysecrets", SECRETS))[0] == 0
    before = knot.axfr("internal")[1:]
    # vault moves to nas; nas's document comes first, so its first run meets
    # mysecrets' marker, and mysecrets gives the name up after it
    moved = tmp_path / "moved"
    moved.mkdir()
    nas = owner_doc(moved, "nas", {"internal": [*NAS["internal"], rec("vault", "A", "10.0.0.9")]})
    secrets = owner_doc(moved, "mysecrets", {**SECRETS, "internal": SECRETS["internal"][:1]})
    code, out, err = publish(agent, state, nas, secrets)
    assert code == 0, out + err
    internal = data(knot.axfr("internal"))
    assert rr("vault.internal. 300 IN A 10.0.0.9") in internal
    assert rr('nix.vault.internal. 300 IN TXT "heritage=nix,managed-by=nas,type=A"') in internal
    assert rr("auth.internal. 300 IN A 10.0.0.7") in internal
    assert "owner nas: zone internal changed after its run skipped" in err
    owners = ("mysecrets", "nas")
    after = knot.axfr("internal")[1:]
    assert not_ours(after, owners, NAMES) == not_ours(before, owners, NAMES)
    converged(knot, agent, state, nas, secrets)


def test_a_changed_marker_prefix_retires_the_old_markers(
    knot: KnotServer, writers: Writers, agent: AgentRun, tmp_path: Path
) -> None:
    foreign(writers)
    state = tmp_path / "state.json"
    code, out, err = publish(agent, state, owner_doc(tmp_path, "mysecrets", SECRETS))
    assert code == 0, out + err
    before = knot.axfr("internal")[1:]
    # the publisher's ownerPrefix changes: nix -> dns
    code, out, err = publish(agent, state, owner_doc(tmp_path, "mysecrets", SECRETS, "dns"))
    assert code == 0, out + err
    assert "marker prefix changed from 'nix' to 'dns'" in err
    internal = knot.axfr("internal")[1:]
    assert not [ln for ln in internal if ln.startswith("nix.") and "managed-by=mysecrets" in ln]
    for needed in (
        "auth.internal. 300 IN A 10.0.0.7",
        'dns.auth.internal. 300 IN TXT "heritage=nix,managed-by=mysecrets,type=A"',
        'dns.vault.internal. 300 IN TXT "heritage=nix,managed-by=mysecrets,type=A"',
    ):
        assert rr(needed) in data(internal), needed
    reverse = knot.axfr("10.in-addr.arpa")
    assert not [ln for ln in reverse if ln.startswith("nix.")]
    assert any(ln.startswith("dns.7.0.0.10.in-addr.arpa.") for ln in reverse)
    assert not_ours(internal, ("mysecrets",), NAMES) == not_ours(before, ("mysecrets",), NAMES)
    assert 'nix.printer.internal.\t3600\tIN\tTXT\t"note"' in internal  # a foreign TXT
    assert {p.prefix for p in read_state(state)} == {"dns"}
    converged(knot, agent, state, owner_doc(tmp_path, "mysecrets", SECRETS, "dns"))


def test_an_unserved_zone_does_not_stop_the_owners_other_zones(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    both = owner_doc(
        tmp_path, "mysecrets", {**SECRETS, "notserved.example": [rec("x", "A", "10.9.9.9")]}
    )
    code, _, err = publish(agent, state, both)
    assert code == 1
    error_lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(error_lines) == 1, err
    assert "owner mysecrets: applying" in error_lines[0]
    assert "zone notserved.example" in error_lines[0]
    assert "AXFR of notserved.example refused" in error_lines[0]
    # the zones the server serves were applied all the same
    assert rr("auth.internal. 300 IN A 10.0.0.7") in data(knot.axfr("internal"))
    assert any("7.0.0.10.in-addr.arpa." in ln for ln in knot.axfr("10.in-addr.arpa"))
    assert Published("mysecrets", "notserved.example", "nix") in read_state(state)


def test_a_retired_owners_unserved_zone_is_forgotten_not_failed_for_ever(
    knot: KnotServer, writers: Writers, agent: AgentRun, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    # beta once published into a zone the server no longer serves, and into internal
    write_state(
        state,
        [Published("beta", "gone.example", "nix"), Published("beta", "internal", "nix")],
    )
    writers.other_owner("internal", "old", "A", ["10.0.0.5"], managed_by="beta")
    nas = owner_doc(tmp_path, "nas", NAS)
    code, out, err = publish(agent, state, nas)
    assert code == 0, out + err
    assert "the server does not serve zone gone.example" in err
    assert not [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert not [ln for ln in knot.axfr("internal") if "managed-by=beta" in ln]
    assert read_state(state) == [Published("nas", "internal", "nix")]
    assert publish(agent, state, nas)[0] == 0


def test_a_retired_owners_zone_refused_for_the_key_stays_recorded(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    # the zone is served, the transfer fails (wrong key): not forgotten
    state = tmp_path / "state.json"
    write_state(state, [Published("beta", "internal", "nix")])
    wrong_key = tmp_path / "wrong.key"
    wrong_key.write_text("hmac-sha256:update:" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=\n")
    bad = AgentRun(agent.server, agent.port, wrong_key, agent.capsys)
    code, _, err = publish(bad, state)
    assert code == 1
    assert "owner beta: no longer publishes in zone internal" in err
    assert read_state(state) == [Published("beta", "internal", "nix")]
    assert json.loads(state.read_text())["version"] == 2


@pytest.mark.parametrize(
    ("zone", "served"),
    [
        ("internal", True),
        ("10.in-addr.arpa.", True),
        ("gone.example", False),  # REFUSED: outside every zone served
        ("old.internal", False),  # NXDOMAIN under internal's SOA: not a zone here
    ],
)
def test_zone_served_asks_knot(knot: KnotServer, zone: str, served: bool) -> None:
    assert zone_served(knot.server, knot.port, zone, 3.0) is served


def test_zone_served_without_an_answer_is_no_telling() -> None:
    assert zone_served("127.0.0.1", free_port(), "internal", 0.5) is None
