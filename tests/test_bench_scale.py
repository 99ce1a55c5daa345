"""bench/bench_scale.py: its zone is in sync for both us and octoDNS, and
without octoDNS the benchmark runs and says in one line how to install it."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.knot import find_tool

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_scale.py"


def _bench() -> dict[str, Any]:
    return runpy.run_path(str(BENCH), run_name="bench")


def test_zone_holds_our_markers_and_octodns_markers() -> None:
    bench = _bench()
    records = bench["zone_records"](6000)
    assert len(records) == 6000
    for i in (0, bench["OURS"] - 1):
        assert f"nix.ours{i} 300 TXT {bench['MARKER']}" in records
        assert f"_owner.a.ours{i} 300 TXT {bench['OCTODNS_MARKER']}" in records


def test_octodns_absent_is_one_line_saying_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    find_octodns = _bench()["find_octodns"]
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_octodns(None).startswith("not installed, skipped (pip install octodns")
    assert "skipped (pip install octodns octodns-bind" in find_octodns(str(tmp_path / "python"))
    for program in ("true", "false"):  # runs, but no octoDNS answers
        (tmp_path / program).symlink_to(Path("/bin", program))
        assert "not importable by" in find_octodns(str(tmp_path / program))


@pytest.mark.knot
@pytest.mark.skipif(find_tool("nsupdate") is None, reason="nsupdate (bind9-dnsutils) missing")
def test_bench_runs_without_octodns(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    argv = ["--sizes", "3000", "--records", "20", "--repeat", "1"]
    status = _bench()["main"]([*argv, "--octodns-python", str(tmp_path / "absent")])
    out = capsys.readouterr().out
    assert status == 0, out
    assert out.splitlines()[-1].startswith("octoDNS + octodns-bind: cannot run")
    assert "pip install octodns octodns-bind" in out.splitlines()[-1]
    row = next(line for line in out.splitlines() if line.strip().startswith("3,000"))
    assert row.count("x") >= 2  # both ratios printed
