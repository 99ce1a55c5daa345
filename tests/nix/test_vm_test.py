"""The NixOS VM test (nixos-tests/default.nix), read without running a VM.

These machines cannot boot the VM, so what can be checked by evaluation is
checked here: the node's key never passes through the store, the test
script is valid Python, and its assertions can fail (the dry run is judged
by plan lines the scenario test also asserts against a real knotd).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.nix.nixrun import REPO, nix_eval, nix_path, requires_nix

pytestmark = [pytest.mark.nix, requires_nix]

VM_TEST = REPO / "nixos-tests" / "default.nix"
FAKE_PKGS = REPO / "tests" / "nix" / "fake-pkgs.nix"


@pytest.fixture(scope="module")
def vm(nixpkgs_lib: Path) -> dict[str, Any]:
    expr = f"""
    let
      pkgs = import {nix_path(FAKE_PKGS)} {{ nixpkgsLib = {nix_path(nixpkgs_lib)}; }};
      inherit (pkgs) lib;
      test = import {nix_path(VM_TEST)} {{ inherit pkgs; module = {{ }}; }};
      node = test.nodes.routy {{ inherit lib; }};
      nodes.routy = {{
        system.build.toplevel = "/fake/toplevel";
        services.dnsStaticRecords.metrics.path = node.services.dnsStaticRecords.metrics.path;
      }};
    in {{
      script = test.testScript {{ inherit nodes; }};
      etc = builtins.attrNames (node.environment.etc or {{ }});
      knotKeyFiles = node.services.knot.keyFiles or [ ];
      tsigKeyFile = node.services.dnsStaticRecords.tsigKeyFile;
      knotConfigure = node.services.dnsStaticRecords.knot.configure or false;
      keyScript = node.systemd.services.dns-test-tsig-key.script or "";
    }}
    """
    result: dict[str, Any] = nix_eval(expr)
    return result


def test_key_is_made_on_the_machine_not_in_the_store(vm: dict[str, Any]) -> None:
    assert vm["etc"] == []  # environment.etc.<n>.text would be a store file
    assert vm["knotKeyFiles"] == []  # Knot gets it from the module
    assert vm["knotConfigure"] is True
    assert not vm["tsigKeyFile"].startswith("/nix/store")
    assert "keymgr -t" in vm["keyScript"]
    assert vm["tsigKeyFile"] in vm["keyScript"]


def test_script_is_python(vm: dict[str, Any]) -> None:
    compile(vm["script"], "testScript", "exec")


def test_dry_run_is_judged_by_plan_lines(vm: dict[str, Any]) -> None:
    script = vm["script"]
    # the unit's description holds the zone name: that grep could not fail
    assert "grep -i internal" not in script
    assert 'scenario["dryRunPlan"]' in script
    assert "dryRunPlan" in script.split("scenario = json.loads(", 1)[1].split("\n", 1)[0]


def test_script_prints_the_units_exposure(vm: dict[str, Any]) -> None:
    assert "systemd-analyze security dns-static-sync-internal.service" in vm["script"]


def test_script_reads_metrics_through_node_exporter(vm: dict[str, Any]) -> None:
    assert "127.0.0.1:9100/metrics" in vm["script"]
