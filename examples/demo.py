"""`make demo`: the whole story on one machine, against a real Knot on 127.0.0.1.

1. start knotd (free port, temp dir under .demo/, keymgr TSIG keys);
2. let "the other writers" in: a DHCP lease (through a real Kea DHCP-DDNS when
   it is installed, else the same A + PTR + DHCID records by knsupdate) and an
   ExternalDNS endpoint with its ``k8s.a-forge`` marker;
3. show the zone, check examples/routy.json, classify the zone (text and Nix),
   plan: the zone's hand-made apex NS (``ns0`` only) differs from the declared
   ``ns0 ns1 ns2``, a conflict; review the take-over of it, apply with the
   take-over (backup first), plan again: in sync, no conflict left;
4. show the metrics as a real node-exporter serves them (when installed);
5. stop every server it started, by PID, also on errors and Ctrl-C.

Run it with ``make demo`` (or ``.venv/bin/python examples/demo.py``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import FrameType

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# The test fixtures double as plain helpers: start/stop knotd and Kea by PID.
from tests.fixtures.kea import KeaDdns  # noqa: E402
from tests.fixtures.knot import KnotServer, find_tool  # noqa: E402
from tests.fixtures.node_exporter import NodeExporter  # noqa: E402

DESIRED = REPO / "examples" / "routy.json"
ZONES = ("internal", "10.in-addr.arpa", "s3.garage.internal")
# each zone's hand-made apex NS, replaced on purpose (reviewed in the plan first)
TAKE_OVER = [arg for zone in ZONES for arg in ("--take-over", f"{zone}/NS")]
BOLD = "\033[1m" if sys.stdout.isatty() else ""
DIM = "\033[2m" if sys.stdout.isatty() else ""
RESET = "\033[0m" if sys.stdout.isatty() else ""

EXIT_MEANING = {
    0: "in sync / applied",
    1: "error",
    2: "usage",
    3: "conflicts with --on-conflict fail",
    4: "changes pending",
}


class DemoError(Exception):
    pass


def step(title: str) -> None:
    print(f"\n{BOLD}==> {title}{RESET}", flush=True)


def note(text: str) -> None:
    print(textwrap.fill(text, width=90, initial_indent="    ", subsequent_indent="    "))


def run(
    argv: list[str],
    expect: tuple[int, ...] = (0,),
    agent_exit: bool = False,
    capture: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run one command, show it and its output, check its exit code."""
    shown = " ".join(Path(a).name if a == argv[0] else _short(a) for a in argv)
    print(f"{DIM}$ {shown}{RESET}", flush=True)
    env = dict(os.environ, PATH=f"/usr/sbin:{os.environ.get('PATH', '')}")
    result = subprocess.run(
        argv, cwd=REPO, env=env, check=False, timeout=120, capture_output=capture, text=True
    )
    if capture:
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
    meaning = EXIT_MEANING.get(result.returncode, "") if agent_exit else ""
    print(f"{DIM}(exit {result.returncode}{': ' + meaning if meaning else ''}){RESET}")
    if result.returncode not in expect:
        raise DemoError(f"{shown} exited {result.returncode}, expected {expect}")
    return result


def _short(arg: str) -> str:
    try:
        return str(Path(arg).relative_to(REPO))
    except ValueError:
        return arg


def show_zone(knot: KnotServer, zone: str) -> None:
    for line in knot.axfr(zone):
        name, ttl, _cls, rtype, *data = line.split(maxsplit=4)
        print(f"    {name:<34} {ttl:>5} {rtype:<6} {' '.join(data)}")


def seed_dhcp(knot: KnotServer, base: Path) -> KeaDdns | None:
    """A DHCP lease for laptop.internal: real Kea D2 if installed, else knsupdate."""
    if find_tool("kea-dhcp-ddns"):
        kea = KeaDdns(base=base / "kea", knot=knot)
        (base / "kea").mkdir()
        kea.start()
        note("Kea DHCP-DDNS gets a NameChangeRequest for laptop.internal = 10.0.0.42")
        kea.add_lease("laptop.internal.", "10.0.0.42")
        return kea
    note("kea-dhcp-ddns not installed: writing Kea's records (A + PTR + DHCID) by knsupdate")
    dhcid = "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA="
    knot.add_records("internal", ["laptop 300 A 10.0.0.42", f"laptop 300 DHCID {dhcid}"], key="kea")
    knot.add_records(
        "10.in-addr.arpa",
        ["42.0.0 300 PTR laptop.internal.", f"42.0.0 300 DHCID {dhcid}"],
        key="kea",
    )
    return None


def seed_external_dns(knot: KnotServer) -> None:
    note("ExternalDNS publishes forge.internal (an Ingress) with its ownership marker")
    marker = (
        '"heritage=external-dns,external-dns/owner=default,'
        'external-dns/resource=ingress/forgejo/forge"'
    )
    knot.add_records("internal", ["forge 300 A 10.1.0.5", f"k8s.a-forge 300 TXT {marker}"])


def demo(base: Path) -> None:
    python = sys.executable
    agent = [python, "-m", "agent"]

    step("Start a local Knot DNS on 127.0.0.1")
    knot = KnotServer(base=base / "knot")
    knot.prepare()
    knot.start()
    stoppers.append(knot.stop)
    print(f"    knotd pid {knot.pid}, port {knot.port}, zones: {', '.join(knot.zones)}")
    key_file = str(knot.key_file("bind"))
    server = ["--server", knot.server, "--port", str(knot.port), "--key-file", key_file]

    step("The other writers: DHCP (Kea) and Kubernetes (ExternalDNS)")
    kea = seed_dhcp(knot, base)
    if kea is not None:
        stoppers.append(kea.stop)
    seed_external_dns(knot)

    step("Zone 'internal' as it is now")
    show_zone(knot, "internal")

    step("Check the desired records (what `nix build` runs)")
    run([python, "-m", "checker", str(DESIRED)])

    step("Migration: classify the existing records")
    classify = [*agent, "classify", *server, "--zone", "internal", "--managed-by", "routy"]
    run(classify)
    step("... and the static candidates as a Nix snippet to paste")
    run([*classify, "--format", "nix"])

    desired = ["--desired", str(DESIRED), *server]
    step("Plan (nothing is sent)")
    note(
        "ns0's A record exists unmarked with the desired data, so it is adopted. Each zone's "
        "apex NS was made by hand with only ns0, while ns0 ns1 ns2 are declared: a conflict, "
        "left alone (the '!' lines), until we take it over on purpose."
    )
    run([*agent, "plan", *desired], expect=(0, 4), agent_exit=True)

    step("Review the take-over of the hand-made apex NS (nothing is sent)")
    note("'^' shows the RRset as read -> as declared; our marker comes with it.")
    run([*agent, "plan", *desired, *TAKE_OVER], expect=(4,), agent_exit=True)

    step("Apply with the take-over (backup first, metrics after)")
    metrics_dir = base / "textfile"
    metrics_dir.mkdir()
    metrics = metrics_dir / "dns_static_records.prom"
    backups = base / "backups"
    run(
        [
            *agent,
            "apply",
            *desired,
            *TAKE_OVER,
            "--metrics-file",
            str(metrics),
            "--backup-dir",
            str(backups),
        ],
        agent_exit=True,
    )

    step("Plan again, without any flag: in sync (exit 0), no conflict left")
    result = run([*agent, "plan", *desired], agent_exit=True, capture=True)
    left = [line for line in result.stdout.splitlines() if line.startswith("! ")]
    if left:
        raise DemoError(f"{len(left)} conflict(s) left after the take-over: {left}")

    step("Zone 'internal' now: ours with nix.* markers, DHCP and ExternalDNS untouched")
    show_zone(knot, "internal")

    step("Backups written before the change")
    for path in sorted(backups.iterdir()):
        print(f"    {path.relative_to(REPO)}")
    show_metrics(base, metrics)


def show_metrics(base: Path, metrics: Path) -> None:
    """The metrics as Prometheus would scrape them from node-exporter."""
    if not find_tool("prometheus-node-exporter"):
        step(f"Metrics file ({metrics.relative_to(REPO)}; node-exporter not installed)")
        for line in metrics.read_text().splitlines():
            if not line.startswith("#"):
                print(f"    {line}")
        return
    exporter = NodeExporter(textfile_dir=metrics.parent, log_path=base / "node-exporter.log")
    exporter.start()
    stoppers.append(exporter.stop)
    step(f"Metrics as node-exporter serves them ({exporter.url}, pid {exporter.process_id})")
    for line in exporter.scrape().splitlines():
        if line.startswith(("dns_static_records_", "node_textfile_scrape_error")):
            print(f"    {line}")


stoppers: list[Callable[[], None]] = []


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    missing = [tool for tool in ("knotd", "keymgr", "kdig", "knsupdate") if not find_tool(tool)]
    if missing:
        print(f"demo: missing {', '.join(missing)}; run `make demo` to install them")
        return 1
    signal.signal(signal.SIGTERM, _on_signal)
    root = REPO / ".demo"
    root.mkdir(exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="run-", dir=root))
    status = 1
    try:
        demo(base)
        status = 0
    except KeyboardInterrupt:
        print("\ndemo: interrupted")
        status = 130
    except DemoError as exc:
        print(f"\ndemo failed: {exc}")
    finally:
        for stop in reversed(stoppers):
            try:
                stop()
            except Exception as exc:  # noqa: BLE001  (keep stopping the others)
                print(f"demo: while stopping a server: {exc}")
        if status == 0:
            shutil.rmtree(base, ignore_errors=True)
            print(f"\n{BOLD}Done.{RESET} Servers stopped, {base.relative_to(REPO)} removed.")
        else:
            print(f"servers stopped; files kept in {base.relative_to(REPO)} for a look")
    return status


if __name__ == "__main__":
    sys.exit(main())
