"""The guide (docs/guides/dns-static-records.md) cannot rot (issue 11):

* its migration commands (every ``sh`` block, in order, with the test's own
  settings) run against a local knotd holding a zone like the guide's, with
  a real Kea DHCP-DDNS lease and ExternalDNS records, and end in sync;
* its Knot configuration passes ``knotc conf-check`` and keeps dynamic
  updates across a restart and a ``kill -9``;
* its troubleshooting table quotes only lines the agent really prints, and
  names every kind of error the agent has.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import re
import subprocess
import sys
import time
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

import agent
from agent.cli import build_parser
from agent.errors import AgentError
from tests.fixtures.kea import KeaDdns
from tests.fixtures.knot import KnotServer, free_port, require_tool, run_tool, stop_process
from tests.fixtures.writers import Writers

REPO = Path(__file__).resolve().parents[1]
GUIDE = REPO / "docs" / "guides" / "dns-static-records.md"
SETTINGS_MARK = "<!-- guide-test: settings"
_BLOCK = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)

KEA_DHCP4 = """\
// the router's Kea DHCPv4 configuration (abridged)
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ ] },
    "ddns-qualifying-suffix": "internal",
    "subnet4": [
      {
        "id": 1,
        "subnet": "10.0.0.0/24",
        "pools": [ { "pool": "10.0.0.100 - 10.0.0.199" } ],
        # the printer always gets its address and name from DHCP
        "reservations": [
          { "hw-address": "aa:bb:cc:dd:ee:15", "hostname": "printer", "ip-address": "10.0.0.15" }
        ]
      }
    ]
  }
}
"""


def _guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def _blocks(language: str) -> list[tuple[int, str]]:
    """(offset in the guide, body) of every fenced block of `language`."""
    return [(m.start(), m.group(2)) for m in _BLOCK.finditer(_guide()) if m.group(1) == language]


def _migration_script(overrides: str) -> str:
    """Every ``sh`` block in order; right after the settings block, the
    test's own values (so a setting the guide adds keeps its default)."""
    text = _guide()
    marker = text.index(SETTINGS_MARK)
    parts = ["set -euo pipefail"]
    for offset, body in _blocks("sh"):
        parts.append(body)
        if offset > marker and overrides:
            parts.append(overrides)
            overrides = ""
    assert not overrides, "the settings block after the marker is missing"
    return "\n".join(parts)


def _axfr(knot: KnotServer, zone: str) -> list[list[str]]:
    return [line.split() for line in knot.axfr(zone)]


@pytest.mark.knot
@pytest.mark.kea
def test_guide_migration_commands_run_against_knot(
    knot: KnotServer, kea: KeaDdns, writers: Writers, tmp_path: Path
) -> None:
    require_tool("nix-instantiate", "nix-bin")
    # the zone before the migration, as the guide describes it
    writers.hand_made("internal", ["routy 3600 A 10.0.0.1", "printer 3600 A 10.0.0.15"])
    kea.add_lease("laptop.internal.", "10.0.0.42")
    writers.external_dns("internal", "forge", data=["10.1.0.5"], marker_format="current")
    foreign_before = [
        rr for rr in _axfr(knot, "internal") if rr[0].split(".")[0] in ("laptop", "forge", "k8s")
    ]
    printer_before = [rr for rr in _axfr(knot, "internal") if rr[0] == "printer.internal."]
    kea_config = tmp_path / "kea-dhcp4.conf"
    kea_config.write_text(KEA_DHCP4)

    settings = "\n".join(
        [
            f"SERVER={knot.server}",
            f"PORT={knot.port}",
            f"KEY={knot.key_file('one-line')}",
            'ZONES="internal 10.in-addr.arpa"',
            f"KEA_CONFIG={kea_config}",
            f"DNS_STATIC_RECORDS={REPO}",
            "MANAGED_BY=routy",
        ]
    )
    script = tmp_path / "guide.sh"
    script.write_text(_migration_script(settings))
    bin_dir = Path(sys.executable).parent  # dns-static-agent, dns-static-check
    env = dict(os.environ, PATH=os.pathsep.join([str(bin_dir), "/usr/sbin", os.environ["PATH"]]))
    result = subprocess.run(
        ["bash", str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    out = result.stdout

    # classify filed the reserved printer under DHCP, so the snippet leaves it out
    snippet = (tmp_path / "migration" / "static-internal.nix").exists()
    assert not snippet  # cleaned up at the end
    assert "^ @ NS 3600 ns0.internal. → 3600 ns0.internal. | ns1.internal. take-over" in out
    assert "1 take-over" in out
    # in sync, both zones; the NS taken over, markers present
    for zone in ("internal", "10.in-addr.arpa"):
        rrs = _axfr(knot, zone)
        assert {rr[4] for rr in rrs if rr[3] == "NS"} == {"ns0.internal.", "ns1.internal."}
        marker = [
            "nix." + zone + ".",
            "300",
            "IN",
            "TXT",
            '"heritage=nix,managed-by=routy,type=NS"',
        ]
        assert marker in rrs
    internal = _axfr(knot, "internal")
    assert ["dns.internal.", "300", "IN", "CNAME", "ns0.internal."] in internal
    # DHCP's, ExternalDNS's and the reserved printer's records are as they were
    for rr in foreign_before + printer_before:
        assert rr in internal, rr
    assert (tmp_path / "migration" / "textfile" / "dns_static_records.prom").exists()
    assert list((tmp_path / "migration" / "agent-backups").iterdir())
    assert len(list((tmp_path / "migration" / "backup").iterdir())) == 2


def _commands(program: str) -> list[str]:
    """Every command line (continuations joined) of the guide's ``sh`` blocks
    that runs `program`, e.g. ``dns-static-agent plan``."""
    lines: list[str] = []
    for _, body in _blocks("sh"):
        lines.extend(line.strip() for line in body.replace("\\\n", " ").splitlines())
    return [line for line in lines if program in line]


@pytest.mark.parametrize("failure", [1, 2])
def test_guide_never_hides_a_failing_plan_or_apply(tmp_path: Path, failure: int) -> None:
    """Run in a reader's shell (no errexit, no pipefail), each of the guide's
    plan/apply lines still fails when the agent fails: only 0 and, where the
    line says so, 4 ("changes pending") go on."""
    commands = _commands("dns-static-agent plan") + _commands("dns-static-agent apply")
    assert len(commands) >= 5
    fake = tmp_path / "bin" / "dns-static-agent"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho "error: failing on purpose" >&2\nexit "$AGENT_EXIT"\n')
    fake.chmod(0o755)
    (tmp_path / "migration").mkdir()
    for exit_code in (failure, 4, 0):
        env = dict(os.environ, PATH=f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
        env["AGENT_EXIT"] = str(exit_code)
        for command in commands:
            proc = subprocess.run(
                ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, check=False
            )
            goes_on = exit_code == 0 or (exit_code == 4 and "|| test $? -eq 4" in command)
            assert (proc.returncode == 0) == goes_on, (exit_code, command)


def test_guide_classifies_with_the_managed_by_id() -> None:
    """Without --managed-by, markers of every id under the prefix read as ours."""
    commands = _commands("dns-static-agent classify")
    assert len(commands) >= 2
    for command in commands:
        assert '--managed-by "$MANAGED_BY"' in command, command


def _synopsis(text: str, command: str) -> str:
    """The synopsis lines of ``dns-static-agent <command>`` in `text`."""
    start = text.index(f"dns-static-agent {command} ")
    lines = text[start:].splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        if not line.strip().startswith("["):
            break
        out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("document", ["docs/contract.md", "README.md"])
def test_classify_synopsis_names_every_option(document: str) -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    classify = subparsers.choices["classify"]
    # every command takes these (the contract says so once, not per synopsis)
    general = {"--timeout", "--deadline", "--debug", "--help"}
    options = {
        option
        for action in classify._actions
        for option in action.option_strings
        if option.startswith("--") and option not in general
    }
    synopsis = _synopsis((REPO / document).read_text(encoding="utf-8"), "classify")
    missing = sorted(o for o in options if o not in synopsis)
    assert not missing, f"{document}'s classify synopsis lacks {missing}:\n{synopsis}"


def _guide_knot_config(base: Path, port: int) -> str:
    [yaml] = [body for _, body in _blocks("yaml") if "zonefile-load" in body]
    config = (
        yaml.replace("/var/lib/knot", str(base / "lib"))
        .replace("/run/knot", str(base / "run"))
        .replace("/etc/knot/", f"{base / 'etc'}/")
    )
    config, count = re.subn(r"listen: \S+", f"listen: 127.0.0.1@{port}", config)
    assert count == 1
    return config


def _start_knotd(config: Path, zone: str, port: int) -> subprocess.Popen[bytes]:
    knotd = require_tool("knotd", "knot")
    process = subprocess.Popen(
        [knotd, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            answer = dns.query.tcp(
                dns.message.make_query(zone, dns.rdatatype.SOA), "127.0.0.1", port=port, timeout=1
            )
            if answer.rcode() == dns.rcode.NOERROR and answer.answer:
                return process
        except (OSError, EOFError, dns.exception.DNSException):
            pass
        time.sleep(0.05)
    stop_process(process)
    raise AssertionError("knotd with the guide's configuration did not start")


def _lookup(port: int, name: str) -> list[str]:
    kdig = require_tool("kdig", "knot-dnsutils")
    return run_tool([kdig, "@127.0.0.1", "-p", str(port), "+short", name, "A"]).stdout.split()


@pytest.mark.knot
def test_guide_knot_config_keeps_dynamic_updates_across_restart_and_kill(
    tmp_path: Path,
) -> None:
    keymgr = require_tool("keymgr", "knot")
    knotc = require_tool("knotc", "knot")
    knsupdate = require_tool("knsupdate", "knot-dnsutils")
    for sub in ("lib", "run", "etc"):
        (tmp_path / sub).mkdir()
    for name in ("dns-static-records", "kea", "external-dns"):  # as the guide's keymgr lines
        text = run_tool([keymgr, "-t", name, "hmac-sha256"]).stdout
        (tmp_path / "etc" / f"{name}.key.conf").write_text(text)
    one_line = (tmp_path / "etc" / "dns-static-records.key.conf").read_text().splitlines()[0]
    (tmp_path / "agent.key").write_text(one_line.removeprefix("# ") + "\n")
    for zone in ("internal", "10.in-addr.arpa"):
        (tmp_path / "lib" / f"{zone}.zone").write_text(
            f"$ORIGIN {zone}.\n$TTL 3600\n"
            "@ SOA ns0.internal. hostmaster.internal. 1 3600 900 1209600 300\n"
            "@ NS ns0.internal.\n"
        )
    port = free_port()
    config = tmp_path / "knot.conf"
    config.write_text(_guide_knot_config(tmp_path, port))
    run_tool([knotc, "-c", str(config), "conf-check"])

    def update(record: str) -> None:
        script = f"server 127.0.0.1 {port}\nzone internal.\nadd {record}\nsend\nquit\n"
        run_tool([knsupdate, "-t", "10", "-k", str(tmp_path / "agent.key")], script)

    process = _start_knotd(config, "internal", port)
    try:
        update("before-restart.internal. 300 A 10.0.0.7")
        stop_process(process)  # SIGTERM, as systemctl restart does
        process = _start_knotd(config, "internal", port)
        assert _lookup(port, "before-restart.internal.") == ["10.0.0.7"]
        update("before-crash.internal. 300 A 10.0.0.8")
        process.kill()  # kill -9
        process.wait(timeout=10)
        process = _start_knotd(config, "internal", port)
        assert _lookup(port, "before-crash.internal.") == ["10.0.0.8"]
        assert _lookup(port, "before-restart.internal.") == ["10.0.0.7"]
    finally:
        stop_process(process)


def _troubleshooting_rows() -> list[tuple[list[str], str]]:
    section = _guide().split("## 6. Troubleshooting", 1)[1]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows.append((re.findall(r"`([^`]+)`", cells[0]), cells[1]))
    return rows


def _agent_sources() -> str:
    return "\n".join(path.read_text() for path in sorted((REPO / "agent").glob("*.py")))


def test_troubleshooting_quotes_only_lines_the_agent_prints() -> None:
    sources = _agent_sources()
    rows = _troubleshooting_rows()
    assert len(rows) > 30
    for fragments, _kind in rows:
        for fragment in fragments:
            assert fragment in sources, (
                f"the guide quotes {fragment!r}, which the agent never prints"
            )


def _error_classes() -> set[type[AgentError]]:
    for module in pkgutil.iter_modules(agent.__path__):
        if module.name != "__main__":
            importlib.import_module(f"agent.{module.name}")
    found: set[type[AgentError]] = set()
    todo: list[type[AgentError]] = [AgentError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_troubleshooting_names_every_kind_of_agent_error() -> None:
    kinds = {kind for _, kind in _troubleshooting_rows()}
    missing = sorted(cls.__name__ for cls in _error_classes() if cls.__name__ not in kinds)
    assert not missing, f"the guide's troubleshooting table lacks {missing}"
