"""Run every benchmark and print its figures: `make bench`."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["bench_checker.py", "bench_axfr.py", "bench_scale.py"]


def main() -> int:
    sys.path.insert(0, str(HERE.parent))
    status = 0
    for name in BENCHES:
        path = HERE / name
        if not path.exists():
            print(f"(skipped {name}: not present)")
            continue
        print(f"== {name}")
        module = runpy.run_path(str(path), run_name="bench")
        status |= int(module["main"](sys.argv[1:]))
    return status


if __name__ == "__main__":
    sys.exit(main())
