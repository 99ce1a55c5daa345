"""bench/bench_checker.py runs: the same records are valid for us, for Knot's
kzonecheck as zone files, and the bench works without octodns-validate."""

from __future__ import annotations

import importlib.util
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_checker.py"
KZONECHECK = shutil.which("kzonecheck", path="/usr/sbin:/usr/bin")


def _bench() -> dict[str, Any]:
    return runpy.run_path(str(BENCH), run_name="bench")


@pytest.mark.skipif(KZONECHECK is None, reason="kzonecheck (knot-dnssecutils) is not installed")
def test_zone_files_pass_kzonecheck(tmp_path: Path) -> None:
    assert KZONECHECK is not None
    bench = _bench()
    for zone, path in bench["write_zone_files"](bench["generate"](300), tmp_path):
        done = subprocess.run(
            [KZONECHECK, "-o", zone, str(path)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_bench_runs_without_octodns(capsys: pytest.CaptureFixture[str]) -> None:
    assert _bench()["main"](["--sizes", "300", "--repeat", "1", "--octodns-validate", ""]) == 0
    out = capsys.readouterr().out
    assert "octodns-validate: not installed" in out
    assert out.splitlines()[-1].split()[0] == str(
        sum(len(z["records"]) for z in _bench()["generate"](300)["zones"].values())
    )


def test_checker_runs_from_a_compiled_copy(tmp_path: Path) -> None:
    """``python -m checker`` in the bench imports a copy with every module's
    bytecode compiled, as pip and Nix install it, whatever the environment
    says about writing bytecode."""
    work = _bench()["compiled_checker"](tmp_path)
    sources = sorted((work / "checker").rglob("*.py"))
    assert {p.name for p in sources} >= {"cli.py", "model.py", "names.py", "rdata.py"}
    assert all(Path(importlib.util.cache_from_source(str(p))).is_file() for p in sources)
    done = subprocess.run(
        [sys.executable, "-c", "import checker; print(checker.__file__)"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(done.stdout.strip()).parent == work / "checker"
