"""The agent against a real knotd: lifecycle, adopt, conflicts, idempotence,
foreign records left byte-identical (issue 3, "Done when")."""

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


def marker(name: str, rtype: str, managed_by: str = "routy") -> str:
    owner = "nix.internal." if name == "@" else f"nix.{name}.internal."
    return f'{owner}\t300\tIN\tTXT\t"heritage=nix,managed-by={managed_by},type={rtype}"'


def ours(lines: list[str]) -> set[str]:
    return {ln for ln in lines if "heritage=nix,managed-by=routy" in ln}


@pytest.fixture
def agent(knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> AgentRun:
    return AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)


def desired_file(tmp_path: Path, records: list[dict[str, Any]], name: str = "d.json") -> Path:
    return write_document(tmp_path / name, document({"internal": records}))


def test_full_zone_view_static_dhcp_and_externaldns_side_by_side(
    knot: KnotServer, kea: KeaDdns, writers: Writers, agent: AgentRun, tmp_path: Path
) -> None:
    kea.add_lease("laptop.internal.", "10.0.0.42")
    kea.add_lease("printer.internal.", "10.0.0.15")
    writers.external_dns("internal", "forge", data=["10.1.0.5"], marker_format="both")
    writers.external_dns("internal", "argocd", data=["10.1.0.5"], marker_format="old")
    writers.hand_made("internal", ["legacy 600 A 10.0.0.99"])
    before = knot.axfr("internal")[1:]  # without the SOA
    reverse_before = knot.axfr("10.in-addr.arpa")[1:]
    doc = document(
        {
            "internal": [
                NS,
                NS0,
                rec("ns1", "A", "10.1.0.53"),
                rec("routy", "A", "10.0.0.1"),
                rec("dns", "CNAME", "ns0"),
            ],
            "10.in-addr.arpa": [rec("1.0.0", "PTR", "routy.internal.")],
        }
    )
    # the layout ExternalDNS runs with (unconfigured, its legacy marker
    # k8s.argocd could stand for the apex and keep the apex NS from us)
    doc["externalDns"] = {"layouts": [{"prefix": "k8s."}]}
    path = write_document(tmp_path / "d.json", doc)
    code, _, err = agent("apply", path)
    assert code == 0, err
    after = knot.axfr("internal")[1:]
    # theirs: byte-identical lines, none lost, none changed
    foreign_before = [ln for ln in before if "\tNS\t" not in ln and not ln.startswith("ns0.")]
    for line in foreign_before:
        assert line in after, f"foreign record changed or lost: {line}"
    assert any("DHCID" in ln and ln.startswith("laptop.") for ln in after)
    assert set(reverse_before) <= set(knot.axfr("10.in-addr.arpa")[1:])
    # ours: present, each with its marker
    for needed in (
        "ns1.internal.\t300\tIN\tA\t10.1.0.53",
        "routy.internal.\t300\tIN\tA\t10.0.0.1",
        "dns.internal.\t300\tIN\tCNAME\tns0.internal.",
        marker("@", "NS"),
        marker("ns0", "A"),
        marker("ns1", "A"),
        marker("routy", "A"),
        marker("dns", "CNAME"),
    ):
        assert any(ln.expandtabs(1).split() == needed.expandtabs(1).split() for ln in after), needed
    reverse = knot.axfr("10.in-addr.arpa")
    assert any("1.0.0.10.in-addr.arpa." in ln and "routy.internal." in ln for ln in reverse)
    # and a second run sends nothing
    serial = knot.serial("internal")
    assert agent("plan", path)[0] == 0
    assert agent("apply", path)[0] == 0
    assert knot.serial("internal") == serial
    # the adopted apex NS grows by ns1 (the seed's NS list), foreign records still intact
    doc["zones"]["internal"]["records"].append(rec("@", "NS", "ns1.internal.", 3600))
    path = write_document(tmp_path / "d.json", doc)
    assert agent("apply", path)[0] == 0
    after = knot.axfr("internal")[1:]
    assert _has(after, "internal. 3600 IN NS ns1.internal.")
    assert _has(after, "internal. 3600 IN NS ns0.internal.")
    for line in foreign_before:
        assert line in after


def test_adopt_marks_matching_unmarked_records_without_touching_them(
    knot: KnotServer, writers: Writers, agent: AgentRun, tmp_path: Path
) -> None:
    writers.hand_made("internal", ["ns1 300 A 10.1.0.53", "ns1 300 A 10.1.0.54"])
    path = desired_file(
        tmp_path, [NS, NS0, rec("ns1", "A", "10.1.0.53"), rec("ns1", "A", "10.1.0.54")]
    )
    code, out, _ = agent("plan", path)
    assert code == 4
    assert "= ns1 A 300 10.1.0.53 | 10.1.0.54 adopt" in out
    assert agent("apply", path)[0] == 0
    lines = knot.axfr("internal")
    assert sum(ln.startswith("ns1.internal.") for ln in lines) == 2
    assert _has(lines, marker("ns1", "A"))


def _has(lines: list[str], text: str) -> bool:
    want = text.split()
    return any(ln.split() == want for ln in lines)


def test_lifecycle_add_modify_ttl_only_and_remove(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    base = [NS, NS0]
    path = desired_file(
        tmp_path, [*base, rec("routy", "A", "10.0.0.1"), rec("nas", "A", "10.0.0.5")]
    )
    assert agent("apply", path)[0] == 0
    lines = knot.axfr("internal")
    assert _has(lines, "routy.internal. 300 IN A 10.0.0.1")
    assert _has(lines, "nas.internal. 300 IN A 10.0.0.5")

    # modify data
    path = desired_file(
        tmp_path, [*base, rec("routy", "A", "10.0.0.2"), rec("nas", "A", "10.0.0.5")]
    )
    code, out, _ = agent("plan", path)
    assert code == 4
    assert "~ routy A 300 10.0.0.1 → 300 10.0.0.2" in out
    assert agent("apply", path)[0] == 0
    lines = knot.axfr("internal")
    assert _has(lines, "routy.internal. 300 IN A 10.0.0.2")
    assert not any("10.0.0.1" in ln for ln in lines)

    # TTL-only change
    path = desired_file(
        tmp_path, [*base, rec("routy", "A", "10.0.0.2", 60), rec("nas", "A", "10.0.0.5")]
    )
    code, out, _ = agent("plan", path)
    assert code == 4
    assert "~ routy A 300 10.0.0.2 → 60 10.0.0.2" in out
    assert agent("apply", path)[0] == 0
    assert _has(knot.axfr("internal"), "routy.internal. 60 IN A 10.0.0.2")

    # remove
    path = desired_file(tmp_path, [*base, rec("routy", "A", "10.0.0.2", 60)])
    code, out, _ = agent("plan", path)
    assert "- nas A 300 10.0.0.5" in out
    assert agent("apply", path)[0] == 0
    lines = knot.axfr("internal")
    assert not any(ln.startswith(("nas.internal.", "nix.nas.internal.")) for ln in lines)
    assert _has(lines, marker("routy", "A"))
    assert agent("plan", path)[0] == 0


def test_cname_replaces_owned_a_and_back(knot: KnotServer, agent: AgentRun, tmp_path: Path) -> None:
    path = desired_file(tmp_path, [NS, NS0, rec("www", "A", "10.0.0.80")])
    assert agent("apply", path)[0] == 0
    path = desired_file(tmp_path, [NS, NS0, rec("www", "CNAME", "ns0")])
    assert agent("apply", path)[0] == 0
    lines = knot.axfr("internal")
    assert _has(lines, "www.internal. 300 IN CNAME ns0.internal.")
    assert not any(ln.startswith("www.internal.") and "\tA\t" in ln for ln in lines)
    assert _has(lines, marker("www", "CNAME"))
    assert not _has(lines, marker("www", "A"))
    path = desired_file(tmp_path, [NS, NS0, rec("www", "A", "10.0.0.81")])
    assert agent("apply", path)[0] == 0
    lines = knot.axfr("internal")
    assert _has(lines, "www.internal. 300 IN A 10.0.0.81")
    assert not any("CNAME" in ln and ln.startswith("www.") for ln in lines)


def test_each_conflict_kind_is_reported_and_left_alone(
    knot: KnotServer, kea: KeaDdns, writers: Writers, agent: AgentRun, tmp_path: Path
) -> None:
    kea.add_lease("laptop.internal.", "10.0.0.42")
    writers.external_dns("internal", "forge", data=["10.1.0.5"], marker_format="current")
    writers.other_owner("internal", "shared", "A", ["10.0.0.7"], managed_by="otherhost")
    writers.hand_made(
        "internal", ["differs 300 A 10.0.0.8", "clash 300 A 10.0.0.9", "alias 300 CNAME ns0"]
    )
    before = knot.axfr("internal")
    records = [
        NS,
        NS0,
        rec("laptop", "A", "10.0.0.200"),
        rec("forge", "A", "10.9.9.9"),
        rec("shared", "A", "10.0.0.7"),
        rec("differs", "A", "10.0.0.88"),
        rec("clash", "CNAME", "ns0"),
        rec("alias", "A", "10.0.0.10"),
        rec("fresh", "A", "10.0.0.11"),
    ]
    path = desired_file(tmp_path, records)
    code, out, _ = agent("plan", path)
    assert code == 4  # "fresh" is pending; conflicts alone would not be
    for kind, name in [
        ("dhcp", "laptop"),
        ("external-dns", "forge"),
        ("other-owner", "shared"),
        ("differs", "differs"),
        ("cname-clash", "clash"),
        ("cname-clash", "alias"),
    ]:
        assert any(ln.startswith(f"! {name} ") and f": {kind}:" in ln for ln in out.splitlines()), (
            kind,
            out,
        )
    code, out, _ = agent("apply", path, "--json")
    assert code == 0
    result = json.loads(out)["zones"][0]
    assert len(result["conflicts"]) == 6
    after = knot.axfr("internal")
    for line in before[1:]:
        assert line in after
    assert _has(after, "fresh.internal. 300 IN A 10.0.0.11")
    # conflicts only: in sync for plan (exit 0), nothing pending
    assert agent("plan", path)[0] == 0


def test_no_adopt_turns_a_match_into_a_conflict(
    knot: KnotServer, writers: Writers, agent: AgentRun, tmp_path: Path
) -> None:
    writers.hand_made("internal", ["ns1 300 A 10.1.0.53"])
    path = desired_file(tmp_path, [rec("ns1", "A", "10.1.0.53")])
    serial = knot.serial("internal")
    code, out, _ = agent("apply", path, "--no-adopt")
    assert code == 0
    assert "not-adopted" in out
    assert knot.serial("internal") == serial


def test_on_conflict_fail_exits_3_and_changes_nothing(
    knot: KnotServer, writers: Writers, agent: AgentRun, tmp_path: Path
) -> None:
    writers.hand_made("internal", ["differs 300 A 10.0.0.8"])
    path = desired_file(
        tmp_path, [NS, NS0, rec("differs", "A", "10.0.0.88"), rec("new", "A", "10.0.0.1")]
    )
    serial = knot.serial("internal")
    code, _, err = agent("apply", path, "--on-conflict", "fail")
    assert code == 3
    assert err.count("error:") == 1
    assert "conflict" in err
    assert knot.serial("internal") == serial


def test_idempotence_plan_4_then_0_and_second_apply_sends_nothing(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    path = desired_file(tmp_path, [NS, NS0, rec("a", "A", "10.0.0.1"), rec("b", "AAAA", "fd00::1")])
    assert agent("plan", path)[0] == 4
    assert agent("apply", path, "--dry-run")[0] == 4
    assert knot.serial("internal") == 1  # plan and dry run sent nothing
    assert agent("apply", path)[0] == 0
    serial = knot.serial("internal")
    assert agent("plan", path)[0] == 0
    assert agent("apply", path, "--dry-run")[0] == 0
    code, out, _ = agent("apply", path, "--json")
    assert code == 0
    assert json.loads(out)["zones"][0]["result"]["messages_sent"] == 0
    assert knot.serial("internal") == serial


def test_txt_with_spaces_quotes_and_backslashes_round_trips(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    data = '"hello world" "say \\"hi\\"" "back\\\\slash" "semi;colon"'
    path = desired_file(tmp_path, [NS, NS0, rec("t", "TXT", data)])
    assert agent("apply", path)[0] == 0
    line = next(ln for ln in knot.axfr("internal") if ln.startswith("t.internal."))
    assert line.split("\tTXT\t", 1)[1] == data
    assert agent("plan", path)[0] == 0


def test_mass_delete_is_refused_without_force(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    many = [rec(f"h{i}", "A", f"10.0.1.{i}") for i in range(1, 7)]
    path = desired_file(tmp_path, [NS, NS0, *many])
    assert agent("apply", path)[0] == 0
    serial = knot.serial("internal")
    path = desired_file(tmp_path, [NS, NS0, *many[:1]])  # deletes 5 of 8 owned
    code, _, err = agent("apply", path)
    assert code == 1
    assert "--force" in err
    assert err.count("\n") == 1
    assert knot.serial("internal") == serial
    assert agent("apply", path, "--max-delete-fraction", "0.7")[0] == 0
    assert agent("plan", path)[0] == 0


def test_force_applies_a_mass_delete(knot: KnotServer, agent: AgentRun, tmp_path: Path) -> None:
    many = [rec(f"h{i}", "A", f"10.0.1.{i}") for i in range(1, 5)]
    assert agent("apply", desired_file(tmp_path, [NS, NS0, *many]))[0] == 0
    path = desired_file(tmp_path, [NS, NS0])
    assert agent("apply", path)[0] == 1
    assert agent("apply", path, "--force")[0] == 0
    assert not any(ln.startswith("h1.") for ln in knot.axfr("internal"))


def test_backup_and_metrics_written(knot: KnotServer, agent: AgentRun, tmp_path: Path) -> None:
    path = desired_file(tmp_path, [NS, NS0, rec("a", "A", "10.0.0.1")])
    metrics = tmp_path / "m.prom"
    backups = tmp_path / "backups"
    code, _, _ = agent("apply", path, "--metrics-file", str(metrics), "--backup-dir", str(backups))
    assert code == 0
    files = list(backups.iterdir())
    assert len(files) == 1
    assert "SOA" in files[0].read_text()
    text = metrics.read_text()
    assert 'dns_static_records_sync_success{zone="internal"} 1' in text
    assert 'dns_static_records_changes{zone="internal",action="add"} 1' in text
    assert 'dns_static_records_managed_count{zone="internal"} 3' in text
    # nothing to send: no new backup
    assert agent("apply", path, "--backup-dir", str(backups))[0] == 0
    assert len(list(backups.iterdir())) == 1
