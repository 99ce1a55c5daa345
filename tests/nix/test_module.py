"""Evaluate the NixOS module with nixpkgs' lib and stubs (tests/nix/module-eval.nix).

Needs NIXPKGS_LIB (a checkout of nix-community/nixpkgs.lib, or of nixpkgs)
and DNS_NIX (a checkout of nix-community/dns.nix); skipped otherwise.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.nix.nixrun import (
    HOST_PYTHON,
    NIX_INSTANTIATE,
    REPO,
    NixError,
    nix_build,
    nix_path,
    requires_nix,
)

pytestmark = [pytest.mark.nix, requires_nix]

EVAL = REPO / "tests" / "nix" / "module-eval.nix"

ZONES = """{
  "internal" = {
    NS = [ "ns0.internal." ];
    MX = [ { preference = 10; exchange = "mail.internal."; } ];
    subdomains = {
      ns0.A = [ "10.0.0.53" ];
      ns1.A = [ { address = "10.0.1.53"; ttl = 60; class = "IN"; } ];
      mail.A = [ "10.0.0.25" ];
      dns.CNAME = [ "ns0.internal." ];
    };
  };
  "10.in-addr.arpa." = {
    NS = [ "ns0.internal." ];
    subdomains."53.0.0".PTR = [ "ns0.internal." ];
  };
}"""


class Module:
    """Evaluates module-eval.nix for one configuration."""

    def __init__(self, nixpkgs_lib: Path, dns_nix: Path | None) -> None:
        self.nixpkgs_lib = nixpkgs_lib
        self.dns_nix = dns_nix

    def expr(self, configuration: str, attr: str = "result") -> str:
        dns = "null" if self.dns_nix is None else nix_path(self.dns_nix.parent)
        return (
            f"(import {nix_path(EVAL)} {{ nixpkgsLib = {nix_path(self.nixpkgs_lib)}; "
            f"dnsNix = {dns}; python = {json.dumps(HOST_PYTHON)}; "
            f"configuration = {configuration}; }}).{attr}"
        )

    def eval(self, configuration: str) -> dict[str, Any]:
        assert NIX_INSTANTIATE is not None
        # read-write mode: the checked document's .drv gets written
        proc = subprocess.run(
            [
                NIX_INSTANTIATE,
                "--eval",
                "--strict",
                "--json",
                "--read-write-mode",
                "--expr",
                self.expr(configuration),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise NixError("nix-instantiate", proc.stderr)
        result: dict[str, Any] = json.loads(proc.stdout)
        return result


def _config(settings: str = "", knot: bool = True, zones: str = ZONES) -> str:
    return (
        f"{{ services.knot.enable = {'true' if knot else 'false'}; "
        f'services.dnsStaticRecords = {{ enable = true; tsigKeyFile = "/run/secrets/tsig"; '
        f"zones = {zones}; {settings} }}; }}"
    )


@pytest.fixture(scope="module")
def module(nixpkgs_lib: Path, dns_nix: Path) -> Module:
    return Module(nixpkgs_lib, dns_nix)


def _exec(unit: dict[str, Any]) -> list[str]:
    words: list[str] = unit["serviceConfig"]["ExecStart"].split(" ")
    return words


def _flag(words: list[str], flag: str) -> str:
    return words[words.index(flag) + 1]


def test_one_sync_unit_per_zone(module: Module) -> None:
    result = module.eval(_config())
    assert result["failedAssertions"] == []
    # the zone as written, trailing dot dropped; dots are fine in unit names
    assert set(result["services"]) == {
        "dns-static-sync-internal",
        "dns-static-sync-10.in-addr.arpa",
    }
    assert result["timers"] == {}


def test_sync_unit_shape(module: Module) -> None:
    unit = module.eval(_config())["services"]["dns-static-sync-internal"]
    sc = unit["serviceConfig"]
    assert sc["Type"] == "oneshot"
    assert sc["RemainAfterExit"] is True
    assert unit["wantedBy"] == ["multi-user.target"]
    assert "knot.service" in unit["requires"]
    assert "knot.service" in unit["after"]
    assert sc["LoadCredential"] == ["key:/run/secrets/tsig"]
    assert sc["DynamicUser"] is True
    assert sc["ProtectSystem"] == "strict"
    assert sc["NoNewPrivileges"] is True
    assert sc["StateDirectory"] == "dns-static-records"
    assert "SuccessExitStatus" not in sc


def test_no_knot_dependency_when_knot_is_elsewhere(module: Module) -> None:
    unit = module.eval(_config('dnsServer = "10.0.0.53";', knot=False))["services"][
        "dns-static-sync-internal"
    ]
    assert unit["requires"] == []
    assert "knot.service" not in unit["after"]
    assert _flag(_exec(unit), "--server") == "10.0.0.53"


def test_exec_start_applies_the_checked_document(module: Module) -> None:
    result = module.eval(_config())
    unit = result["services"]["dns-static-sync-10.in-addr.arpa"]
    words = _exec(unit)
    assert words[0] == "/fake/dns-static-records/bin/dns-static-agent"
    assert words[1] == "apply"
    desired = _flag(words, "--desired")
    assert desired.startswith("/nix/store/")
    assert desired.endswith("-dns-static-records-routy.json")
    assert unit["restartTriggers"] == [desired]
    assert _flag(words, "--server") == "127.0.0.1"
    assert _flag(words, "--port") == "53"
    assert _flag(words, "--key-file") == "%d/key"
    assert _flag(words, "--zone") == "10.in-addr.arpa."
    assert _flag(words, "--on-conflict") == "skip"
    assert _flag(words, "--backup-dir") == "/var/lib/dns-static-records/backups"
    assert "--no-adopt" not in words
    assert "--metrics-file" not in words
    assert "--max-delete-fraction" not in words


def test_exec_start_flags_from_options(module: Module) -> None:
    settings = (
        'port = 5353; onConflict = "fail"; adopt = false; maxDeleteFraction = 0.25; '
        "backupDir = null; metrics.enable = true;"
    )
    words = _exec(module.eval(_config(settings))["services"]["dns-static-sync-internal"])
    assert _flag(words, "--port") == "5353"
    assert _flag(words, "--on-conflict") == "fail"
    assert "--no-adopt" in words
    assert float(_flag(words, "--max-delete-fraction")) == 0.25
    assert _flag(words, "--metrics-file") == (
        "/var/lib/prometheus-node-exporter/dns_static_records.prom"
    )
    assert "--backup-dir" not in words


def test_dry_run_plans_and_tolerates_pending_changes(module: Module) -> None:
    unit = module.eval(_config("dryRun = true; metrics.enable = true;"))["services"][
        "dns-static-sync-internal"
    ]
    words = _exec(unit)
    assert words[1] == "plan"
    assert "apply" not in words
    assert "--on-conflict" not in words
    assert "--metrics-file" not in words
    assert _flag(words, "--key-file") == "%d/key"
    assert unit["serviceConfig"]["SuccessExitStatus"] == [4]


def test_interval_adds_reconcile_unit_and_timer(module: Module) -> None:
    result = module.eval(_config('interval = "15min";'))
    assert set(result["timers"]) == {
        "dns-static-reconcile-internal",
        "dns-static-reconcile-10.in-addr.arpa",
    }
    timer = result["timers"]["dns-static-reconcile-internal"]
    assert timer["wantedBy"] == ["timers.target"]
    assert timer["timerConfig"]["OnUnitActiveSec"] == "15min"
    reconcile = result["services"]["dns-static-reconcile-internal"]
    sync = result["services"]["dns-static-sync-internal"]
    assert "RemainAfterExit" not in reconcile["serviceConfig"]
    assert reconcile["wantedBy"] == []
    assert "dns-static-sync-internal.service" in reconcile["after"]
    assert reconcile["serviceConfig"]["ExecStart"] == sync["serviceConfig"]["ExecStart"]


def test_metrics_directory_is_created_and_writable(module: Module) -> None:
    result = module.eval(_config("metrics.enable = true;"))
    sc = result["services"]["dns-static-sync-internal"]["serviceConfig"]
    assert "/var/lib/prometheus-node-exporter" in sc["ReadWritePaths"]
    assert result["tmpfiles"] == [
        "d /var/lib/prometheus-node-exporter 2775 root dns-static-records-files - -"
    ]
    assert sc["SupplementaryGroups"] == ["dns-static-records-files"]
    assert result["groups"] == ["dns-static-records-files"]


def test_alert_rules_go_to_prometheus_only_when_asked(module: Module) -> None:
    assert module.eval(_config("metrics.enable = true;"))["ruleFiles"] == []
    rule_files = module.eval(_config("metrics.enable = true; metrics.alertRules = true;"))[
        "ruleFiles"
    ]
    assert len(rule_files) == 1
    shipped = REPO / "alerts" / "dns-static-records.rules.yml"
    assert Path(rule_files[0]).read_text() == shipped.read_text()
    assert (
        module.eval("{ services.dnsStaticRecords.metrics.alertRules = true; }")["ruleFiles"] == []
    )


def test_take_over_reaches_apply_and_plan(module: Module) -> None:
    settings = 'takeOver = [ "internal/NS" "ns0.internal/A" ];'
    words = _exec(module.eval(_config(settings))["services"]["dns-static-sync-internal"])
    assert [words[i + 1] for i, w in enumerate(words) if w == "--take-over"] == [
        "internal/NS",
        "ns0.internal/A",
    ]
    words = _exec(
        module.eval(_config(settings + " dryRun = true;"))["services"]["dns-static-sync-internal"]
    )
    assert words[1] == "plan"
    assert "--take-over" in words
    assert "--take-over" not in _exec(
        module.eval(_config())["services"]["dns-static-sync-internal"]
    )


def test_take_over_needs_a_backup_dir(module: Module) -> None:
    result = module.eval(_config('takeOver = [ "internal/NS" ]; backupDir = null;'))
    assert any("takeOver" in m and "backupDir" in m for m in result["failedAssertions"])


def test_backup_dir_outside_state_directory(module: Module) -> None:
    result = module.eval(_config('backupDir = "/srv/dns-backups";'))
    sc = result["services"]["dns-static-sync-internal"]["serviceConfig"]
    assert sc["ReadWritePaths"] == ["/srv/dns-backups"]
    assert result["tmpfiles"] == ["d /srv/dns-backups 2775 root dns-static-records-files - -"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ('tsigKeyFile = "/nix/store/abc-key";', "is in the Nix store"),
        ('ownerPrefix = "nix.static";', "ownerPrefix"),
        ('managedBy = "routy,evil";', "managedBy"),
        ('managedBy = "";', "managedBy"),
        ('externalDns.layouts = [ { prefix = "a."; suffix = "-b"; } ];', "externalDns.layouts"),
    ],
)
def test_assertions(module: Module, settings: str, message: str) -> None:
    config = (
        "{ imports = [ "
        "({ lib, ... }: { services.dnsStaticRecords = { enable = true; "
        f'zones = {ZONES}; tsigKeyFile = lib.mkDefault "/run/secrets/tsig"; }}; }}) '
        f"{{ services.dnsStaticRecords = {{ {settings} }}; }} ]; }}"
    )
    failed = module.eval(config)["failedAssertions"]
    assert any(message in m for m in failed), failed


def test_disabled_module_defines_nothing(module: Module) -> None:
    result = module.eval("{ }")
    assert result["services"] == {}
    assert result["timers"] == {}
    assert result["failedAssertions"] == []


def test_no_zones_warns(module: Module) -> None:
    result = module.eval(_config(zones="{ }"))
    assert any("declares no zones" in w for w in result["warnings"])


def _build_checked(module: Module, configuration: str) -> tuple[int, str, str]:
    expr = module.expr(configuration, "config.services.dnsStaticRecords.checkedDocument")
    result = nix_build(expr)
    return result.returncode, result.out_path, result.log


def test_checked_document_from_dns_nix_types(module: Module) -> None:
    rc, out, log = _build_checked(module, _config())
    assert rc == 0, log
    doc = json.loads(Path(out).read_text())
    # managedBy defaults to networking.hostName ("routy" in the stubs)
    assert doc["owner"] == {"prefix": "nix", "managedBy": "routy"}
    records = doc["zones"]["internal"]["records"]
    assert {
        "name": "ns1",
        "type": "A",
        "data": "10.0.1.53",
        "ttl": 60,
        "source": "zones.internal.subdomains.ns1.A",
    } in records
    # dns.nix's class = "IN" and ttl = null leave no trace
    assert {
        "name": "@",
        "type": "MX",
        "data": "10 mail.internal.",
        "source": "zones.internal.MX",
    } in (records)
    assert doc["zones"]["10.in-addr.arpa."]["records"][1]["source"] == (
        'zones."10.in-addr.arpa.".subdomains."53.0.0".PTR'
    )


def test_external_dns_layouts_reach_the_checked_document(module: Module) -> None:
    rc, out, log = _build_checked(module, _config())
    assert rc == 0, log
    layouts = json.loads(Path(out).read_text())["externalDns"]["layouts"]
    assert layouts == [{"prefix": "", "suffix": "", "wildcardReplacement": ""}]
    settings = 'externalDns.layouts = [ { prefix = "k8s."; } ];'
    rc, out, log = _build_checked(module, _config(settings))
    assert rc == 0, log
    layouts = json.loads(Path(out).read_text())["externalDns"]["layouts"]
    assert layouts == [{"prefix": "k8s.", "suffix": "", "wildcardReplacement": ""}]


def test_bad_records_fail_the_checked_document(module: Module) -> None:
    zones = '{ internal.subdomains.ns0.A = [ "10.0.0.300" ]; }'
    rc, _, log = _build_checked(module, _config(zones=zones))
    assert rc != 0
    assert "error[address-syntax]" in log
    assert "zones.internal.subdomains.ns0.A" in log


def test_dns_nix_types_reject_malformed_records(module: Module) -> None:
    # dns.nix's MX has no string form: evaluation fails before any build
    zones = '{ internal.MX = [ "10 mail.internal." ]; }'
    with pytest.raises(NixError) as err:
        module.eval(_config(zones=zones))
    assert "MX" in err.value.output or "submodule" in err.value.output


def test_untyped_zones_without_dns_nix(nixpkgs_lib: Path) -> None:
    untyped = Module(nixpkgs_lib, None)
    result = untyped.eval(_config())
    assert set(result["services"]) == {
        "dns-static-sync-internal",
        "dns-static-sync-10.in-addr.arpa",
    }
    rc, _, log = _build_checked(untyped, _config())
    assert rc == 0, log
