"""Speed of dns-static-check on large generated documents.

Usage: python bench/bench_checker.py [--sizes 10000,100000,1000000] [--repeat 3]

Each document has two forward zones and one reverse zone with mixed types
(A, AAAA, PTR, CNAME, TXT, MX, SRV, NS). The checker is timed in-process
(``checker.cli.main``) and as ``python -m checker`` (interpreter start and
JSON load included); the last column is seconds per 10k records, relative to
the smallest size, to show whether time grows linearly.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
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


def _in_process(path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = check_main([str(path)])
    return time.perf_counter() - start, code


def _subprocess(path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "checker", str(path)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start, done.returncode


def _bare_loop() -> float:
    """Seconds for 10M iterations of an empty loop: how fast this machine is
    right now (about 0.33 s on the reference machine when idle), so figures
    taken while something else runs can be judged."""
    start = time.perf_counter()
    for _ in range(10_000_000):
        pass
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"bare 10M-iteration loop: {min(_bare_loop() for _ in range(3)):.3f} s")
    print(f"{'records':>9} {'in-process s':>13} {'python -m s':>12} {'s per 10k':>10} {'ratio':>6}")
    base: float | None = None
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            doc = generate(size)
            records = sum(len(z["records"]) for z in doc["zones"].values())
            path = Path(tmp) / f"doc-{size}.json"
            path.write_text(json.dumps(doc))
            del doc
            inproc, code = min(_in_process(path) for _ in range(args.repeat))
            sub, sub_code = min(_subprocess(path) for _ in range(args.repeat))
            if code != 0 or sub_code != 0:
                print(f"unexpected exit {code}/{sub_code} for {size} records", file=sys.stderr)
                return 1
            per_10k = sub / records * 10_000
            base = base or per_10k
            print(
                f"{records:>9} {inproc:>13.3f} {sub:>12.3f} {per_10k:>10.3f} {per_10k / base:>6.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
