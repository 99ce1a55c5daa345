"""ExternalDNS's registry layouts against a real knotd (issue 9, inputs 1-3).

Every layout ExternalDNS documents for its TXT registry (no prefix, legacy TXT
at the record's own name, ``--txt-prefix`` with and without ``%{record_type}``
and a dot, ``--txt-suffix`` with and without them, ``--domain-filter``'s
multi-label hosts, ``--txt-wildcard-replacement``), for A, AAAA, CNAME, MX,
SRV, TXT and NS records. The registry names are written by
`RegistryLayout.txt_name`, a re-statement of ExternalDNS's own mapper, so
the agent's inverse is checked against the forward mapping.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.fixtures.knot import KnotFactory, KnotServer
from tests.fixtures.writers import RegistryLayout, Writers

pytestmark = pytest.mark.knot

ZONE = "lan.test"
APEX = [
    rec("@", "NS", "ns0.internal.", 3600),
    rec("@", "MX", "10 mail.lan.test."),
    rec("@", "TXT", '"v=spf1 -all"'),
    rec("@", "CAA", '0 issue "letsencrypt.org"'),
]

# ExternalDNS endpoints per type: (name, type, its data, the data we would declare)
ENDPOINTS: list[tuple[str, str, str, str]] = [
    ("forge", "A", "10.0.0.40", "10.9.9.40"),
    ("v6", "AAAA", "fd00::40", "fd00::99"),
    ("www", "CNAME", "forge.lan.test.", "mine.lan.test."),
    ("mail", "MX", "10 forge.lan.test.", "20 mine.lan.test."),
    ("_sip._tcp.voip", "SRV", "0 5 5060 forge.lan.test.", "0 5 5061 mine.lan.test."),
    ("note", "TXT", '"hello"', '"other"'),
    ("deleg", "NS", "ns1.example.", "ns2.example."),
]

LAYOUTS: dict[str, RegistryLayout] = {
    "default": RegistryLayout(),
    "prefix-k8s": RegistryLayout(prefix="k8s."),
    "prefix-type-dash": RegistryLayout(prefix="%{record_type}-"),
    "prefix-type-dot": RegistryLayout(prefix="%{record_type}-abc-."),
    "prefix-k8s-type-dot": RegistryLayout(prefix="k8s.%{record_type}."),
    "suffix": RegistryLayout(suffix="-edns"),
    "suffix-type-dot": RegistryLayout(suffix="-.%{record_type}"),
    "suffix-domain-filter": RegistryLayout(suffix="-edns", zone_aware=True),
    "prefix-wildcard": RegistryLayout(prefix="k8s.", wildcard_replacement="any"),
}


@pytest.fixture
def lan(knot_factory: KnotFactory) -> KnotServer:
    return knot_factory(zones=(ZONE,))


@pytest.fixture
def writers(lan: KnotServer) -> Writers:
    """ExternalDNS and hand-made writers for the `lan` server."""
    return Writers(lan)


def rrs(knot: KnotServer) -> list[str]:
    """The zone's RRs without the SOA, whitespace normalised (``name ttl IN type data``)."""
    return [" ".join(line.split()) for line in knot.axfr(ZONE)[1:]]


def run_agent(knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> AgentRun:
    return AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)


def doc_file(
    tmp_path: Path, records: list[dict[str, Any]], layouts: list[dict[str, str]] | None
) -> Path:
    doc = document({ZONE: records})
    if layouts is not None:
        doc["externalDns"] = {"layouts": layouts}
    return write_document(tmp_path / "desired.json", doc)


def layout_json(layout: RegistryLayout) -> dict[str, str]:
    out = {"prefix": layout.prefix, "suffix": layout.suffix}
    if layout.wildcard_replacement:
        out["wildcardReplacement"] = layout.wildcard_replacement
    return out


def plan_json(agent: AgentRun, path: Path) -> tuple[int, dict[str, Any]]:
    code, out, err = agent("plan", path, "--json")
    assert code in (0, 4), err
    zones: list[dict[str, Any]] = json.loads(out)["zones"]
    return code, zones[0]


def conflict_names(plan: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(c["name"], c["type"]): c["kind"] for c in plan["conflicts"]}


# -- the inputs ------------------------------------------------------------------


def test_default_layout_marker_does_not_claim_the_apex(
    lan: KnotServer, writers: Writers, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Input 1: ``a-forge`` (no prefix) claims forge, not the apex."""
    writers.hand_made(
        ZONE,
        [
            "forge 300 A 10.0.0.40",
            'a-forge 300 TXT "heritage=external-dns,external-dns/owner=default,'
            'external-dns/resource=ingress/apps/forge"',
        ],
    )
    agent = run_agent(lan, capsys)
    path = doc_file(tmp_path, [*APEX, rec("forge", "A", "10.0.0.40")], None)
    _, plan = plan_json(agent, path)
    assert conflict_names(plan) == {("forge", "A"): "external-dns"}
    assert not any("fit no configured" in w for w in plan["warnings"])

    code, out, err = agent("apply", path, "--on-conflict", "skip")
    assert code == 0, err
    axfr = "\n".join(rrs(lan))
    assert "v=spf1 -all" in axfr
    assert "letsencrypt.org" in axfr
    assert "MX 10 mail" in axfr
    # apex records we own and stop declaring are deleted, not released
    path = doc_file(tmp_path, [APEX[0], APEX[2], APEX[3]], None)
    code, out, err = agent("apply", path)
    assert code == 0, err
    assert "- @ MX 300 10 mail.lan.test." in out
    assert "MX 10 mail" not in "\n".join(rrs(lan))
    assert "forge.lan.test. 300 IN A 10.0.0.40" in rrs(lan)


def test_default_layout_apex_with_on_conflict_fail(
    lan: KnotServer, writers: Writers, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    writers.external_dns_layout(ZONE, "forge", "A", ["10.0.0.40"], RegistryLayout())
    agent = run_agent(lan, capsys)
    code, out, err = agent("apply", doc_file(tmp_path, APEX, None), "--on-conflict", "fail")
    assert code == 0, err
    assert "applied (3 add, 0 delete, 0 update, 1 adopt)" in out


def test_legacy_marker_at_the_records_own_name(
    lan: KnotServer, writers: Writers, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Input 2: the legacy TXT at ``forge`` itself claims forge: no adoption,
    and a name we owned before is released, never deleted."""
    writers.external_dns_layout(ZONE, "forge", "A", ["10.0.0.40"], RegistryLayout(), legacy=True)
    agent = run_agent(lan, capsys)
    path = doc_file(tmp_path, [APEX[0], rec("forge", "A", "10.0.0.40")], None)
    before = rrs(lan)
    code, out, err = agent("apply", path, "--on-conflict", "fail")
    assert code == 3, out + err
    assert rrs(lan) == before

    # we owned "old" before ExternalDNS wrote its legacy marker there
    path = doc_file(tmp_path, [APEX[0], rec("old", "A", "10.0.0.41")], None)
    assert agent("apply", path)[0] == 0
    writers.hand_made(ZONE, ['old 300 TXT "heritage=external-dns,external-dns/owner=default,x=y"'])
    code, out, err = agent("apply", doc_file(tmp_path, [APEX[0]], None))
    assert code == 0, err
    assert "- old A release" in out
    assert "old.lan.test. 300 IN A 10.0.0.41" in rrs(lan)


@pytest.mark.parametrize("configured", [True, False], ids=["configured", "unconfigured"])
def test_suffix_layout(
    lan: KnotServer,
    writers: Writers,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    configured: bool,
) -> None:
    """Input 3: ``--txt-suffix=-edns``: forge is ExternalDNS's, whether the
    layout is configured (exact) or not (fail-safe, with a hint)."""
    layout = RegistryLayout(suffix="-edns")
    assert writers.external_dns_layout(ZONE, "forge", "A", ["10.0.0.40"], layout) == (
        "a-forge-edns"
    )
    agent = run_agent(lan, capsys)
    extra = ["--txt-suffix=-edns"] if configured else []
    code, out, err = agent("classify", None, "--zone", ZONE, "--format", "json", *extra)
    assert code == 0, err
    rows = {(r["name"], r["type"]): r["category"] for r in json.loads(out)}
    assert rows[("forge.lan.test.", "A")] == "external-dns"
    assert ("fit no configured" in err) is not configured
    code, out, err = agent("classify", None, "--zone", ZONE, "--format", "nix", *extra)
    assert "forge" not in out

    layouts = [layout_json(layout)] if configured else None
    path = doc_file(tmp_path, [APEX[0], rec("forge", "A", "10.0.0.40")], layouts)
    before = rrs(lan)
    code, out, err = agent("apply", path)
    assert code == 0, err
    assert "! forge A skipped: external-dns" in out
    assert ("fit no configured" in out + err) is not configured
    assert [ln for ln in rrs(lan) if "forge" in ln] == [ln for ln in before if "forge" in ln]


# -- the whole kind: every documented layout, every type -----------------------------------


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_every_layout_and_type(
    lan: KnotServer,
    writers: Writers,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
) -> None:
    layout = LAYOUTS[name]
    expected: set[tuple[str, str]] = set()
    declared = list(APEX)
    for owner, rtype, data, ours in ENDPOINTS:
        writers.external_dns_layout(ZONE, owner, rtype, [data], layout)
        expected.add((owner, rtype))
        declared.append(rec(owner, rtype, ours))
    if name == "default":  # the legacy format too, at other names
        writers.external_dns_layout(ZONE, "old", "A", ["10.0.0.41"], layout, legacy=True)
        expected.add(("old", "A"))
        declared.append(rec("old", "A", "10.0.0.41"))
    if layout.wildcard_replacement or name == "default":
        writers.external_dns_layout(ZONE, "*.apps", "A", ["10.0.0.42"], layout)
        expected.add(("*.apps", "A"))
        declared.append(rec("*.apps", "A", "10.0.0.42"))
    if layout.zone_aware:
        writers.external_dns_layout(ZONE, "name.sub", "A", ["10.0.0.43"], layout)
        expected.add(("name.sub", "A"))
        declared.append(rec("name.sub", "A", "10.0.0.43"))
    declared.append(rec("mine", "A", "10.0.0.7"))
    agent = run_agent(lan, capsys)

    # configured: exactly the endpoints are claimed, nothing is a guess
    _, plan = plan_json(agent, doc_file(tmp_path, declared, [layout_json(layout)]))
    assert conflict_names(plan) == dict.fromkeys(expected, "external-dns")
    assert not any("fit no configured" in w for w in plan["warnings"]), plan["warnings"]
    added = {(c["name"], c["type"]) for c in plan["changes"] if c["action"] == "add"}
    assert added == {("@", "MX"), ("@", "TXT"), ("@", "CAA"), ("mine", "A")}

    # unconfigured (ExternalDNS's defaults assumed): still every endpoint
    # claimed, by the fail-safe where needed; at the apex only RRsets of a type
    # an unfit marker could name (a prefix ending in a dot reaches the apex)
    _, plan = plan_json(agent, doc_file(tmp_path, declared, None))
    assert expected <= conflict_names(plan).keys()
    apex = [c for c in plan["conflicts"] if c["name"] == "@"]
    assert all("could stand for the zone apex" in c["detail"] for c in apex), apex
    assert ("@", "CAA") in {(c["name"], c["type"]) for c in plan["changes"]}
    same_as_default = name in ("default", "prefix-type-dash")
    assert any("fit no configured" in w for w in plan["warnings"]) is not same_as_default

    # applying the configured document leaves every ExternalDNS record alone
    before = [ln for ln in rrs(lan) if "nix." not in ln]
    code, _, err = agent("apply", doc_file(tmp_path, declared, [layout_json(layout)]))
    assert code == 0, err
    after = set(rrs(lan))
    assert set(before) - after == set()


def test_apex_endpoint_under_a_dotted_type_prefix(
    lan: KnotServer, writers: Writers, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """ExternalDNS manages the apex only with a prefix like
    ``%{record_type}-abc-.``: then the apex A is its, and only when configured."""
    layout = RegistryLayout(prefix="%{record_type}-abc-.")
    assert writers.external_dns_layout(ZONE, "@", "A", ["10.0.0.50"], layout) == "a-abc-"
    agent = run_agent(lan, capsys)
    declared = [APEX[0], rec("@", "A", "10.0.0.51"), APEX[1]]
    _, plan = plan_json(agent, doc_file(tmp_path, declared, [layout_json(layout)]))
    claimed = conflict_names(plan)
    assert claimed == dict.fromkeys([("@", "A"), ("@", "MX"), ("@", "NS")], "external-dns")
