"""Speed of dns-static-check on large generated documents, against references.

Usage: python bench/bench_checker.py [--sizes 10000,100000,1000000] [--repeat 3]
                                     [--octodns-validate PATH]

Each document has two forward zones and one reverse zone with mixed types
(A, AAAA, PTR, CNAME, TXT, MX, SRV, NS). The checker is timed in-process
(``checker.cli.main``) and as ``python -m checker`` (interpreter start and
JSON load included); "s/10k" is seconds per 10k records, relative to the
smallest size, to show whether time grows linearly. ``python -m checker``
runs a copy of the package with compiled bytecode, as pip and Nix install
it: this machine may set PYTHONDONTWRITEBYTECODE, and then every run from
the source tree would compile the checker's modules again.

The same records are measured in the same run with two references:

- Knot's ``kzonecheck`` (C; Debian package knot-dnssecutils), on the records
  written as one zone file per zone (one process per zone, times added);
  "x kz" is our ``python -m`` time over kzonecheck's (target: at most 6).
- ``octodns-validate`` (Python, octoDNS's config validator), on the records
  written as octoDNS YAML zones, when it is installed (on PATH, or given with
  ``--octodns-validate``); "octo/us" is its time over ours (target: at least
  15). Without it the columns say "-".
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from checker.cli import main as check_main  # noqa: E402

FORWARD = ("internal", "corp.example")
REVERSE = "10.in-addr.arpa"


def generate(count: int) -> dict[str, Any]:
    """A valid document with about ``count`` records."""
    zones: dict[str, list[dict[str, Any]]] = {z: [] for z in (*FORWARD, REVERSE)}
    for zone in (*FORWARD, REVERSE):
        zones[zone].append({"name": "@", "type": "NS", "data": "ns0.internal.", "source": "ns"})
    zones["internal"].append({"name": "ns0", "type": "A", "data": "10.255.255.253"})
    zones[REVERSE].append({"name": "253.255.255", "type": "PTR", "data": "ns0.internal."})
    total = 5
    i = 0
    while total < count:
        zone = FORWARD[i % 2]
        host = f"h{i}"
        a, b, c = (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF
        records = zones[zone]
        src = f"zones.{zone}.subdomains.{host}"
        records.append({"name": host, "type": "A", "data": f"10.{a}.{b}.{c}", "source": src + ".A"})
        zones[REVERSE].append(
            {"name": f"{c}.{b}.{a}", "type": "PTR", "data": f"{host}.{zone}.", "source": src}
        )
        total += 2
        if i % 3 == 0:
            records.append(
                {
                    "name": host,
                    "type": "AAAA",
                    "data": f"fd00::{i >> 16:x}:{i & 0xFFFF:x}",
                    "source": src,
                }
            )
            total += 1
        if i % 4 == 0:
            records.append(
                {"name": host, "type": "TXT", "data": f'"id={i}" "owner=bench"', "source": src}
            )
            total += 1
        if i % 5 == 0:
            records.append({"name": f"www{i}", "type": "CNAME", "data": host, "source": src})
            total += 1
        if i % 7 == 0:
            records.append({"name": f"m{i}", "type": "MX", "data": f"10 {host}", "source": src})
            records.append(
                {"name": f"_sip._tcp.m{i}", "type": "SRV", "data": f"0 5 5060 {host}.{zone}."}
            )
            total += 2
        i += 1
    return {
        "version": 1,
        "owner": {"prefix": "nix", "managedBy": "bench"},
        "defaults": {"ttl": 300},
        "zones": {zone: {"records": records} for zone, records in zones.items()},
    }


def compiled_checker(work: Path) -> Path:
    """A directory holding a copy of the checker with compiled bytecode:
    ``python -m checker`` run there imports the compiled modules."""
    shutil.copytree(
        ROOT / "checker", work / "checker", ignore=shutil.ignore_patterns("__pycache__")
    )
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(work / "checker")], check=True)
    return work


def _in_process(path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = check_main([str(path)])
    return time.perf_counter() - start, code


Timing = tuple[float, float, int]  # wall seconds, CPU seconds, exit code


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(commands: Sequence[Sequence[str]], cwd: Path = ROOT) -> Timing:
    """Wall and CPU seconds (user + system) for running the commands one after
    another, and the worst exit code. CPU time is what a shared machine's
    load changes least, so the ratios use it too."""
    start, cpu_start = time.perf_counter(), _child_cpu()
    code = 0
    for command in commands:
        done = subprocess.run(
            command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
        )
        if done.returncode != 0:
            sys.stderr.write(done.stderr.decode(errors="replace")[-2000:])
        code = max(code, done.returncode)
    return time.perf_counter() - start, _child_cpu() - cpu_start, code


def write_zone_files(doc: dict[str, Any], directory: Path) -> list[tuple[str, Path]]:
    """Each zone of the document as a zone file (RFC 1035 §5) with a SOA."""
    files = []
    ttl = doc["defaults"]["ttl"]
    for zone, body in doc["zones"].items():
        path = directory / f"{zone}.zone"
        lines = [
            f"$ORIGIN {zone}.",
            f"$TTL {ttl}",
            "@ SOA ns0.internal. hostmaster.internal. 1 3600 600 86400 300",
        ]
        lines += [
            f"{r['name']} {r.get('ttl', ttl)} {r['type']} {r['data']}" for r in body["records"]
        ]
        path.write_text("\n".join(lines) + "\n")
        files.append((zone, path))
    return files


def _absolute(name: str, zone: str) -> str:
    return name if name.endswith(".") else f"{name}.{zone}."


def _octodns_value(rtype: str, data: str, zone: str) -> Any:
    if rtype in ("A", "AAAA"):
        return data
    if rtype in ("CNAME", "NS", "PTR"):
        return _absolute(data, zone)
    if rtype == "TXT":  # octoDNS holds the text itself, ";" escaped
        return " ".join(part.strip('"') for part in data.split('" "')).replace(";", "\\;")
    if rtype == "MX":
        preference, exchange = data.split()
        return {"preference": int(preference), "exchange": _absolute(exchange, zone)}
    if rtype == "SRV":
        priority, weight, port, target = data.split()
        return {
            "priority": int(priority),
            "weight": int(weight),
            "port": int(port),
            "target": _absolute(target, zone),
        }
    raise ValueError(rtype)


def write_octodns_config(doc: dict[str, Any], directory: Path) -> Path:
    """The document as octoDNS YamlProvider zones and a config naming them.

    YAML is written as JSON (a subset), so no YAML library is needed."""
    zones_dir = directory / "octodns-zones"
    zones_dir.mkdir()
    ttl = doc["defaults"]["ttl"]
    config = [
        "providers:",
        "  config:",
        "    class: octodns.provider.yaml.YamlProvider",
        f"    directory: {zones_dir}",
        f"    default_ttl: {ttl}",
        "    enforce_order: false",
        "zones:",
    ]
    for zone, body in doc["zones"].items():
        nodes: dict[str, dict[str, list[Any]]] = {}
        for r in body["records"]:
            name = "" if r["name"] == "@" else r["name"]
            value = _octodns_value(r["type"], r["data"], zone)
            nodes.setdefault(name, {}).setdefault(r["type"], []).append(value)
        yaml_zone = {
            name: [
                {
                    "type": rtype,
                    "ttl": ttl,
                    **({"value": v[0]} if rtype == "CNAME" else {"values": v}),
                }
                for rtype, v in types.items()
            ]
            for name, types in nodes.items()
        }
        (zones_dir / f"{zone}.yaml").write_text(json.dumps(yaml_zone))
        config += [f"  {zone}.:", "    sources: [config]", "    targets: [config]"]
    path = directory / "octodns.yaml"
    path.write_text("\n".join(config) + "\n")
    return path


def _bare_loop() -> float:
    """Seconds for 10M iterations of an empty loop: how fast this machine is
    right now (about 0.33 s on the reference machine when idle), so figures
    taken while something else runs can be judged."""
    start = time.perf_counter()
    for _ in range(10_000_000):
        pass
    return time.perf_counter() - start


def _best(run: Callable[[], Timing], repeat: int) -> Timing:
    results = [run() for _ in range(repeat)]
    return (
        min(wall for wall, _, _ in results),
        min(cpu for _, cpu, _ in results),
        max(code for _, _, code in results),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    parser.add_argument(
        "--octodns-validate",
        default=shutil.which("octodns-validate"),
        help="octodns-validate to compare with (default: from PATH; none: skipped)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    kzonecheck = shutil.which("kzonecheck") or shutil.which("kzonecheck", path="/usr/sbin:/usr/bin")
    octodns = args.octodns_validate
    print(f"bare 10M-iteration loop: {min(_bare_loop() for _ in range(3)):.3f} s")
    print(f"kzonecheck: {kzonecheck or 'not installed (apt-get install knot-dnssecutils)'}")
    print(f"octodns-validate: {octodns or 'not installed (pip install octodns)'}")
    print("(wall s / CPU s; ratios of CPU time, then of wall time)")
    print(
        f"{'records':>9} {'in-process':>10} {'python -m':>12} {'s/10k':>6} {'ratio':>5}"
        f" {'kzonecheck':>12} {'x kz':>10} {'octodns':>16} {'octo/us':>10}"
    )
    base: float | None = None
    with tempfile.TemporaryDirectory() as tmp:
        installed = compiled_checker(Path(tmp))
        for size in sizes:
            work = Path(tmp) / str(size)
            work.mkdir()
            doc = generate(size)
            records = sum(len(z["records"]) for z in doc["zones"].values())
            path = work / "doc.json"
            path.write_text(json.dumps(doc))
            zone_files = write_zone_files(doc, work)
            octo_config = write_octodns_config(doc, work) if octodns else None
            del doc
            inproc = min(_in_process(path) for _ in range(args.repeat))
            ours = [[sys.executable, "-m", "checker", str(path)]]
            sub, sub_cpu, sub_code = _best(partial(_timed, ours, installed), args.repeat)
            if inproc[1] != 0 or sub_code != 0:
                print(f"unexpected exit {inproc[1]}/{sub_code} for {size} records", file=sys.stderr)
                return 1
            kz_text, kz_ratio = "-", "-"
            if kzonecheck:
                commands = [[kzonecheck, "-o", zone, str(file)] for zone, file in zone_files]
                kz, kz_cpu, kz_code = _best(partial(_timed, commands), args.repeat)
                if kz_code != 0:
                    print(f"kzonecheck refused the zone files ({kz_code})", file=sys.stderr)
                    return 1
                kz_text = f"{kz:.2f}/{kz_cpu:.2f}"
                kz_ratio = f"{sub_cpu / kz_cpu:.1f}/{sub / kz:.1f}"
            octo_text, octo_ratio = "-", "-"
            if octodns and octo_config:
                command = [[octodns, "--config-file", str(octo_config)]]
                octo, octo_cpu, octo_code = _timed(command, work)  # slow: once
                if octo_code != 0:
                    print(f"octodns-validate refused the zones ({octo_code})", file=sys.stderr)
                    return 1
                octo_text = f"{octo:.2f}/{octo_cpu:.2f}"
                octo_ratio = f"{octo_cpu / sub_cpu:.1f}/{octo / sub:.1f}"
            per_10k = sub_cpu / records * 10_000
            base = base or per_10k
            print(
                f"{records:>9} {inproc[0]:>10.2f} {f'{sub:.2f}/{sub_cpu:.2f}':>12}"
                f" {per_10k:>6.3f} {per_10k / base:>5.2f} {kz_text:>12} {kz_ratio:>10}"
                f" {octo_text:>16} {octo_ratio:>10}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
