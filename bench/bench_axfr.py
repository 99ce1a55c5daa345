"""AXFR speed: our read_zone vs kdig (and dnspython's dns.query.xfr for reference).

Starts a throw-away knotd on 127.0.0.1 with N A records (default 100,000; Knot's
default tcp-io-timeout unless --tcp-io-timeout is given), times each client a
few times and prints the best and median wall-clock times and ratios.

    python bench/bench_axfr.py [--records N] [--repeat R] [--no-dnspython]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import dns.name  # noqa: E402
import dns.query  # noqa: E402

from agent.zone_reader import read_zone  # noqa: E402
from tests.fixtures.knot import find_tool, run_tool, start_knot  # noqa: E402


def _time(function: Callable[[], object], repeat: int) -> list[float] | str:
    times: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            function()
        except Exception as exc:  # noqa: BLE001  (report the failure as the figure)
            return f"failed: {type(exc).__name__}: {exc}"
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tcp-io-timeout", type=int, default=None, metavar="MS")
    parser.add_argument("--no-dnspython", action="store_true", help="skip dns.query.xfr")
    args = parser.parse_args(argv)
    if find_tool("knotd") is None or find_tool("kdig") is None:
        print("knotd/kdig not found (Debian packages knot, knot-dnsutils)", file=sys.stderr)
        return 2
    kdig = find_tool("kdig")
    assert kdig is not None
    records = [
        f"h{i} 300 A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}" for i in range(args.records)
    ]
    zone = dns.name.from_text("internal")
    with tempfile.TemporaryDirectory(prefix="bench-axfr-") as base:
        knot = start_knot(
            Path(base),
            extra_records={"internal": records},
            tcp_io_timeout_ms=args.tcp_io_timeout,
        )
        try:
            key = knot.tsig_key
            key_file = str(knot.key_file("one-line"))

            def ours() -> object:
                snapshot = read_zone(knot.server, knot.port, zone, key, timeout=30)
                assert len(snapshot.rrsets) == args.records + 3
                return snapshot

            def with_kdig() -> object:
                argv_kdig = [kdig, f"@{knot.server}", "-p", str(knot.port), "-k", key_file]
                return run_tool([*argv_kdig, "AXFR", "internal", "+noall", "+answer"], timeout=120)

            def with_dnspython() -> object:
                keyring = {key.name: key.to_dnspython()}
                return list(dns.query.xfr(knot.server, zone, port=knot.port, keyring=keyring))

            clients: dict[str, Callable[[], object]] = {
                "read_zone": ours,
                "kdig AXFR": with_kdig,
            }
            if not args.no_dnspython:
                clients["dns.query.xfr"] = with_dnspython
            results = {name: _time(function, args.repeat) for name, function in clients.items()}
        finally:
            knot.stop()

    timeout_text = f"{args.tcp_io_timeout} ms" if args.tcp_io_timeout else "Knot default"
    print(f"AXFR of {args.records:,} A records (+SOA, NS, glue); tcp-io-timeout {timeout_text}")
    print(f"{'client':<16} {'best':>8} {'median':>8}")
    ours_best: float | None = None
    for name, result in results.items():
        if isinstance(result, str):
            print(f"{name:<16} {result}")
            continue
        best = min(result)
        if name == "read_zone":
            ours_best = best
        print(f"{name:<16} {best:>7.3f}s {statistics.median(result):>7.3f}s")
    if ours_best is not None:
        for name, result in results.items():
            if name != "read_zone" and not isinstance(result, str):
                print(f"read_zone / {name}: {ours_best / min(result):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
