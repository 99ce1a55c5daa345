"""Other writers' claims against a real knotd: ownership markers and registry
records are never taken over, adopted or deleted; our marker never changes a
foreign TXT RRset; a DHCP or ExternalDNS claim written between our read and
our UPDATE fails the message (its prerequisites pin the claim state as read),
and the retry finds the conflict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.zone_reader import ZoneSnapshot
from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.fixtures.kea import KeaDdns
from tests.fixtures.knot import KnotServer
from tests.fixtures.writers import RegistryLayout, Writers

pytestmark = pytest.mark.knot

NS = rec("@", "NS", "ns0.internal.", 3600)
NS0 = rec("ns0", "A", "10.0.0.53", 3600)
REGISTRY = (
    '"heritage=external-dns,external-dns/owner=default,external-dns/resource=ingress/a/forge"'
)
DHCID = "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA="


@pytest.fixture
def agent(knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> AgentRun:
    return AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)


def rrs(knot: KnotServer) -> set[str]:
    """The zone's RRs without the SOA, whitespace normalised."""
    return {" ".join(line.split()) for line in knot.axfr("internal")[1:]}


def doc_file(tmp_path: Path, records: list[dict[str, Any]], layouts: list[dict[str, str]]) -> Path:
    doc = document({"internal": [NS, NS0, *records]})
    doc["externalDns"] = {"layouts": layouts}
    return write_document(tmp_path / "desired.json", doc)


def take_over(
    agent: AgentRun,
    path: Path,
    tmp_path: Path,
    keys: list[str],
    *extra: str,
    after_read: Any = None,
) -> tuple[int, str, str]:
    """``apply --take-over KEY ... --backup-dir`` (a take-over needs a backup)."""
    flags = [flag for key in keys for flag in ("--take-over", key)]
    backups = str(tmp_path / "backups")
    return agent("apply", path, *flags, "--backup-dir", backups, *extra, after_read=after_read)


def conflicts(agent: AgentRun, path: Path) -> dict[tuple[str, str], str]:
    code, out, err = agent("plan", path, "--json")
    assert code in (0, 4), err
    zone: dict[str, Any] = json.loads(out)["zones"][0]
    return {(c["name"], c["type"]): c["kind"] for c in zone["conflicts"]}


# -- t11 #1: markers and registry records are foreign ---------------------------------


def test_registry_record_and_another_prefixs_marker_are_never_taken_over(
    knot: KnotServer, writers: Writers, agent: AgentRun, tmp_path: Path
) -> None:
    writers.hand_made(
        "internal",
        [
            "forge 300 A 10.1.0.5",
            f"k8s.a-forge 300 TXT {REGISTRY}",
            "web 300 A 10.0.0.8",
            'dns.web 300 TXT "heritage=nix,managed-by=forge,type=A"',
        ],
    )
    before = rrs(knot)
    path = doc_file(
        tmp_path,
        [rec("k8s.a-forge", "TXT", '"mine"'), rec("dns.web", "TXT", '"mine too"')],
        [{"prefix": "k8s."}],
    )
    keys = ["k8s.a-forge.internal/TXT", "dns.web.internal/TXT"]
    code, out, err = take_over(agent, path, tmp_path, keys)
    assert code == 0, err
    assert "! k8s.a-forge TXT skipped: marker: the TXT RRset is ExternalDNS's registry" in out
    assert "! dns.web TXT skipped: marker:" in out
    assert "take-over refused" in out
    after = rrs(knot)
    assert before <= after
    assert not any(line.startswith(("nix.k8s.", "nix.dns.")) for line in after)
    assert not any('"mine' in line for line in after)
    # and ExternalDNS still owns forge
    assert conflicts(agent, doc_file(tmp_path, [rec("forge", "A", "10.0.0.9")], [])) == {
        ("forge", "A"): "external-dns"
    }


def test_declaring_a_marker_text_is_a_checker_error_before_any_io(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    path = doc_file(tmp_path, [rec("k8s.a-forge", "TXT", REGISTRY)], [{"prefix": "k8s."}])
    before = rrs(knot)
    code, _, err = agent("apply", path)
    assert code == 1  # bad input (contract §5)
    assert "marker-text" in err
    assert rrs(knot) == before


def test_a_registry_record_we_marked_is_released_never_deleted(
    knot: KnotServer, writers: Writers, agent: AgentRun, tmp_path: Path
) -> None:
    """An earlier version adopted ExternalDNS's registry text; undeclaring it
    removes only our marker."""
    writers.hand_made(
        "internal",
        [
            "forge 300 A 10.1.0.5",
            f"k8s.a-forge 300 TXT {REGISTRY}",
            'nix.k8s.a-forge 300 TXT "heritage=nix,managed-by=routy,type=TXT"',
        ],
    )
    code, out, err = agent("apply", doc_file(tmp_path, [], [{"prefix": "k8s."}]))
    assert code == 0, err
    after = rrs(knot)
    assert f"k8s.a-forge.internal. 300 IN TXT {REGISTRY}" in after
    assert not any(line.startswith("nix.k8s.a-forge.") for line in after)
    assert "never rewritten or deleted" in out + err


# -- t11 #9: adding our marker never changes a foreign TXT RRset ------------------------


def test_marker_name_holding_a_hand_made_txt_with_another_ttl_is_a_conflict(
    knot: KnotServer, writers: Writers, agent: AgentRun, tmp_path: Path
) -> None:
    writers.hand_made(
        "internal",
        [
            "printer 3600 A 10.0.0.9",
            'nix.printer 3600 TXT "printer note"',
            'nix.scanner 600 TXT "scanner note"',
            'nix.cam 300 TXT "cam note"',
        ],
    )
    path = doc_file(
        tmp_path,
        [
            rec("printer", "A", "10.0.0.10"),
            rec("scanner", "A", "10.0.0.11"),
            rec("cam", "A", "10.0.0.12"),
        ],
        [],
    )
    code, out, err = take_over(agent, path, tmp_path, ["printer.internal/A"])
    assert code == 0, err
    assert "! printer A skipped: marker-occupied:" in out
    assert "! scanner A skipped: marker-occupied:" in out
    after = rrs(knot)
    assert 'nix.printer.internal. 3600 IN TXT "printer note"' in after
    assert "printer.internal. 3600 IN A 10.0.0.9" in after
    assert 'nix.scanner.internal. 600 IN TXT "scanner note"' in after
    assert not any(line.startswith("scanner.internal.") for line in after)
    # TTLs agree: our marker joins their TXT, which keeps its data and TTL
    assert "cam.internal. 300 IN A 10.0.0.12" in after
    assert 'nix.cam.internal. 300 IN TXT "cam note"' in after
    assert 'nix.cam.internal. 300 IN TXT "heritage=nix,managed-by=routy,type=A"' in after


# -- t11 #2: a claim written between our read and our UPDATE fails the message ----------


def _between_read_and_send(action: Any) -> Any:
    def hook(_snapshot: ZoneSnapshot, attempt: int) -> None:
        if attempt == 1:
            action()

    return hook


def test_concurrent_dhcp_and_external_dns_claims_fail_take_over_and_add(
    knot: KnotServer, writers: Writers, kea: KeaDdns, agent: AgentRun, tmp_path: Path
) -> None:
    """The tester's race: DHCP and ExternalDNS claim names we take over or add,
    writing only RRsets our message does not otherwise touch."""
    writers.hand_made("internal", ["h5 300 A 10.9.9.5", "h6 300 A 10.9.9.6"])
    path = doc_file(
        tmp_path,
        [
            rec("h5", "A", "10.0.0.5"),
            rec("h6", "A", "10.0.0.6"),
            rec("new2", "A", "10.0.0.52"),
            rec("new6", "A", "10.0.0.56"),
        ],
        [{"prefix": "k8s."}],
    )

    def claim() -> None:
        writers.hand_made("internal", ["h5 300 AAAA fd00::5", f"h5 300 DHCID {DHCID}"])
        writers.external_dns_layout(
            "internal", "h6", "AAAA", ["fd00::6"], RegistryLayout(prefix="k8s.")
        )
        kea.add_lease("new2.internal.", "fd00::52", reverse=False)  # AAAA + DHCID
        writers.external_dns_layout(
            "internal", "new6", "AAAA", ["fd00::56"], RegistryLayout(prefix="k8s.")
        )

    keys = ["h5.internal/A", "h6.internal/A"]
    hook = _between_read_and_send(claim)
    code, out, err = take_over(agent, path, tmp_path, keys, "--json", after_read=hook)
    assert code == 0, err
    result = json.loads(out)["zones"][0]["result"]
    assert result["attempts"] == 2
    assert "prerequisite failed" in err
    after = rrs(knot)
    assert "h5.internal. 300 IN A 10.9.9.5" in after
    assert "h6.internal. 300 IN A 10.9.9.6" in after
    for name in ("h5", "h6", "new2", "new6"):
        assert not any(line.startswith(f"nix.{name}.") for line in after), name
    assert not any(ip in line for line in after for ip in ("10.0.0.52", "10.0.0.56", "10.0.0.5 "))
    assert conflicts(agent, path) == {
        ("h5", "A"): "dhcp",
        ("h6", "A"): "external-dns",
        ("new2", "A"): "dhcp",
        ("new6", "A"): "external-dns",
    }


LAYOUTS = [
    RegistryLayout(),
    RegistryLayout(prefix="k8s."),
    RegistryLayout(suffix="-edns"),
    RegistryLayout(prefix="%{record_type}-"),
    RegistryLayout(suffix="-edns", zone_aware=True),
]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: repr(layout)[14:-1])
@pytest.mark.parametrize("legacy", [False, True], ids=["new-format", "legacy"])
def test_concurrent_registry_claim_under_each_layout_fails_the_add(
    knot: KnotServer,
    writers: Writers,
    agent: AgentRun,
    tmp_path: Path,
    layout: RegistryLayout,
    legacy: bool,
) -> None:
    configured = {"prefix": layout.prefix, "suffix": layout.suffix}
    path = doc_file(tmp_path, [rec("new6.apps", "A", "10.0.0.56")], [configured])

    def claim() -> None:
        writers.external_dns_layout(
            "internal", "new6.apps", "AAAA", ["fd00::56"], layout, legacy=legacy
        )

    code, out, err = agent("apply", path, "--json", after_read=_between_read_and_send(claim))
    assert code == 0, err
    assert json.loads(out)["zones"][0]["result"]["attempts"] == 2
    after = rrs(knot)
    assert not any("10.0.0.56" in line or line.startswith("nix.new6.") for line in after)
    assert conflicts(agent, path) == {("new6.apps", "A"): "external-dns"}


@pytest.mark.parametrize(
    "written",
    [
        [f"new7 300 DHCID {DHCID}"],  # a DHCP claim alone, no address yet
        ['new7 300 TXT "heritage=external-dns,external-dns/owner=default"'],  # legacy registry
        ['nix.new7 300 TXT "a note by hand at the marker name"'],
    ],
    ids=["dhcid", "legacy-registry-txt", "marker-name-txt"],
)
def test_a_name_empty_as_read_is_pinned_not_in_use(
    knot: KnotServer, writers: Writers, agent: AgentRun, tmp_path: Path, written: list[str]
) -> None:
    """The add at a name (and marker name) that held nothing as read carries
    one "name is not in use" prerequisite for each: anything written there
    between read and send -- a claim or not -- fails the message whole."""
    path = doc_file(tmp_path, [rec("new7", "A", "10.0.0.57")], [{}])
    hook = _between_read_and_send(lambda: writers.hand_made("internal", written))
    code, out, err = agent("apply", path, "--json", after_read=hook)
    assert code == 0, err
    assert json.loads(out)["zones"][0]["result"]["attempts"] == 2
    assert "prerequisite failed (YXDOMAIN" in err
    after = rrs(knot)
    for line in written:
        assert any(have.startswith(line.split()[0] + ".internal.") for have in after), line
