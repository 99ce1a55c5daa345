"""Scale: a no-op `plan` against `kdig AXFR`, and `apply` of new records against nsupdate.

Starts throw-away knotds on 127.0.0.1 (Knot's default tcp-io-timeout) and runs
every client as the user would, as its own process, so the figures include
start-up; peak RSS is each process's maximum resident set (wait4). Runs are
interleaved and repeated; medians are printed with the ratios.

1. **No-op plan**: a zone of N records (25k/50k/100k by default) holding
   1,000 of ours (A + marker), DHCP names (A + DHCID), ExternalDNS names
   (A + ``a-`` marker, its default layout) and plain A records; `dns-static-agent plan`
   finds it in sync. Reference: `kdig AXFR` of the same zone. `read_zone` is
   also timed in-process: what the plan costs beyond it should stay flat as
   the zone grows.
2. **Apply**: 10,000 new A records (each with its marker) into an empty zone
   by `dns-static-agent apply`; reference: nsupdate sending the same records
   and markers without prerequisites in full batches. Message counts are
   compared with the minimum for our messages: the same prerequisites and
   updates (whatever the agent pins: names empty as read as "not in use",
   the registry names of ExternalDNS's layout), each message filled, as
   dnspython renders and signs it, up to 65,535 bytes (found by rendering,
   which only the benchmark does). Both clients run against Knot as
   configured by default: Knot 3.2 holds an UPDATE that arrives in the
   wall-clock second after the previous one was applied until the NOTIFY
   event that one scheduled 1 s later (up to ~1 s), unless it arrives at
   once; nsupdate and the agent both send back to back, so neither pays it
   often.
3. **octoDNS** with octodns-bind, when a Python holding both is given
   (``--octodns-python``) or ``octodns-sync`` is on PATH: its
   ``Rfc2136Provider`` reads the zone by AXFR and writes by UPDATE, and its
   ``OwnershipProcessor`` (an ``_owner.<type>.<name>`` TXT per record) makes it
   touch only what it added. The no-op is ``octodns-sync`` without ``--doit``
   against the same knotd (the zone holds its markers for our 1,000 names too),
   interleaved with the runs above; the apply is ``octodns-sync --doit`` of the
   same 10,000 records into an empty zone. Knot's default tcp-io-timeout cuts
   off a reader that parses while it reads: such a run is reported as
   "failed: cut off", and a second figure with the timeout raised is printed,
   labelled so. Without octoDNS: one line saying how to install it.

    python bench/bench_scale.py [--sizes 25000,50000,100000] [--records 10000] [--repeat 3]
                                [--octodns-python VENV/bin/python]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import dns.exception  # noqa: E402
import dns.name  # noqa: E402

from agent.cli import main as agent_main  # noqa: E402
from agent.planner import plan_zone  # noqa: E402
from agent.update_builder import build_group_message, group_changes  # noqa: E402
from agent.zone_reader import read_zone  # noqa: E402
from checker.check import check_documents  # noqa: E402
from checker.document import load_document  # noqa: E402
from tests.fixtures.knot import KnotServer, find_tool, start_knot  # noqa: E402

ZONE = "internal"
OURS = 1_000
MARKER = '"heritage=nix,managed-by=bench,type=A"'
EXTERNAL = (
    '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/{}"'
)
DHCID = "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA="
#: octoDNS's OwnershipProcessor marker (its defaults: ``_owner``, ``*octodns*``)
OCTODNS_MARKER_NAME = "_owner.a.{}"
OCTODNS_MARKER = '"*octodns*"'
MAX_MESSAGE = 65_535


def _address(i: int, net: int) -> str:
    return f"10.{net}.{i >> 8 & 255}.{i & 255}"


def zone_records(total: int) -> list[str]:
    """`total` records: 1,000 of ours with our markers and octoDNS's (so that
    both find the zone in sync), then a fifth DHCP pairs, a fifth ExternalDNS
    pairs, the rest plain A records."""
    lines: list[str] = []
    for i in range(OURS):
        lines += [f"ours{i} 300 A {_address(i, 1)}", f"nix.ours{i} 300 TXT {MARKER}"]
        lines.append(f"{OCTODNS_MARKER_NAME.format(f'ours{i}')} 300 TXT {OCTODNS_MARKER}")
    pairs = max(0, total - len(lines)) // 5 // 2
    for i in range(pairs):
        lines += [f"dhcp{i} 300 A {_address(i, 2)}", f"dhcp{i} 300 DHCID {DHCID}"]
        lines += [f"ext{i} 300 A {_address(i, 3)}"]
        lines += [f"a-ext{i} 300 TXT " + EXTERNAL.format(f"ext{i}")]  # its default layout
    plain = 0
    while len(lines) < total:
        lines.append(f"h{plain} 300 A {_address(plain, 4 + (plain >> 16))}")
        plain += 1
    return lines


def desired_document(names: Sequence[tuple[str, str]]) -> dict[str, object]:
    """A desired-state document (contract §2) with one A record per (name, address)."""
    return {
        "version": 1,
        "owner": {"prefix": "nix", "managedBy": "bench"},
        "defaults": {"ttl": 300},
        "zones": {
            ZONE: {
                "records": [
                    {"name": name, "type": "A", "data": address, "source": f"bench.{name}"}
                    for name, address in names
                ]
            }
        },
    }


@dataclass
class Figures:
    """Wall-clock seconds and peak RSS (MiB) of repeated runs of one client."""

    seconds: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    failure: str | None = None

    def median(self) -> float:
        return statistics.median(self.seconds)

    def text(self) -> str:
        if self.failure is not None:
            return self.failure
        if not self.seconds:
            return "not run"
        return f"{self.median():7.3f}s  {max(self.rss):6.1f} MiB"


#: Runs a command and writes its wall time and peak RSS (KiB) to a file. A fresh,
#: small interpreter forks it: a child forked from this benchmark would count
#: the benchmark's own pages in its peak RSS.
_MEASURE = """
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - started
with open(sys.argv[1], "w") as out:
    out.write(f"{elapsed} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


@dataclass(frozen=True)
class Installed:
    """The agent as a user's install runs it (see `install_agent`)."""

    python: str
    env: dict[str, str]
    cwd: Path


def install_agent(work: Path) -> Installed:
    """A virtualenv of its own holding a copy of `agent` and `checker` and, on
    its path, the dnspython this benchmark runs: what `pip install` of the
    wheel gives a user. Bytecode is compiled as pip and Nix do at install, and
    no editable-install hook runs at start-up (the development venv has both
    the other way round, and this machine may set PYTHONDONTWRITEBYTECODE)."""
    root = work / "installed"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = str(root / "bin" / "python")
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    for package in ("agent", "checker"):
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(REPO / package, Path(purelib) / package, ignore=ignore)
    # dnspython's directory on the path (its .pth files, the editable hook
    # among them, are not processed from there)
    (Path(purelib) / "dnspython.pth").write_text(str(Path(dns.__file__).parent.parent) + "\n")
    unset = ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")
    env = {name: value for name, value in os.environ.items() if name not in unset}
    subprocess.run([python, "-m", "compileall", "-q", purelib], check=True, env=env)
    return Installed(python, env, root)


def run_process(
    argv: Sequence[str],
    stdin: str | None = None,
    timeout: float = 600.0,
    installed: Installed | None = None,
    stderr: bool = False,
) -> tuple[float, float, int, str]:
    """Run `argv` (with `installed`'s environment); return (seconds, peak RSS
    in MiB, exit status, stdout, and stderr after it if `stderr` or the run
    failed)."""
    with tempfile.TemporaryDirectory(prefix="bench-run-") as scratch:
        figures = Path(scratch) / "figures"
        result = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _MEASURE, str(figures), *argv],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=installed.cwd if installed else REPO,
            env=installed.env if installed else None,
        )
        seconds, rss = figures.read_text().split()
    text = result.stdout
    if stderr or result.returncode not in (0, 4):
        text += result.stderr
    return float(seconds), int(rss) / 1024, result.returncode, text


def record(
    figures: Figures, result: tuple[float, float, int, str], ok: Callable[[int], bool]
) -> str:
    seconds, rss, status, out = result
    if not ok(status):
        figures.failure = f"failed (exit {status}): {out.strip().splitlines()[-1:]}"
    else:
        figures.seconds.append(seconds)
        figures.rss.append(rss)
    return out


def agent_argv(
    python: str, command: str, knot: KnotServer, desired: Path, *extra: str
) -> list[str]:
    """`python -m agent COMMAND` for zone `ZONE` of `desired` against `knot`."""
    head = [python, "-m", "agent", command, "--desired", str(desired)]
    return [*head, *knot.agent_options(), "--zone", ZONE, *extra]


# -- octoDNS ---------------------------------------------------------------------

#: Knot's tcp-io-timeout for the labelled second octoDNS figure, when the
#: default (500 ms) cut octoDNS off.
RAISED_TCP_IO_TIMEOUT_MS = 60_000
_OCTODNS_PROBE = (
    "import octodns, octodns_bind; from importlib.metadata import version; "
    "print('octoDNS', version('octodns'), '+ octodns-bind', version('octodns-bind'))"
)


@dataclass(frozen=True)
class OctoDns:
    """A Python that imports octodns and octodns_bind (`find_octodns`)."""

    python: str
    versions: str


def find_octodns(explicit: str | None) -> OctoDns | str:
    """The octoDNS to measure: `explicit` (a Python), else the interpreter of
    the virtualenv whose ``octodns-sync`` is on PATH; or one line saying why
    there is none."""
    install = (
        "pip install octodns octodns-bind into a virtualenv, then --octodns-python "
        "VENV/bin/python or put VENV/bin on PATH"
    )
    if explicit is None:
        sync = shutil.which("octodns-sync")
        if sync is None:
            return f"not installed, skipped ({install})"
        explicit = str(Path(sync).resolve().parent / "python")
    try:
        probe = subprocess.run(
            [explicit, "-c", _OCTODNS_PROBE], capture_output=True, text=True, check=False
        )
    except OSError as exc:
        return f"cannot run {explicit} ({exc.strerror}), skipped ({install})"
    if probe.returncode != 0 or not probe.stdout.startswith("octoDNS"):
        return f"octodns and octodns_bind are not importable by {explicit}, skipped ({install})"
    return OctoDns(explicit, probe.stdout.strip())


def octodns_config(work: Path, knot: KnotServer, names: Sequence[tuple[str, str]]) -> Path:
    """An octoDNS config: the A records `names` as its YAML source, knotd as
    its octodns-bind target (TSIG key "update"), its OwnershipProcessor."""
    source = work / "octodns-config"
    source.mkdir(parents=True, exist_ok=True)
    (source / f"{ZONE}.yaml").write_text(
        "".join(f"{name}:\n  type: A\n  ttl: 300\n  value: {address}\n" for name, address in names)
    )
    key = knot.tsig_key
    config = work / "octodns.yaml"
    config.write_text(
        "providers:\n"
        "  config:\n"
        "    class: octodns.provider.yaml.YamlProvider\n"
        f"    directory: {source}\n"
        "    default_ttl: 300\n"
        "    enforce_order: false\n"
        "  knot:\n"
        "    class: octodns_bind.Rfc2136Provider\n"
        f"    host: {knot.server}\n"
        f"    port: {knot.port}\n"
        f"    key_name: {key.name.to_text()}\n"
        f"    key_secret: {knot.key_secret_b64()}\n"
        f"    key_algorithm: {key.algorithm.to_text(omit_final_dot=True)}\n"
        "processors:\n"
        "  owner:\n"
        "    class: octodns.processor.ownership.OwnershipProcessor\n"
        "    txt_ttl: 300\n"
        "zones:\n"
        f"  {ZONE}.:\n"
        "    sources: [config]\n"
        "    processors: [owner]\n"
        "    targets: [knot]\n"
    )
    return config


def octodns_sync(octodns: OctoDns, config: Path, *extra: str) -> list[str]:
    return [octodns.python, "-m", "octodns.cmds.sync", "--config-file", str(config), *extra]


def record_octodns(
    figures: Figures, result: tuple[float, float, int, str], expect: str | None = None
) -> None:
    """File one octoDNS run: a transfer Knot closed mid-way (its tcp-io-timeout)
    is "failed: cut off"; with `expect`, stdout must contain it."""
    seconds, rss, status, out = result
    if status == 0 and (expect is None or expect in out):
        figures.seconds.append(seconds)
        figures.rss.append(rss)
    elif "EOFError" in out or "Unable to Perform Zone Transfer" in out:
        run = f"run {len(figures.seconds) + 1}"  # (earlier runs may have been luckier)
        figures.failure = f"failed: cut off mid-transfer in {run} (Knot's tcp-io-timeout)"
    else:
        last = out.strip().splitlines()[-1:] if status else [f"no {expect!r} in its output"]
        figures.failure = f"failed (exit {status}): {last}"


def bench_octodns_noop(size: int, repeat: int, octodns: OctoDns, work: Path) -> Figures:
    """octoDNS's no-op plan with Knot's tcp-io-timeout raised (the labelled
    second figure), on a knotd of its own."""
    names = [(f"ours{i}", _address(i, 1)) for i in range(OURS)]
    knot = start_knot(
        work / f"knot-{size}-raised",
        extra_records={ZONE: zone_records(size)},
        tcp_io_timeout_ms=RAISED_TCP_IO_TIMEOUT_MS,
    )
    figures = Figures()
    try:
        argv = octodns_sync(octodns, octodns_config(work / f"octodns-{size}-raised", knot, names))
        for _ in range(repeat):
            record_octodns(figures, run_process(argv, stderr=True), "No changes were planned")
    finally:
        knot.stop()
    return figures


def bench_octodns_apply(
    count: int, repeat: int, octodns: OctoDns, work: Path
) -> tuple[Figures, list[int]]:
    """octodns-sync --doit of `count` new A records into an empty zone; the
    UPDATE messages Knot processed, from its log."""
    names = [(f"new{i}", _address(i, 5 + (i >> 16))) for i in range(count)]
    figures = Figures()
    messages: list[int] = []
    for round_number in range(repeat):
        knot = start_knot(work / f"knot-apply-{round_number}-o")
        try:
            config = octodns_config(work / f"octodns-apply-{round_number}", knot, names)
            record_octodns(
                figures, run_process(octodns_sync(octodns, config, "--doit"), stderr=True)
            )
            log = knot.log_path.read_text(errors="replace")
            messages.append(log.count("DDNS, processing"))
        finally:
            knot.stop()
        if figures.failure is not None:
            break
    return figures, messages


def bench_noop_plan(
    size: int, repeat: int, kdig: str, work: Path, installed: Installed, octodns: OctoDns | None
) -> dict[str, Figures]:
    records = zone_records(size)
    desired = work / f"desired-{size}.json"
    ours = [(f"ours{i}", _address(i, 1)) for i in range(OURS)]
    desired.write_text(json.dumps(desired_document(ours)))
    knot = start_knot(work / f"knot-{size}", extra_records={ZONE: records})
    names = ("kdig AXFR", "plan (no-op)", "in-process", "read_zone", "octoDNS")
    figures = {name: Figures() for name in names}
    octodns_argv = (
        None
        if octodns is None
        else octodns_sync(octodns, octodns_config(work / f"octodns-{size}", knot, ours))
    )
    try:
        kdig_argv = [kdig, f"@{knot.server}", "-p", str(knot.port)]
        kdig_argv += ["-k", str(knot.key_file("one-line")), "AXFR", ZONE, "+noall", "+answer"]
        zone = dns.name.from_text(ZONE)
        argv = agent_argv(installed.python, "plan", knot, desired)
        for _ in range(repeat):
            record(figures["kdig AXFR"], run_process(kdig_argv), lambda s: s == 0)
            plan = run_process(argv, installed=installed)
            record(figures["plan (no-op)"], plan, lambda s: s == 0)
            started = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                status = agent_main(argv[3:])
            assert status == 0, "the no-op plan found changes"
            figures["in-process"].seconds.append(time.perf_counter() - started)
            gc.disable()  # as the agent's run reads it (`agent.cli.main`)
            started = time.perf_counter()
            snapshot = read_zone(knot.server, knot.port, zone, knot.tsig_key, timeout=30)
            figures["read_zone"].seconds.append(time.perf_counter() - started)
            gc.enable()
            assert len(snapshot) >= size
            if octodns_argv is not None and figures["octoDNS"].failure is None:
                octo = run_process(octodns_argv, stderr=True)
                record_octodns(figures["octoDNS"], octo, "No changes were planned")
    finally:
        knot.stop()
    return figures


def minimum_messages(knot: KnotServer, desired: Path) -> int:
    """The fewest of our UPDATE messages for the plan, each filled in plan order
    up to 65,535 bytes as rendered and signed (the reference for our packer)."""
    zone = dns.name.from_text(ZONE)
    report = check_documents([(str(desired), load_document(str(desired)))])
    assert report.ok
    document = report.desireds[0]
    records = [record for z in document.zones for record in document.records_in(z)]
    snapshot = read_zone(knot.server, knot.port, zone, knot.tsig_key)
    plan = plan_zone(zone, records, snapshot, document.owner, document.default_ttl)
    groups = group_changes(plan.changes)

    def fits(start: int, count: int) -> bool:
        message = build_group_message(zone, groups[start : start + count], knot.tsig_key)
        try:
            return len(message.to_wire(max_size=MAX_MESSAGE)) <= MAX_MESSAGE
        except dns.exception.TooBig:
            return False

    messages, start, guess = 0, 0, 1
    while start < len(groups):
        left = len(groups) - start
        low, high = 0, min(guess, left)
        if fits(start, high):  # gallop up from the last message's count
            low, high, step = high, 0, 1
            while low < left:
                probe = min(left, low + step)
                if not fits(start, probe):
                    high = probe
                    break
                low, step = probe, step * 2
        while high - low > 1:  # then bisect: low fits, high does not
            middle = (low + high) // 2
            if fits(start, middle):
                low = middle
            else:
                high = middle
        assert low > 0, "the changes at one name do not fit in a message"
        messages, start, guess = messages + 1, start + low, low
    return messages


def nsupdate_script(knot: KnotServer, names: Sequence[tuple[str, str]], batch: int) -> str:
    lines = [f"server {knot.server} {knot.port}", f"zone {ZONE}."]
    for index, (name, address) in enumerate(names, start=1):
        lines.append(f"update add {name}.{ZONE}. 300 A {address}")
        lines.append(f"update add nix.{name}.{ZONE}. 300 TXT {MARKER}")
        if index % batch == 0 or index == len(names):
            lines.append("send")
    return "\n".join(lines) + "\n"


def bench_apply(
    count: int, repeat: int, batch: int, nsupdate: str, work: Path, installed: Installed
) -> tuple[dict[str, Figures], list[int], int, int]:
    names = [(f"new{i}", _address(i, 5 + (i >> 16))) for i in range(count)]
    desired = work / "desired-apply.json"
    desired.write_text(json.dumps(desired_document(names)))
    figures = {"nsupdate": Figures(), "apply": Figures()}
    sent: list[int] = []
    minimum = 0
    for round_number in range(repeat):
        knot = start_knot(work / f"knot-apply-{round_number}-n")
        try:
            script = nsupdate_script(knot, names, batch)
            argv = [nsupdate, "-k", str(knot.key_file("bind"))]
            record(figures["nsupdate"], run_process(argv, stdin=script), lambda s: s == 0)
        finally:
            knot.stop()
        knot = start_knot(work / f"knot-apply-{round_number}-a")
        try:
            if round_number == 0:
                minimum = minimum_messages(knot, desired)
            argv = agent_argv(installed.python, "apply", knot, desired, "--json")
            out = record(figures["apply"], run_process(argv, installed=installed), lambda s: s == 0)
            if figures["apply"].failure is None:
                zones = json.loads(out)["zones"]
                sent.append(int(zones[0]["result"]["messages_sent"]))
        finally:
            knot.stop()
    batches = -(-count // batch)
    return figures, sent, minimum, batches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="25000,50000,100000", help="zone sizes, in records")
    parser.add_argument("--records", type=int, default=10_000, help="records to apply")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--nsupdate-batch", type=int, default=700, help="names per nsupdate send")
    parser.add_argument(
        "--octodns-python",
        help="a Python that imports octodns and octodns_bind "
        "(default: the virtualenv of octodns-sync on PATH, if any)",
    )
    args = parser.parse_args(argv)
    tools = {name: find_tool(name) for name in ("knotd", "kdig", "nsupdate")}
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        print(f"missing tools: {', '.join(missing)} (Debian knot, knot-dnsutils, bind9-dnsutils)")
        return 2
    kdig, nsupdate = tools["kdig"], tools["nsupdate"]
    assert kdig is not None
    assert nsupdate is not None
    sizes = [int(size) for size in args.sizes.split(",") if size]
    found = find_octodns(args.octodns_python)
    octodns = found if isinstance(found, OctoDns) else None
    octodns_noop: dict[int, tuple[Figures, Figures | None, float]] = {}
    status = 0
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as base:
        work = Path(base)
        installed = install_agent(work)
        print(
            "dns-static-agent runs from a virtualenv of its own, as installed (bytecode "
            "compiled, no editable-install hook)"
        )
        print(
            f"No-op plan, zone holding {OURS:,} of ours; medians of {args.repeat}, peak RSS. "
            "in-process: the same plan\ncommand run inside this benchmark (no interpreter "
            "start-up or imports); read_zone: its AXFR alone; beyond: in-process less "
            "read_zone\n(what should stay flat as the zone grows)"
        )
        print(
            f"{'records':>8}  {'kdig AXFR':>20}  {'plan (no-op)':>20}  {'ratio':>6}  "
            f"{'in-process':>10}  {'ratio':>6}  {'read_zone':>9}  {'beyond':>7}"
        )
        for size in sizes:
            figures = bench_noop_plan(size, args.repeat, kdig, work, installed, octodns)
            kd, plan = figures["kdig AXFR"], figures["plan (no-op)"]
            inside, read = figures["in-process"], figures["read_zone"]
            if octodns is not None:
                octo = figures["octoDNS"]
                raised = None
                if octo.failure is not None and "cut off" in octo.failure:
                    raised = bench_octodns_noop(size, args.repeat, octodns, work)
                octodns_noop[size] = (octo, raised, kd.median() if kd.seconds else 0.0)
            if kd.failure or plan.failure or not kd.seconds or not plan.seconds:
                print(f"{size:>8,}  {kd.text():>20}  {plan.text():>20}")
                status = 1
                continue
            print(
                f"{size:>8,}  {kd.text():>20}  {plan.text():>20}  "
                f"{plan.median() / kd.median():5.2f}x  {inside.median():9.3f}s  "
                f"{inside.median() / kd.median():5.2f}x  {read.median():8.3f}s  "
                f"{inside.median() - read.median():6.3f}s"
            )
        print()
        figures, sent, minimum, batches = bench_apply(
            args.records, args.repeat, args.nsupdate_batch, nsupdate, work, installed
        )
        ns, apply = figures["nsupdate"], figures["apply"]
        print(
            f"Apply {args.records:,} new A records (+ markers) into an empty zone; "
            f"medians of {args.repeat}, peak RSS"
        )
        print(
            f"  nsupdate ({batches} messages of {args.nsupdate_batch} names, no prerequisites): "
            f"{ns.text()}"
        )
        print(f"  apply ({sorted(set(sent))} messages; minimum {minimum}): {apply.text()}")
        if ns.seconds and apply.seconds and minimum:
            print(
                f"  apply / nsupdate: {apply.median() / ns.median():.2f}x; "
                f"messages / minimum: {max(sent) / minimum:.2f}x"
            )
        else:
            status = 1
        print()
        if octodns is None:
            print(f"octoDNS + octodns-bind: {found}")
            return status
        print_octodns(octodns, octodns_noop, args.repeat)
        octo, messages = bench_octodns_apply(args.records, args.repeat, octodns, work)
        counted = f", {sorted(set(messages))} messages" if messages else ""
        what = f"apply {args.records:,} new A records (octodns-sync --doit{counted})"
        print(f"  {what}: {octo.text()}")
        if octo.seconds and ns.seconds and apply.seconds:
            print(
                f"  octoDNS / nsupdate: {octo.median() / ns.median():.2f}x; "
                f"octoDNS / apply: {octo.median() / apply.median():.2f}x"
            )
    return status


def print_octodns(
    octodns: OctoDns, noop: dict[int, tuple[Figures, Figures | None, float]], repeat: int
) -> None:
    """The octoDNS no-op figures, measured interleaved with the table above."""
    print(
        f"{octodns.versions} ({octodns.python}), OwnershipProcessor; medians of {repeat}, peak RSS"
    )
    print("  no-op plan (octodns-sync without --doit), Knot's default tcp-io-timeout:")
    for size, (octo, raised, kdig_median) in noop.items():
        ratio = ""
        if octo.failure is None and octo.seconds and kdig_median:
            ratio = f"  {octo.median() / kdig_median:6.2f}x kdig"
        print(f"  {size:>8,}  {octo.text()}{ratio}")
        if raised is not None:
            print(
                f"  {'':>8}  with tcp-io-timeout raised to {RAISED_TCP_IO_TIMEOUT_MS // 1000} s: "
                f"{raised.text()}"
            )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
