"""The VM test's scenario (nixos-tests/scenario.nix) on this machine.

Nix -> JSON -> check -> sync: nix-instantiate renders the scenario with
nix/lib.nix, the checker accepts it, and the agent applies it to a real
knotd on 127.0.0.1 where the VM test's assertions run again.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import dns.message
import dns.name
import dns.query
import dns.rdataclass
import dns.rdatatype
import pytest

from tests.fixtures.knot import KnotServer
from tests.nix.nixrun import REPO, SCENARIO, lib_expr, nix_eval, nix_path, requires_nix

pytestmark = [pytest.mark.nix, requires_nix]

GOLDEN = REPO / "nixos-tests" / "scenario.golden.json"


def _scenario() -> dict[str, Any]:
    # `marker` is a function: take the JSON-able part only
    expr = (
        f"let s = import {nix_path(SCENARIO)}; in "
        "{ inherit (s) managedBy ownerPrefix foreign expected expectedMetrics dryRunPlan; }"
    )
    result: dict[str, Any] = nix_eval(expr)
    return result


def _render(zones_attr: str) -> dict[str, Any]:
    expr = lib_expr(
        f"let s = import {nix_path(SCENARIO)}; in "
        f"lib.render {{ zones = s.{zones_attr}; "
        "inherit (s) managedBy ownerPrefix externalDnsLayouts; }"
    )
    result: dict[str, Any] = nix_eval(expr)
    return result


def _write(tmp_path: Path, name: str, doc: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=2))
    return path


def _run_module(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )


def test_golden_document_is_up_to_date() -> None:
    # flake check `render-golden` compares against this file too
    assert _render("zones") == json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("zones_attr", ["zones", "changedZones"])
def test_scenario_passes_the_checker(tmp_path: Path, zones_attr: str) -> None:
    path = _write(tmp_path, f"{zones_attr}.json", _render(zones_attr))
    result = _run_module("checker", "--strict", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


# ---- against a real knotd ---------------------------------------------------


def _rrset(knot: KnotServer, name: str, rtype: str) -> list[str]:
    query = dns.message.make_query(name, rtype)
    answer = dns.query.tcp(query, knot.server, port=knot.port, timeout=5.0)
    found = answer.get_rrset(
        answer.answer,
        dns.name.from_text(name),
        dns.rdataclass.IN,
        dns.rdatatype.from_text(rtype),
    )
    if found is None:
        return []
    # base64 in one piece, as kdig prints it (dnspython splits at 32 characters)
    chunked = {"chunksize": 0} if rtype == "DHCID" else {}
    return sorted(rdata.to_text(**chunked) for rdata in found)


def _verify(knot: KnotServer, scenario: dict[str, Any], stage: str) -> None:
    expected = scenario["expected"][stage]
    for rr in expected["present"]:
        got = _rrset(knot, rr["name"], rr["type"])
        assert got == sorted(rr["data"]), f"{stage}: {rr['name']} {rr['type']}"
    for rr in expected["absent"]:
        got = _rrset(knot, rr["name"], rr["type"])
        assert got == [], f"{stage}: {rr['name']} {rr['type']} should be absent"


def _zones(knot: KnotServer) -> dict[str, list[str]]:
    return {zone: knot.axfr(zone) for zone in ("internal", "10.in-addr.arpa", "s3.garage.internal")}


def _agent(knot: KnotServer, command: str, desired: Path, *extra: str) -> str:
    result = _run_module(
        "agent",
        command,
        "--desired",
        str(desired),
        *knot.agent_options("bind"),
        *extra,
    )
    output = result.stdout + result.stderr
    # plan / --dry-run exit 4 when changes are pending (contract §5)
    assert result.returncode in (0, 4), f"agent {command} exited {result.returncode}:\n{output}"
    return output


@pytest.mark.knot
def test_scenario_on_real_knot(knot: KnotServer, tmp_path: Path) -> None:
    scenario = _scenario()
    desired = _write(tmp_path, "desired.json", _render("zones"))
    changed = _write(tmp_path, "changed.json", _render("changedZones"))
    metrics = tmp_path / "metrics" / "dns_static_records.prom"
    metrics.parent.mkdir()
    backups = tmp_path / "backups"

    # foreign DHCP and ExternalDNS records are seeded first
    for rr in scenario["foreign"]:
        knot.knsupdate(rr["zone"], [f"add {rr['name']} {rr['ttl']} {rr['type']} {rr['data']}"])
    _verify(knot, scenario, "seeded")

    # dry run: plan and apply --dry-run leave every zone unchanged
    before = _zones(knot)
    planned = _agent(knot, "plan", changed)
    for zone, lines in scenario["dryRunPlan"].items():  # what the VM test greps for
        for line in lines:
            assert line in planned, f"{zone}: {line!r} not in the plan:\n{planned}"
    _agent(knot, "apply", changed, "--dry-run")
    assert _zones(knot) == before

    # apply: records and markers; foreign records untouched; metrics written
    _agent(knot, "apply", desired, "--metrics-file", str(metrics), "--backup-dir", str(backups))
    _verify(knot, scenario, "applied")
    text = metrics.read_text()
    for line in scenario["expectedMetrics"]:
        assert line in text, text

    # records survive a Knot restart; re-applying changes nothing
    knot.restart()
    _verify(knot, scenario, "applied")
    serial = knot.serial("internal")
    _agent(knot, "apply", desired)
    assert knot.serial("internal") == serial

    # lifecycle: add, remove, modify
    _agent(knot, "apply", changed)
    _verify(knot, scenario, "changed")
