"""``dns-static-agent publish`` against a real knotd: two contributing hosts
applied, then one host removed -- its records go by its marker id, the other
host's records and every foreign record stay byte-identical (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.fixtures.kea import KeaDdns
from tests.fixtures.knot import KnotServer
from tests.fixtures.writers import Writers

pytestmark = pytest.mark.knot

NS = rec("@", "NS", "ns0.internal.", 3600)
NS0 = rec("ns0", "A", "10.0.0.53", 3600)

ALPHA = {
    "internal": [
        rec("auth", "A", "10.0.0.7"),
        rec("vault", "CNAME", "auth.internal."),
        rec("auth", "TXT", '"alpha says hi"'),
    ],
    "10.in-addr.arpa": [rec("7.0.0", "PTR", "auth.internal.")],
}
BETA = {
    "internal": [
        rec("forge", "A", "10.0.0.8"),
        rec("_sip._tcp", "SRV", "0 5 5060 forge.internal."),
        rec("@", "MX", "10 forge.internal."),
    ],
    "10.in-addr.arpa": [rec("8.0.0", "PTR", "forge.internal.")],
}


@pytest.fixture
def agent(knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> AgentRun:
    return AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)


def owner_doc(tmp_path: Path, owner: str, zones: dict[str, list[dict[str, Any]]]) -> Path:
    # what contributedDocuments renders: every published zone, maybe empty
    every = {"internal": [], "10.in-addr.arpa": [], **zones}
    return write_document(tmp_path / f"{owner}.json", with_k8s(document(every, managed_by=owner)))


def with_k8s(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` with the layout the fixtures' ExternalDNS runs with (unconfigured,
    its legacy marker k8s.argocd could stand for the apex)."""
    return {**doc, "externalDns": {"layouts": [{"prefix": "k8s."}]}}


def publish(agent: AgentRun, state: Path, *docs: Path, extra: tuple[str, ...] = ()) -> Any:
    words: list[str] = []
    for doc in docs:
        words += ["--desired", str(doc)]
    return agent("publish", None, *words, "--state-file", str(state), *extra)


def recorded(state: Path) -> dict[tuple[str, str], list[str]]:
    """The state file as {(managed-by, prefix): zones}."""
    data = json.loads(state.read_text())
    assert data["version"] == 2
    return {(e["managedBy"], e["prefix"]): e["zones"] for e in data["published"]}


def owned_by(line: str, owner: str, names: set[str]) -> bool:
    """The line is owner's record or marker (names: its owner names, absolute)."""
    return f"managed-by={owner}," in line or line.split(maxsplit=1)[0] in names


def test_two_hosts_published_then_one_removed(
    knot: KnotServer,
    kea: KeaDdns,
    writers: Writers,
    agent: AgentRun,
    tmp_path: Path,
) -> None:
    # foreign writers first: DHCP, ExternalDNS, hand-made, another publisher's host
    kea.add_lease("laptop.internal.", "10.0.0.42")
    writers.external_dns("internal", "argocd", data=["10.1.0.5"], marker_format="both")
    writers.hand_made("internal", ["legacy 600 A 10.0.0.99"])
    writers.other_owner("internal", "elsewhere", "A", ["10.0.0.77"], managed_by="otherhost")
    # the publisher's own records, applied by its own unit (no owner label)
    routy = write_document(tmp_path / "routy.json", with_k8s(document({"internal": [NS, NS0]})))
    metrics = tmp_path / "metrics.prom"
    assert agent("apply", routy, "--metrics-file", str(metrics))[0] == 0

    state = tmp_path / "state" / "published-owners.json"
    alpha = owner_doc(tmp_path, "alpha", ALPHA)
    beta = owner_doc(tmp_path, "beta", BETA)
    code, out, err = publish(agent, state, alpha, beta, extra=("--metrics-file", str(metrics)))
    assert code == 0, out + err
    internal = knot.axfr("internal")[1:]
    reverse = knot.axfr("10.in-addr.arpa")[1:]
    words = [ln.split() for ln in internal + reverse]
    for needed in (
        "auth.internal.\t300\tIN\tA\t10.0.0.7",
        "forge.internal.\t300\tIN\tA\t10.0.0.8",
        'nix.auth.internal.\t300\tIN\tTXT\t"heritage=nix,managed-by=alpha,type=A"',
        'nix.forge.internal.\t300\tIN\tTXT\t"heritage=nix,managed-by=beta,type=A"',
        'nix.internal.\t300\tIN\tTXT\t"heritage=nix,managed-by=beta,type=MX"',
        'nix.internal.\t300\tIN\tTXT\t"heritage=nix,managed-by=routy,type=NS"',
        "8.0.0.10.in-addr.arpa.\t300\tIN\tPTR\tforge.internal.",
    ):
        assert needed.split() in words, needed
    assert recorded(state) == {
        ("alpha", "nix"): ["10.in-addr.arpa", "internal"],
        ("beta", "nix"): ["10.in-addr.arpa", "internal"],
    }

    # host beta is removed from the flake: only alpha's document is left
    beta_names = {
        "forge.internal.",
        "_sip._tcp.internal.",
        "nix.forge.internal.",
        "nix._sip._tcp.internal.",
        "8.0.0.10.in-addr.arpa.",
        "nix.8.0.0.10.in-addr.arpa.",
    }
    (apex_mx,) = [
        ln
        for ln in internal
        if ln.split() == ["internal.", "300", "IN", "MX", "10", "forge.internal."]
    ]
    code, out, err = publish(agent, state, alpha, extra=("--metrics-file", str(metrics)))
    assert code == 0, out + err
    assert "owner beta: no longer publishes in zone internal" in err
    internal_after = knot.axfr("internal")[1:]
    reverse_after = knot.axfr("10.in-addr.arpa")[1:]
    # beta's records and markers are gone ...
    assert not [ln for ln in internal_after + reverse_after if owned_by(ln, "beta", beta_names)]
    assert apex_mx not in internal_after
    # ... and every other line (alpha, routy, DHCP, ExternalDNS, hand-made,
    # otherhost) is byte-identical and in the same order
    assert internal_after == [
        ln for ln in internal if not owned_by(ln, "beta", beta_names) and ln != apex_mx
    ]
    assert reverse_after == [ln for ln in reverse if not owned_by(ln, "beta", beta_names)]
    assert recorded(state) == {("alpha", "nix"): ["10.in-addr.arpa", "internal"]}
    # metrics: alpha labelled, beta's series dropped, routy's unlabelled series kept
    series = metrics.read_text()
    assert 'dns_static_records_sync_success{zone="internal",owner="alpha"} 1' in series
    assert 'dns_static_records_sync_success{zone="internal"} 1' in series
    assert 'owner="beta"' not in series
    # a second run sends nothing
    serial = knot.serial("internal")
    assert publish(agent, state, alpha)[0] == 0
    assert knot.serial("internal") == serial


def test_a_host_that_stops_contributing_to_one_zone_keeps_the_other(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    both = write_document(tmp_path / "alpha.json", document(ALPHA, managed_by="alpha"))
    assert publish(agent, state, both)[0] == 0
    internal = knot.axfr("internal")[1:]
    # the host now contributes to `internal` only; the reverse zone left the union
    only = write_document(
        tmp_path / "alpha2.json", document({"internal": ALPHA["internal"]}, managed_by="alpha")
    )
    code, out, err = publish(agent, state, only)
    assert code == 0, out + err
    assert knot.axfr("internal")[1:] == internal
    assert not [ln for ln in knot.axfr("10.in-addr.arpa") if "7.0.0" in ln]
    assert recorded(state) == {("alpha", "nix"): ["internal"]}


def test_two_documents_claiming_one_name_apply_nothing(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    alpha = owner_doc(tmp_path, "alpha", ALPHA)
    clash = owner_doc(tmp_path, "beta", {"internal": [rec("auth", "A", "10.0.0.9")]})
    serial = knot.serial("internal")
    code, _, err = publish(agent, state, alpha, clash)
    assert code == 1
    assert "owner-collision" in err
    assert "nothing applied" in err
    assert knot.serial("internal") == serial
    assert not state.exists()


@pytest.mark.parametrize("flag", ["--dry-run", "--dry"])  # as argparse reads it
def test_dry_run_changes_neither_zone_nor_state(
    knot: KnotServer, agent: AgentRun, tmp_path: Path, flag: str
) -> None:
    state = tmp_path / "state.json"
    alpha = owner_doc(tmp_path, "alpha", ALPHA)
    serial = knot.serial("internal")
    code, out, _ = publish(agent, state, alpha, extra=(flag,))
    assert code == 4
    assert "auth A" in out
    assert knot.serial("internal") == serial
    assert not state.exists()


def test_a_failed_removal_is_kept_for_the_next_run(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    alpha = owner_doc(tmp_path, "alpha", ALPHA)
    beta = owner_doc(tmp_path, "beta", BETA)
    assert publish(agent, state, alpha, beta)[0] == 0
    wrong_key = tmp_path / "wrong.key"
    wrong_key.write_text("hmac-sha256:update:" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=\n")
    bad = AgentRun(agent.server, agent.port, wrong_key, agent.capsys)
    code, _, err = publish(bad, state, alpha)
    assert code == 1
    assert "owner beta" in err
    assert {owner for owner, _ in recorded(state)} == {"alpha", "beta"}
    assert any("managed-by=beta" in ln for ln in knot.axfr("internal"))
    assert publish(agent, state, alpha)[0] == 0
    assert not any("managed-by=beta" in ln for ln in knot.axfr("internal"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--zone", "internal"), "--zone is not accepted"),
        (("--zo", "internal"), "--zone is not accepted"),
        (("--json",), "--json is not accepted"),
        (("--take-over", "auth/A"), "--take-over is not accepted"),
        (("--metrics-owner",), "--metrics-owner is implied"),
        (("--on-conflict", "maybe"), "invalid choice"),
    ],
)
def test_publish_refuses_options_that_split_a_run(
    agent: AgentRun, tmp_path: Path, extra: tuple[str, ...], message: str
) -> None:
    alpha = owner_doc(tmp_path, "alpha", ALPHA)
    state = tmp_path / "s.json"
    code, _, err = publish(agent, state, alpha, extra=extra)
    assert code == 2
    assert message in err
    assert not state.exists()


def test_the_last_host_gone_its_records_go_too(
    knot: KnotServer, writers: Writers, agent: AgentRun, tmp_path: Path
) -> None:
    writers.other_owner("internal", "elsewhere", "A", ["10.0.0.77"], managed_by="otherhost")
    state = tmp_path / "state.json"
    before = knot.axfr("internal")[1:]
    assert publish(agent, state, owner_doc(tmp_path, "alpha", ALPHA))[0] == 0
    code, out, err = publish(agent, state)  # no document left
    assert code == 0, out + err
    assert knot.axfr("internal")[1:] == before
    assert recorded(state) == {}
    # nothing recorded, nothing declared: no network at all
    silent = AgentRun(agent.server, 1, agent.key_file, agent.capsys)
    assert publish(silent, state)[0] == 0
