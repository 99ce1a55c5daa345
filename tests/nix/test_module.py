"""Evaluate the NixOS module with nixpkgs' lib and stubs (tests/nix/module-eval.nix).

Needs NIXPKGS_LIB (a checkout of nix-community/nixpkgs.lib, or of nixpkgs)
and DNS_NIX (a checkout of nix-community/dns.nix); skipped, saying so,
otherwise. The stubs give the NixOS options the module touches nixpkgs'
types (unit names checked as systemd-lib's unitNameType does, systemd values,
Knot's shallow `settings`), and the zones are typed by dns.nix's own record
types. ExecStart is read back the way systemd reads it (systemd_syntax.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.cli import main as agent_main
from agent.errors import UsageError
from agent.planner import desired_rrsets
from agent.take_over import parse_take_over
from checker.check import check_documents
from checker.document import load_document
from tests.agent.helpers import document, rec, write_document
from tests.fixtures.knot import KnotServer, require_tool, run_tool
from tests.nix.nixrun import (
    HOST_PYTHON,
    NIX_INSTANTIATE,
    REPO,
    NixError,
    nix_build,
    nix_path,
    nix_str,
    requires_nix,
)
from tests.nix.systemd_syntax import exec_argv, setting_words, unit_file

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


CREDENTIALS = "/run/credentials/dns-static-sync.service"


def _exec(unit: dict[str, Any], environ: dict[str, str] | None = None) -> list[str]:
    """The argv systemd would start (specifiers and variables resolved)."""
    env = {"HOSTNAME": "EXPANDED"} if environ is None else environ
    return exec_argv(unit["serviceConfig"]["ExecStart"], CREDENTIALS, env)


def _paths(values: list[str]) -> list[str]:
    """A path-list setting's paths, as systemd reads them."""
    return [word for value in values for word in setting_words(value)]


def _tmpfiles(result: dict[str, Any]) -> list[list[str]]:
    """The fields of each tmpfiles.d line, as systemd-tmpfiles reads them."""
    return [setting_words(line) for line in result["tmpfiles"]]


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
    assert sc["ProtectSystem"] == "strict"
    assert sc["NoNewPrivileges"] is True
    assert sc["StateDirectory"] == "dns-static-records"
    assert "SuccessExitStatus" not in sc
    assert unit["documentation"]
    for uri in unit["documentation"]:
        assert uri.startswith("file:/nix/store/")
        assert Path(uri.removeprefix("file:")).is_file()


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
    assert _flag(words, "--key-file") == f"{CREDENTIALS}/key"
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
    assert _flag(words, "--key-file") == f"{CREDENTIALS}/key"
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
    # `-`: a missing directory does not fail the unit
    assert _paths(sc["ReadWritePaths"]) == ["-/var/lib/prometheus-node-exporter"]
    assert _tmpfiles(result) == [
        ["d", "/var/lib/prometheus-node-exporter", "2775", "root", "dns-static-records", "-", "-"]
    ]


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


def _agent_accepts_take_over(desired: Path, entry: str) -> bool:
    """Whether the agent's --take-over check (before any network I/O) accepts
    `entry` for the document at `desired`."""
    report = check_documents([(str(desired), load_document(str(desired)))])
    assert report.ok
    try:
        parse_take_over([entry], desired_rrsets(report.desireds[0].records))
    except UsageError:
        return False
    return True


TAKE_OVER_ENTRIES = [
    # declared: apex, relative names, reverse zone written with a dot,
    # any case, trailing dot
    ("internal/NS", True),
    ("internal/MX", True),
    ("ns0.internal/A", True),
    ("NS0.Internal./a", True),
    ("dns.internal/CNAME", True),
    ("10.in-addr.arpa/NS", True),
    ("53.0.0.10.in-addr.arpa./PTR", True),
    # not declared: another name, another type, a relative name, wrong zone
    ("ns9.internal/A", False),
    ("ns0.internal/AAAA", False),
    ("internal/A", False),
    ("ns0/A", False),
    ("53.0.0.10.in-addr.arpa/A", False),
    ("ns0.10.in-addr.arpa/A", False),
]


def test_take_over_of_an_undeclared_rrset_fails_the_build(module: Module) -> None:
    """A takeOver entry naming nothing declared would make every zone's unit
    exit 2 at run time; the module refuses it at build time, naming the entry,
    and agrees with the agent's own check on every entry."""
    rc, out, log = _build_checked(module, _config())
    assert rc == 0, log
    for entry, declared in TAKE_OVER_ENTRIES:
        assert _agent_accepts_take_over(Path(out), entry) is declared, entry
        failed = module.eval(_config(f'takeOver = [ {json.dumps(entry)} ]; backupDir = "/b";'))[
            "failedAssertions"
        ]
        named = [m for m in failed if "takeOver" in m and json.dumps(entry) in m]
        assert (named == []) is declared, (entry, failed)
    # several entries: only the undeclared ones are named
    failed = module.eval(
        _config('takeOver = [ "internal/NS" "ns9.internal/A" ]; backupDir = "/b";')
    )["failedAssertions"]
    assert len(failed) == 1, failed
    assert '"ns9.internal/A"' in failed[0]
    assert '"internal/NS"' not in failed[0]


def test_backup_dir_outside_state_directory(module: Module) -> None:
    result = module.eval(_config('backupDir = "/srv/dns-backups";'))
    sc = result["services"]["dns-static-sync-internal"]["serviceConfig"]
    assert _paths(sc["ReadWritePaths"]) == ["-/srv/dns-backups"]
    assert _tmpfiles(result) == [
        ["d", "/srv/dns-backups", "0700", "dns-static-records", "dns-static-records", "-", "-"]
    ]


# -- directories handed to the units' user (tmpfiles `d` changes an existing one) ------------

SYSTEM_DIRS = ["/", "/etc", "/var", "/var/lib", "/run", "/home", "/usr", "/nix", "/tmp", "/srv"]


@pytest.mark.parametrize("directory", [*SYSTEM_DIRS, "/etc/dns", "/home/alice", "/nix/store"])
def test_metrics_in_a_system_directory_is_refused(module: Module, directory: str) -> None:
    path = f"{directory.rstrip('/')}/x.prom"
    result = module.eval(_config(f"metrics = {{ enable = true; path = {json.dumps(path)}; }};"))
    failed = [m for m in result["failedAssertions"] if "metrics.path" in m]
    assert len(failed) == 1, result["failedAssertions"]
    assert f"{directory} is a system or shared directory" in failed[0]


# "/" itself is refused by the option's type
@pytest.mark.parametrize("directory", [*SYSTEM_DIRS[1:], "/etc/dns", "/home/alice", "/var/tmp/b"])
def test_backup_dir_in_a_system_directory_is_refused(module: Module, directory: str) -> None:
    result = module.eval(_config(f"backupDir = {json.dumps(directory)};"))
    failed = [m for m in result["failedAssertions"] if "backupDir" in m]
    assert len(failed) == 1, result["failedAssertions"]
    assert f"{directory} is a system or shared directory" in failed[0]


@pytest.mark.parametrize(
    "path",
    [
        "/var/lib/dns-static-records/../../../etc",
        "/var/lib/dns-static-records/./b",
        "/srv/dns/..",
        "/srv//dns",
        "/srv/dns/",
    ],
)
def test_paths_not_written_plainly_are_refused(module: Module, path: str) -> None:
    backup = module.eval(_config(f"backupDir = {json.dumps(path)};"))["failedAssertions"]
    assert any("backupDir" in m and "written plainly" in m for m in backup), backup
    metrics = module.eval(
        _config(f"metrics = {{ enable = true; path = {json.dumps(path + '/m.prom')}; }};")
    )["failedAssertions"]
    assert any("metrics.path" in m and "written plainly" in m for m in metrics), metrics


@pytest.mark.parametrize(
    "settings",
    [
        "metrics.enable = true;",
        'metrics = { enable = true; path = "/srv/metrics/x.prom"; };',
        'backupDir = "/srv/dns-backups";',
        'backupDir = "/var/lib/dns-static-records";',
        'backupDir = "/var/lib/dns-static-records/..b";',
        "backupDir = null;",
    ],
)
def test_directories_of_their_own_are_accepted(module: Module, settings: str) -> None:
    assert module.eval(_config(settings))["failedAssertions"] == []


def test_units_run_as_a_static_user(module: Module) -> None:
    # files left outside the StateDirectory must not keep a recyclable UID
    result = module.eval(_config('metrics.enable = true; backupDir = "/srv/dns-backups";'))
    for unit in result["services"].values():
        sc = unit["serviceConfig"]
        assert "DynamicUser" not in sc or sc["DynamicUser"] is False
        assert sc["User"] == sc["Group"] == "dns-static-records"
        assert "SupplementaryGroups" not in sc
    assert result["users"]["dns-static-records"]["isSystemUser"] is True
    assert result["users"]["dns-static-records"]["group"] == "dns-static-records"
    assert "dns-static-records" in result["groups"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ('tsigKeyFile = "/nix/store/abc-key";', "is in the Nix store"),
        ('ownerPrefix = "nix.static";', "ownerPrefix"),
        ('managedBy = "routy,evil";', "managedBy"),
        ('managedBy = "";', "managedBy"),
        (
            'metrics = { enable = true; path = "/var/lib/dns-static-records/m.prom"; };',
            "node-exporter cannot read",
        ),
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


@pytest.mark.parametrize(
    "layout",
    [
        '{ prefix = "é."; }',
        '{ prefix = "x\\\\."; }',
        '{ suffix = "-a b"; }',
        '{ wildcardReplacement = "a.b"; }',
    ],
)
def test_layout_strings_outside_registry_names_fail_evaluation(module: Module, layout: str) -> None:
    config = (
        "{ imports = [ "
        "({ lib, ... }: { services.dnsStaticRecords = { enable = true; "
        f'zones = {ZONES}; tsigKeyFile = lib.mkDefault "/run/secrets/tsig"; }}; }}) '
        f"{{ services.dnsStaticRecords.externalDns.layouts = [ {layout} ]; }} ]; }}"
    )
    with pytest.raises(NixError) as err:
        module.eval(config)
    assert "externalDns.layouts" in err.value.output


def test_untyped_zones_without_dns_nix(nixpkgs_lib: Path) -> None:
    untyped = Module(nixpkgs_lib, None)
    result = untyped.eval(_config())
    assert set(result["services"]) == {
        "dns-static-sync-internal",
        "dns-static-sync-10.in-addr.arpa",
    }
    rc, _, log = _build_checked(untyped, _config())
    assert rc == 0, log


def test_exceptions_option_reaches_the_checked_document(module: Module) -> None:
    zones = """{
      internal.NS = [ "ns0.internal." ];
      internal.subdomains.ns0.A = [ "10.0.0.53" ];
      internal.subdomains.routy.A = [ "10.0.0.1" ];
      "10.in-addr.arpa".subdomains."1.0.1".PTR = [ "routy.internal." ];
      "10.in-addr.arpa".subdomains."53.0.0".PTR = [ "ns0.internal." ];
    }"""
    refused, _, log = _build_checked(module, _config(zones=zones))
    assert refused != 0
    assert "error[ptr-mismatch]" in log
    settings = (
        'exceptions = [ { rule = "ptr-mismatch"; zone = "10.in-addr.arpa"; name = "1.0.1"; '
        'reason = "multi-homed"; } ];'
    )
    rc, out, log = _build_checked(module, _config(settings, zones=zones))
    assert rc == 0, log
    doc = json.loads(Path(out).read_text())
    assert doc["exceptions"] == [
        {
            "rule": "ptr-mismatch",
            "zone": "10.in-addr.arpa",
            "name": "1.0.1",
            "reason": "multi-homed",
            "source": "services.dnsStaticRecords.exceptions[0]",
        }
    ]
    bad = (
        'exceptions = [ { rule = "ptr-mismatch"; zone = "10.in-addr.arpa"; name = "1.0.1"; '
        'reason = "multi-homed"; } { rule = "no-such-rule"; zone = "internal"; name = "x"; '
        'reason = "r"; } ];'
    )
    rc, _, log = _build_checked(module, _config(bad, zones=zones))
    assert rc != 0
    assert "(services.dnsStaticRecords.exceptions[1]): unknown rule id" in log, log


# -- fault 1: node-level ttl with dns.nix's types ------------------------------------


def test_node_level_ttl_with_dns_nix_types(module: Module) -> None:
    zones = """{
      internal = {
        ttl = 120;
        NS = [ "ns0.internal." ];
        subdomains = {
          ns0.A = [ "10.0.0.53" ];
          lab = {
            ttl = 60;
            A = [ "10.0.9.1" ];
            subdomains.pc.A = [ { address = "10.0.9.2"; ttl = 30; } ];
          };
        };
      };
    }"""
    rc, out, log = _build_checked(module, _config(zones=zones))
    assert rc == 0, log
    ttls = {
        (r["name"], r["type"]): r.get("ttl")
        for r in json.loads(Path(out).read_text())["zones"]["internal"]["records"]
    }
    assert ttls[("@", "NS")] == 120
    assert ttls[("ns0", "A")] == 120
    assert ttls[("lab", "A")] == 60
    assert ttls[("pc.lab", "A")] == 30


def test_dns_nix_types_reject_a_bad_node_ttl(module: Module) -> None:
    with pytest.raises(NixError) as err:
        module.eval(_config(zones='{ internal = { ttl = -1; NS = [ "ns0.internal." ]; }; }'))
    assert "ttl" in err.value.output


# -- fault 2: ExecStart words reach the agent as written ------------------------------


def test_exec_start_keeps_dollar_percent_and_spaces(module: Module) -> None:
    backup = "/srv/dns backups/$HOSTNAME/100%/${USER}"
    settings = f"backupDir = {nix_str(backup)};"
    unit = module.eval(_config(settings))["services"]["dns-static-sync-internal"]
    words = _exec(unit, {"HOSTNAME": "EXPANDED", "USER": "EXPANDED"})
    assert _flag(words, "--backup-dir") == backup
    assert _paths(unit["serviceConfig"]["ReadWritePaths"]) == [f"-{backup}"]
    result = module.eval(_config(settings))
    assert _tmpfiles(result)[0][1] == backup


# -- fault 3: silent misconfigurations -------------------------------------------------


def test_loopback_server_without_local_knot_warns(module: Module) -> None:
    warnings = module.eval(_config(knot=False))["warnings"]
    assert any("127.0.0.1" in w and "services.knot.enable is false" in w for w in warnings)
    assert not any(
        "services.knot.enable" in w
        for w in module.eval(_config('dnsServer = "10.0.0.53";', knot=False))["warnings"]
    )
    assert not any("services.knot.enable" in w for w in module.eval(_config())["warnings"])


@pytest.mark.parametrize(
    ("exporter", "warned"),
    [
        ("", True),
        ("services.prometheus.exporters.node.enable = true;", True),
        (
            "services.prometheus.exporters.node = { enable = true; extraFlags = "
            '[ "--collector.textfile.directory=/srv/other" ]; };',
            True,
        ),
        (
            "services.prometheus.exporters.node = { enable = true; extraFlags = "
            '[ "--collector.textfile.directory=/var/lib/prometheus-node-exporter" ]; };',
            False,
        ),
        (
            "services.prometheus.exporters.node = { enable = true; extraFlags = "
            '[ "--collector.textfile.directory" "/var/lib/prometheus-node-exporter" ]; };',
            False,
        ),
        (
            "services.prometheus.exporters.node = { enable = true; "
            'disabledCollectors = [ "textfile" ]; extraFlags = '
            '[ "--collector.textfile.directory=/var/lib/prometheus-node-exporter" ]; };',
            True,
        ),
    ],
)
def test_metrics_nobody_reads_warns(module: Module, exporter: str, warned: bool) -> None:
    config = f"{{ imports = [ {_config('metrics.enable = true;')} {{ {exporter} }} ]; }}"
    warnings = module.eval(config)["warnings"]
    hits = [w for w in warnings if "--collector.textfile.directory" in w]
    assert bool(hits) is warned, warnings
    if warned:
        assert "/var/lib/prometheus-node-exporter" in hits[0]


@pytest.mark.parametrize(
    ("zones", "named"),
    [
        ('{ "x" = { }; "x." = { }; }', ['"x"', '"x."']),
        ('{ "Internal" = { }; "internal." = { }; }', ['"Internal"', '"internal."']),
    ],
)
def test_one_zone_written_twice_is_an_assertion_naming_both(
    module: Module, zones: str, named: list[str]
) -> None:
    result = module.eval(_config(zones=zones))
    failed = [m for m in result["failedAssertions"] if "same zone" in m]
    assert len(failed) == 1, result["failedAssertions"]
    for name in named:
        assert name in failed[0]
    assert len(result["services"]) == 1


@pytest.mark.parametrize("zone", ["a b", ".", "x" * 250, "zone/with/slash"])
def test_zone_names_that_make_no_unit_name(module: Module, zone: str) -> None:
    result = module.eval(_config(zones=f"{{ {json.dumps(zone)} = {{ }}; }}"))
    assert any("zone name" in m for m in result["failedAssertions"]), result
    assert result["services"] == {}


# -- fault 4: bounded runs, retried at boot -----------------------------------------------


def test_runs_are_bounded_and_boot_failures_retried(module: Module) -> None:
    result = module.eval(_config('timeout = 120; interval = "1h";'))
    sync = result["services"]["dns-static-sync-internal"]
    reconcile = result["services"]["dns-static-reconcile-internal"]
    for unit in (sync, reconcile):
        assert _flag(_exec(unit), "--deadline") == "120"
        assert unit["serviceConfig"]["TimeoutStartSec"] > 120
    sc = sync["serviceConfig"]
    assert sc["Restart"] == "on-failure"
    assert sc["RestartSec"] > 0
    assert 3 in sc["RestartPreventExitStatus"]
    burst, interval = sync["startLimitBurst"], sync["startLimitIntervalSec"]
    assert burst >= 2
    # the limit only holds if `burst` attempts fit in the interval
    assert interval > burst * (sc["TimeoutStartSec"] + sc["RestartSec"])
    # the timer retries drift repair; its unit is not restarted on its own
    assert "Restart" not in reconcile["serviceConfig"]


def test_default_run_bound(module: Module) -> None:
    unit = module.eval(_config())["services"]["dns-static-sync-internal"]
    assert int(_flag(_exec(unit), "--deadline")) == 300


# -- fault 6: hardening ------------------------------------------------------------------


def test_hardening_as_nixpkgs_best(module: Module) -> None:
    sc = module.eval(_config('dnsServer = "10.0.0.53";'))["services"]["dns-static-sync-internal"][
        "serviceConfig"
    ]
    assert sc["UMask"] == "0077"
    assert sc["DevicePolicy"] == "closed"
    assert sc["SystemCallErrorNumber"] == "EPERM"
    assert sc["IPAddressDeny"] == "any"
    assert sc["IPAddressAllow"] == ["10.0.0.53"]
    assert sc["CapabilityBoundingSet"] == [""]


@pytest.mark.parametrize(("server", "confined"), [("::1", True), ("ns0.example.net", False)])
def test_ip_confinement_only_for_literal_addresses(
    module: Module, server: str, confined: bool
) -> None:
    sc = module.eval(_config(f'dnsServer = "{server}";'))["services"]["dns-static-sync-internal"][
        "serviceConfig"
    ]
    assert ("IPAddressDeny" in sc) is confined
    if confined:
        assert sc["IPAddressAllow"] == [server]


# -- fault 7: Requires, and the documents say so ----------------------------------------------


def test_contract_and_readme_say_the_units_require_knot(module: Module) -> None:
    unit = module.eval(_config())["services"]["dns-static-sync-internal"]
    assert unit["requires"] == ["knot.service"]
    assert "knot.service" not in unit["wants"]
    contract = (REPO / "docs" / "contract.md").read_text()
    section7 = contract.split("## 7.")[1].split("## 8.")[0]
    readme = (REPO / "README.md").read_text()
    for text in (" ".join(section7.split()), " ".join(readme.split())):
        assert "requiring `knot.service`" in text
        assert "wanting `knot.service`" not in text


# -- the Knot side, declaratively ------------------------------------------------------------

KNOT_ZONES = """services.knot.settings = {
  zone = [
    { domain = "internal"; acl = [ "dhcp" "dns-static-records" ]; }
    { domain = "10.in-addr.arpa"; template = "ours"; }
  ];
  template = { ours = { acl = "dns-static-records"; }; };
};"""


def _knot_side(settings: str, knot: str = KNOT_ZONES, enable: bool = True) -> str:
    local = 'knot.configure = true; knot.keyName = "update";'
    return f"{{ imports = [ {_config(local + settings, knot=enable)} {{ {knot} }} ]; }}"


def test_knot_side_adds_key_and_acl(module: Module) -> None:
    result = module.eval(_knot_side(""))
    assert result["failedAssertions"] == []
    key_file, acl_file = result["knotKeyFiles"]
    assert key_file == "/run/secrets/tsig"
    acl = Path(acl_file).read_text()
    assert acl_file.startswith("/nix/store/")
    assert "id: dns-static-records" in acl
    assert "key: update" in acl
    assert "action: [ transfer, update ]" in acl


def test_knot_side_names_zones_without_the_acl(module: Module) -> None:
    knot = """services.knot.settings.zone = {
      internal.acl = [ "dhcp" ];
      "10.in-addr.arpa" = { };
    };"""
    failed = module.eval(_knot_side("", knot))["failedAssertions"]
    assert len(failed) == 1, failed
    assert '"internal"' in failed[0]
    assert '"10.in-addr.arpa."' in failed[0]
    assert "NOTAUTH" in failed[0]


def test_knot_side_needs_a_local_knot(module: Module) -> None:
    result = module.eval(_knot_side("", "", enable=False))
    assert any("services.knot.enable is false" in m for m in result["failedAssertions"])


def test_knot_side_warns_about_zones_knot_does_not_serve(module: Module) -> None:
    knot = 'services.knot.settings.zone = [ { domain = "internal"; acl = "dns-static-records"; } ];'
    result = module.eval(_knot_side("", knot))
    assert result["failedAssertions"] == []
    assert any('"10.in-addr.arpa."' in w and "serves" in w for w in result["warnings"])


def test_knot_side_is_off_by_default(module: Module) -> None:
    assert module.eval(_config())["knotKeyFiles"] == []


@dataclass
class _ModuleKnot(KnotServer):
    """A knotd configured as nixpkgs' knot.nix writes knot.conf: the module's
    `services.knot.keyFiles` as `include:` lines first, then the host's own
    sections; its zones list only the module's ACL."""

    includes: tuple[str, ...] = ()

    def _write_config(self) -> None:
        base = self.base
        zones = "".join(
            f"  - domain: {zone}\n"
            f'    storage: "{base}/zones"\n'
            '    file: "%s.zone"\n'
            "    acl: [ dns-static-records ]\n"
            for zone in self.zones
        )
        self.config_path.write_text(
            "".join(f"include: {path}\n" for path in self.includes)
            + f'server:\n    rundir: "{base}/run"\n    listen: {self.server}@{self.port}\n'
            + f"log:\n  - target: {base}/knot.log\n    any: info\n"
            + f'database:\n    storage: "{base}/db"\n'
            + f"zone:\n{zones}"
        )
        knotc = require_tool("knotc", "knot")
        run_tool([knotc, "-c", str(self.config_path), "conf-check"])


@pytest.mark.knot
def test_knot_side_lets_the_agent_in(
    module: Module, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "knot"
    key_file = base / "keys" / "update.conf"  # Knot's `keymgr -t` YAML
    knot = 'services.knot.settings.zone = [ { domain = "internal"; acl = "dns-static-records"; } ];'
    config = (
        f"{{ imports = [ {_knot_side('', knot)} ({{ lib, ... }}: {{ "
        f"services.dnsStaticRecords.tsigKeyFile = lib.mkForce {nix_str(str(key_file))}; }}) ]; }}"
    )
    result = module.eval(config)
    assert result["failedAssertions"] == [], result["failedAssertions"]
    server = _ModuleKnot(base=base, zones=("internal",), includes=tuple(result["knotKeyFiles"]))
    try:
        server.prepare()
        server.start()
        desired = write_document(
            tmp_path / "desired.json",
            document({"internal": [rec("ns0", "A", "10.0.0.53")]}),
        )
        code = agent_main(
            [
                *("apply", "--desired", str(desired), "--server", server.server),
                *("--port", str(server.port), "--key-file", str(key_file)),
            ]
        )
        assert code == 0, capsys.readouterr().err
        assert any("10.0.0.53" in line for line in server.axfr("internal"))
    finally:
        server.stop()


SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze not on PATH (Debian systemd)")
@pytest.mark.parametrize(
    "settings",
    [
        'interval = "15min"; metrics.enable = true; backupDir = "/srv/dns backups/$HOSTNAME";',
        'dryRun = true; dnsServer = "ns0.example.net"; interval = "1h";',
        'dnsServer = "::1"; adopt = false; maxDeleteFraction = 0.1; onConflict = "fail";',
    ],
)
def test_units_pass_systemd_analyze_verify(module: Module, tmp_path: Path, settings: str) -> None:
    # a package whose agent exists, so systemd can check ExecStart
    package = tmp_path / "package"
    (package / "bin").mkdir(parents=True)
    agent = package / "bin" / "dns-static-agent"
    agent.write_text("#!/bin/sh\n")
    agent.chmod(0o755)
    fake = (
        '{ type = "derivation"; name = "dns-static-records"; '
        f"outPath = {nix_str(str(package))}; }}"
    )
    escaped = settings.replace("$", "\\$")
    result = module.eval(_config(f"{escaped} package = {fake};"))
    units = tmp_path / "units"
    units.mkdir()
    paths = []
    for name, unit in result["services"].items():
        paths.append(units / f"{name}.service")
        paths[-1].write_text(unit_file(unit))
    for name, timer in result["timers"].items():
        paths.append(units / f"{name}.timer")
        paths[-1].write_text(unit_file(timer, "Timer"))
    assert SYSTEMD_ANALYZE is not None
    proc = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "--man=no", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=units,
    )
    complaints = [
        line
        for line in (proc.stdout + proc.stderr).splitlines()
        # knot.service and network-online.target exist on the host, not here
        if "knot.service" not in line
    ]
    assert proc.returncode == 0, proc.stderr
    assert complaints == [], "\n".join(complaints)


_ZONE_CHARS = "abcXYZ019-_.@%:$ /\\\"'"


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=st.lists(st.text(_ZONE_CHARS, min_size=1, max_size=12), min_size=1, max_size=4))
def test_any_zone_names_give_units_or_an_assertion(module: Module, names: list[str]) -> None:
    # Whatever the zone names: valid unit names only (the stubs throw on any
    # other), and every name that cannot be one is named by an assertion.
    zones = "{ " + " ".join(f"{nix_str(n)} = {{ }};" for n in names) + " }"
    result = module.eval(_config(zones=zones))
    units = set(result["services"])
    failed = " ".join(result["failedAssertions"])
    for name in names:
        unit = "dns-static-sync-" + name.removesuffix(".")
        if unit in units:
            continue
        # no unit: a bad name, or the same zone spelled another way
        assert json.dumps(name) in failed, (name, result["failedAssertions"])


# -- findings t8 items 3 to 7: the options' values checked at evaluation -------------------------


def test_rfc2317_zone_with_a_slash_is_an_assertion_naming_the_dash_form(module: Module) -> None:
    result = module.eval(_config(zones='{ "0/26.2.0.192.in-addr.arpa" = { }; }'))
    failed = [m for m in result["failedAssertions"] if "0/26.2.0.192.in-addr.arpa" in m]
    assert len(failed) == 1, result["failedAssertions"]
    assert "0-63.2.0.192.in-addr.arpa" in failed[0]
    assert result["services"] == {}


@pytest.mark.parametrize("interval", ["15 fortnights", "", "0", "0s", "-5min", "15min; x=1"])
def test_interval_not_a_positive_timespan_is_refused(module: Module, interval: str) -> None:
    result = module.eval(_config(f"interval = {json.dumps(interval)};"))
    assert any("interval" in m and "time span" in m for m in result["failedAssertions"]), result[
        "failedAssertions"
    ]


@pytest.mark.parametrize("interval", ["15min", "1h 30min", "900", "1.5h", "2 weeks"])
def test_interval_positive_timespans_are_accepted(module: Module, interval: str) -> None:
    result = module.eval(_config(f"interval = {json.dumps(interval)};"))
    assert result["failedAssertions"] == []
    assert result["timers"]["dns-static-reconcile-internal"]["timerConfig"]["OnActiveSec"] == (
        interval
    )


def test_dry_run_take_over_needs_no_backup_dir(module: Module) -> None:
    result = module.eval(_config('dryRun = true; takeOver = [ "internal/NS" ]; backupDir = null;'))
    assert result["failedAssertions"] == []
    assert _exec(result["services"]["dns-static-sync-internal"])[1] == "plan"


def test_knot_side_without_a_key_name_is_an_assertion(module: Module) -> None:
    result = module.eval(_config("knot.configure = true;"))
    assert any("knot.keyName" in m for m in result["failedAssertions"]), result


@pytest.mark.parametrize("server", ["", "[2001:db8::53]", "10.0.0.53 --dry-run", " 10.0.0.53"])
def test_dns_server_not_one_address_is_refused(module: Module, server: str) -> None:
    result = module.eval(_config(f"dnsServer = {json.dumps(server)};", knot=False))
    assert any("dnsServer" in m and "brackets" in m for m in result["failedAssertions"]), result[
        "failedAssertions"
    ]


def test_dns_server_with_an_ipv6_zone_id_is_confined_to_the_address(module: Module) -> None:
    result = module.eval(_config('dnsServer = "fe80::1%eth0";', knot=False))
    assert result["failedAssertions"] == []
    unit = result["services"]["dns-static-sync-internal"]
    assert unit["serviceConfig"]["IPAddressDeny"] == "any"
    assert unit["serviceConfig"]["IPAddressAllow"] == ["fe80::1"]
    assert _flag(_exec(unit), "--server") == "fe80::1%eth0"
