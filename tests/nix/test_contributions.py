"""Several hosts, one zone (issue 12): contributions collected from stand-in
nixosConfigurations, checked together in one derivation, and published.

The first tests need only nix (plain attrsets stand in for the hosts); the
module tests evaluate real host configurations with nixpkgs' lib and dns.nix
(NIXPKGS_LIB, DNS_NIX) and skip without them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.nix.nixrun import (
    HOST_PYTHON,
    REPO,
    NixError,
    lib_expr,
    nix_build,
    nix_eval,
    nix_path,
    nix_str,
    requires_nix,
)
from tests.nix.systemd_syntax import exec_argv

pytestmark = [pytest.mark.nix, requires_nix]

PUBLISH_EVAL = REPO / "tests" / "nix" / "publish-eval.nix"

# Stand-ins for a flake's nixosConfigurations: only `config` is read.
HOSTS = """{
  routy.config = {
    networking.hostName = "routy";
    services.dnsStaticRecords = { managedBy = "routy"; contributions = { }; };
  };
  mysecrets.config = {
    networking.hostName = "mysecrets";
    services.dnsStaticRecords = {
      managedBy = "mysecrets";
      contributions.internal.subdomains = {
        auth.A = [ "10.0.0.7" ];
        vault.CNAME = [ "auth.internal." ];
      };
    };
  };
  forge.config = {
    networking.hostName = "forge";
    services.dnsStaticRecords = {
      managedBy = "forge";
      contributions."Internal.".subdomains.git.A = [ "10.0.0.8" ];
      contributions."10.in-addr.arpa".subdomains."8.0.0".PTR = [ "git.internal." ];
    };
  };
  printer.config.networking.hostName = "printer";
  bare.config.services.dnsStaticRecords.contributions.internal.subdomains.bare.A = [ "10.0.0.9" ];
}"""


def collect(hosts: str = HOSTS) -> Any:
    return nix_eval(lib_expr(f"lib.collectContributions {hosts}"))


def documents(hosts: str = HOSTS) -> Any:
    return nix_eval(
        lib_expr(f"lib.contributedDocuments {{ collected = lib.collectContributions {hosts}; }}")
    )


def check_expr(hosts: str) -> str:
    return lib_expr(
        f"lib.checkTogether {{ python = {nix_str(HOST_PYTHON)}; documents = "
        f"lib.contributedDocuments {{ collected = lib.collectContributions {hosts}; }}; }}"
    )


def without(host: str, hosts: str = HOSTS) -> str:
    return f"(removeAttrs {hosts} [ {nix_str(host)} ])"


def test_collects_every_contributing_host_as_its_own_owner() -> None:
    collected = collect()
    # hosts without contributions (routy, printer) are not owners
    assert sorted(collected) == ["bare", "forge", "mysecrets"]
    assert collected["mysecrets"]["host"] == "mysecrets"
    assert collected["mysecrets"]["zones"]["internal"]["subdomains"]["auth"]["A"] == ["10.0.0.7"]
    # no managedBy and no hostName: the attribute name is the owner id
    assert collected["bare"]["host"] == "bare"


def test_owner_id_is_the_hosts_managed_by() -> None:
    hosts = """{ web1.config = { networking.hostName = "web1";
      services.dnsStaticRecords = { managedBy = "frontend";
        contributions.internal.subdomains.www.A = [ "10.0.0.80" ]; }; }; }"""
    assert list(collect(hosts)) == ["frontend"]
    doc = documents(hosts)["frontend"]
    assert doc["owner"] == {"prefix": "nix", "managedBy": "frontend"}


def test_each_owner_document_covers_every_contributed_zone() -> None:
    docs = documents()
    assert sorted(docs) == ["bare", "forge", "mysecrets"]
    for doc in docs.values():
        # one spelling per zone ("Internal." is "internal"), empty where the
        # owner has nothing, so records it stops declaring there are removed
        assert sorted(doc["zones"]) == ["10.in-addr.arpa", "internal"]
    assert docs["mysecrets"]["zones"]["10.in-addr.arpa"]["records"] == []
    assert {
        "name": "auth",
        "type": "A",
        "data": "10.0.0.7",
        "source": "mysecrets: services.dnsStaticRecords.contributions.internal.subdomains.auth.A",
    } in docs["mysecrets"]["zones"]["internal"]["records"]
    git = docs["forge"]["zones"]["internal"]["records"][0]
    assert (
        git["source"] == "forge: services.dnsStaticRecords.contributions.internal.subdomains.git.A"
    )


def test_two_hosts_with_one_owner_id_are_an_error() -> None:
    hosts = """{
      a.config = { networking.hostName = "web";
        services.dnsStaticRecords.contributions.internal.subdomains.a.A = [ "10.0.0.1" ]; };
      b.config = { networking.hostName = "web";
        services.dnsStaticRecords.contributions.internal.subdomains.b.A = [ "10.0.0.2" ]; };
    }"""
    with pytest.raises(NixError) as err:
        collect(hosts)
    assert 'hosts a and b both contribute records as owner "web"' in err.value.output


def test_one_zone_spelt_twice_by_one_host_is_an_error() -> None:
    hosts = """{ a.config.services.dnsStaticRecords.contributions = {
      internal.subdomains.a.A = [ "10.0.0.1" ];
      "internal.".subdomains.b.A = [ "10.0.0.2" ]; }; }"""
    with pytest.raises(NixError) as err:
        documents(hosts)
    assert "host a contributes zone internal twice" in err.value.output


def test_collection_reads_no_host_beyond_the_option() -> None:
    # a host whose other options would fail to evaluate is still collected
    hosts = """{ a.config = { networking.hostName = "a"; boot = throw "not evaluated";
      services.dnsStaticRecords.contributions.internal.subdomains.a.A = [ "10.0.0.1" ]; }; }"""
    assert list(collect(hosts)) == ["a"]


def test_documents_are_checked_together_in_one_derivation() -> None:
    result = nix_build(check_expr(HOSTS))
    assert result.returncode == 0, result.log
    out = Path(result.out_path)
    assert sorted(p.name for p in out.iterdir()) == ["bare.json", "forge.json", "mysecrets.json"]
    assert json.loads((out / "forge.json").read_text())["owner"]["managedBy"] == "forge"


def test_cross_host_collision_fails_the_check_with_both_sources() -> None:
    clash = HOSTS[:-1] + (
        """  intruder.config = { networking.hostName = "intruder";
    services.dnsStaticRecords.contributions.internal.subdomains.auth.A = [ "10.0.0.66" ]; };
}"""
    )
    result = nix_build(check_expr(clash))
    assert result.returncode != 0
    errors = [ln for ln in result.log.splitlines() if "error[owner-collision]" in ln]
    assert errors, result.log
    line = errors[-1]
    assert "services.dnsStaticRecords.contributions.internal.subdomains.auth.A" in line
    assert "intruder: services" in line
    assert "mysecrets: services" in line
    assert "owner 'intruder'" in line
    assert "owner 'mysecrets'" in line


def test_a_removed_host_is_no_owner_any_more() -> None:
    assert sorted(collect(without("forge"))) == ["bare", "mysecrets"]
    docs = documents(without("forge"))
    # its zone left with it: nobody else contributes to the reverse zone
    assert sorted(docs["mysecrets"]["zones"]) == ["internal"]
    result = nix_build(check_expr(without("forge")))
    assert result.returncode == 0, result.log
    assert sorted(p.name for p in Path(result.out_path).iterdir()) == [
        "bare.json",
        "mysecrets.json",
    ]


# -- the module on real host configurations (nixpkgs lib + dns.nix) -------------------

PUBLISHER = """{
  services.knot.enable = true;
  services.dnsStaticRecords = {
    enable = true;
    tsigKeyFile = "/run/secrets/tsig";
    metrics.enable = true;
    zones.internal = { NS = [ "ns0.internal." ]; subdomains.ns0.A = [ "10.0.0.53" ]; };
    collected = lib.collectContributions nixosConfigurations;
  };
}"""
MYSECRETS = """{ services.dnsStaticRecords.contributions.internal.subdomains = {
  auth.A = [ "10.0.0.7" ];
  auth.MX = [ { preference = 10; exchange = "auth.internal."; } ];
}; }"""
FORGE = """{ services.dnsStaticRecords.contributions = {
  internal.subdomains.git.A = [ "10.0.0.8" ];
  "10.in-addr.arpa".subdomains."8.0.0".PTR = [ "git.internal." ];
}; }"""


class Flake:
    """Evaluates publish-eval.nix: hosts whose configurations see the whole set."""

    def __init__(self, nixpkgs_lib: Path, dns_nix: Path) -> None:
        self.nixpkgs_lib = nixpkgs_lib
        self.dns_nix = dns_nix

    def expr(self, hosts: dict[str, str], attr: str) -> str:
        body = " ".join(f"{name} = {module};" for name, module in hosts.items())
        return (
            f"(import {nix_path(PUBLISH_EVAL)} {{ nixpkgsLib = {nix_path(self.nixpkgs_lib)}; "
            f"dnsNix = {nix_path(self.dns_nix.parent)}; python = {nix_str(HOST_PYTHON)}; "
            f"hosts = {{ nixosConfigurations, lib }}: {{ {body} }}; }}).{attr}"
        )

    def eval(self, hosts: dict[str, str], attr: str = "result") -> Any:
        return nix_eval(self.expr(hosts, attr))


@pytest.fixture(scope="module")
def flake(nixpkgs_lib: Path, dns_nix: Path) -> Flake:
    return Flake(nixpkgs_lib, dns_nix)


def _words(exec_start: str) -> list[str]:
    """The argv systemd starts for this ExecStart line."""
    return exec_argv(exec_start, "/run/credentials/dns-static-publish.service", {})


def _desired(exec_start: str) -> list[str]:
    words = _words(exec_start)
    return [words[i + 1] for i, w in enumerate(words) if w == "--desired"]


def test_publisher_collects_from_the_set_it_belongs_to(flake: Flake) -> None:
    hosts = {"routy": PUBLISHER, "mysecrets": MYSECRETS, "forge": FORGE}
    result = flake.eval(hosts)
    routy = result["routy"]
    assert routy["failedAssertions"] == []
    # its own zones keep their units; the contributions get one publish unit
    assert set(routy["services"]) == {"dns-static-sync-internal", "dns-static-publish"}
    unit = routy["services"]["dns-static-publish"]
    assert "knot.service" in unit["requires"]
    assert unit["serviceConfig"]["LoadCredential"] == ["key:/run/secrets/tsig"]
    assert unit["serviceConfig"]["User"] == "dns-static-records"
    words = _words(unit["serviceConfig"]["ExecStart"])
    assert words[1] == "publish"
    assert [Path(p).name for p in _desired(unit["serviceConfig"]["ExecStart"])] == [
        "forge.json",
        "mysecrets.json",
    ]
    assert words[words.index("--state-file") + 1] == (
        "/var/lib/dns-static-records/published-owners.json"
    )
    assert "--metrics-file" in words
    # contributing hosts run no agent
    assert result["mysecrets"]["services"] == {}
    assert result["forge"]["services"] == {}


def test_publisher_build_checks_every_host_together(flake: Flake) -> None:
    hosts = {"routy": PUBLISHER, "mysecrets": MYSECRETS, "forge": FORGE}
    trigger = "nixosConfigurations.routy.config.systemd.services.dns-static-publish"
    result = nix_build(flake.expr(hosts, f"{trigger}.restartTriggers"))
    assert result.returncode == 0, result.log
    out = Path(result.out_path)
    assert sorted(p.name for p in out.iterdir()) == ["forge.json", "mysecrets.json", "routy.json"]
    mx = json.loads((out / "mysecrets.json").read_text())["zones"]["internal"]["records"]
    assert {r["type"] for r in mx} == {"A", "MX"}


def test_contributed_documents_meet_externaldns_as_the_publisher_does(flake: Flake) -> None:
    layouts = PUBLISHER.replace(
        "metrics.enable = true;",
        'metrics.enable = true; externalDns.layouts = [ { suffix = "-edns"; } ];',
    )
    trigger = "nixosConfigurations.routy.config.systemd.services.dns-static-publish"
    result = nix_build(
        flake.expr({"routy": layouts, "mysecrets": MYSECRETS}, f"{trigger}.restartTriggers")
    )
    assert result.returncode == 0, result.log
    doc = json.loads((Path(result.out_path) / "mysecrets.json").read_text())
    assert doc["externalDns"] == {
        "layouts": [{"prefix": "", "suffix": "-edns", "wildcardReplacement": ""}]
    }


def test_a_host_claiming_the_publishers_name_fails_its_build(flake: Flake) -> None:
    clash = (
        '{ services.dnsStaticRecords.contributions.internal.subdomains.ns0.A = [ "10.9.9.9" ]; }'
    )
    hosts = {"routy": PUBLISHER, "mysecrets": MYSECRETS, "rogue": clash}
    trigger = "nixosConfigurations.routy.config.systemd.services.dns-static-publish"
    result = nix_build(flake.expr(hosts, f"{trigger}.restartTriggers"))
    assert result.returncode != 0
    line = [ln for ln in result.log.splitlines() if "error[owner-" in ln][-1]
    assert "rogue: services.dnsStaticRecords.contributions.internal.subdomains.ns0.A" in line
    assert "zones.internal.subdomains.ns0.A" in line


def test_removing_a_host_drops_its_document_from_the_unit(flake: Flake) -> None:
    before = flake.eval({"routy": PUBLISHER, "mysecrets": MYSECRETS, "forge": FORGE}, "published")
    after = flake.eval({"routy": PUBLISHER, "mysecrets": MYSECRETS}, "published")
    assert [Path(p).name for p in _desired(before["routy"])] == ["forge.json", "mysecrets.json"]
    assert [Path(p).name for p in _desired(after["routy"])] == ["mysecrets.json"]
    # the state file, unchanged, is how the agent finds forge's records to remove
    assert "--state-file" in after["routy"]
    # the last contributor gone: the unit stays, with no document, to remove
    # the records of the owners it published before
    gone = flake.eval({"routy": PUBLISHER}, "published")
    assert _desired(gone["routy"]) == []
    assert _words(gone["routy"])[1] == "publish"
    # a host that is no publisher (collected = null, the default) has no unit
    plain = PUBLISHER.replace("collected = lib.collectContributions nixosConfigurations;", "")
    assert flake.eval({"routy": plain}, "published")["routy"] is None


def test_publisher_cannot_also_contribute_under_its_own_name(flake: Flake) -> None:
    own = PUBLISHER.replace(
        "collected =",
        'contributions.internal.subdomains.x.A = [ "10.0.0.2" ]; collected =',
    )
    result = flake.eval({"routy": own, "mysecrets": MYSECRETS})
    assert any(
        'holds owner "routy"' in m and "services.dnsStaticRecords.zones" in m
        for m in result["routy"]["failedAssertions"]
    )


def test_dry_run_publishes_nothing(flake: Flake) -> None:
    dry = PUBLISHER.replace("tsigKeyFile =", "dryRun = true; tsigKeyFile =")
    unit = flake.eval({"routy": dry, "mysecrets": MYSECRETS})["routy"]["services"][
        "dns-static-publish"
    ]
    words = _words(unit["serviceConfig"]["ExecStart"])
    assert words[1] == "publish"
    assert "--dry-run" in words
    # a dry run writes nothing: no metrics, no backups
    assert "--metrics-file" not in words
    assert "--backup-dir" not in words
    assert unit["serviceConfig"]["SuccessExitStatus"] == [4]


# -- the example flake of two hosts ----------------------------------------------------

EXAMPLE = REPO / "examples" / "two-hosts" / "flake.nix"


def example_expr(flake: Flake, attr: str) -> str:
    """The example's outputs, with nixosSystem evaluating through the stubs."""
    return f"""let
      eval = import {nix_path(REPO / "tests" / "nix" / "module-eval.nix")};
      nixpkgs.lib.nixosSystem = {{ system, modules }}:
        let e = eval {{
          nixpkgsLib = {nix_path(flake.nixpkgs_lib)};
          dnsNix = {nix_path(flake.dns_nix.parent)};
          python = {nix_str(HOST_PYTHON)};
          configuration = {{ imports = modules; }};
        }}; in {{ inherit (e) config result; }};
      # module-eval.nix already imports the module itself
      dns-static-records = {{
        lib = import {nix_path(REPO / "nix" / "lib.nix")};
        nixosModules.default = {{ }};
      }};
      self = (import {nix_path(EXAMPLE)}).outputs {{
        inherit self nixpkgs dns-static-records;
        dns = null;
      }};
    in self.nixosConfigurations.{attr}"""


def test_example_flake_publishes_the_other_hosts_records(flake: Flake) -> None:
    routy = nix_eval(example_expr(flake, "routy.result"))
    assert routy["failedAssertions"] == []
    assert set(routy["services"]) == {
        "dns-static-sync-internal",
        "dns-static-sync-10.in-addr.arpa",
        "dns-static-publish",
    }
    exec_start = routy["services"]["dns-static-publish"]["serviceConfig"]["ExecStart"]
    assert [Path(p).name for p in _desired(exec_start)] == ["mysecrets.json"]
    assert nix_eval(example_expr(flake, "mysecrets.result.services")) == {}
    trigger = "routy.config.systemd.services.dns-static-publish.restartTriggers"
    result = nix_build(example_expr(flake, trigger))
    assert result.returncode == 0, result.log
    doc = json.loads((Path(result.out_path) / "mysecrets.json").read_text())
    assert doc["owner"]["managedBy"] == "mysecrets"
    assert {r["name"] for r in doc["zones"]["internal"]["records"]} == {
        "mysecrets",
        "auth",
        "vault",
    }


# A multi-homed host contributing a PTR for its second address: a finding a
# reviewer accepts on that host, not on the publisher.
MULTI_HOMED_HOST = """{ gw.config = { networking.hostName = "gw";
  services.dnsStaticRecords = {
    contributions.internal.subdomains.gw.A = [ "10.0.0.1" ];
    contributions."10.in-addr.arpa".subdomains = {
      "1.0.0".PTR = [ "gw.internal." ];
      "1.0.1".PTR = [ "gw.internal." ];
    };
    exceptions = EXCEPTIONS;
  }; }; }"""

ACCEPT_SECOND_PTR = """[ { rule = "ptr-mismatch"; zone = "10.in-addr.arpa"; name = "1.0.1";
  type = "PTR"; reason = "gw is multi-homed"; } ]"""


def test_a_hosts_reviewed_exceptions_travel_with_its_contributions() -> None:
    refused = nix_build(check_expr(MULTI_HOMED_HOST.replace("EXCEPTIONS", "[ ]")))
    assert refused.returncode != 0
    assert "error[ptr-mismatch] 10.in-addr.arpa: 1.0.1 PTR" in refused.log
    hosts = MULTI_HOMED_HOST.replace("EXCEPTIONS", ACCEPT_SECOND_PTR)
    [exception] = documents(hosts)["gw"]["exceptions"]
    assert exception["reason"] == "gw is multi-homed"
    option = "nixosConfigurations.gw.config.services.dnsStaticRecords.exceptions"
    assert exception["source"] == f"{option}[0]"
    result = nix_build(check_expr(hosts))
    assert result.returncode == 0, result.log
