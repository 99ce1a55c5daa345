"""`make demo` (examples/demo.py) on this machine: it ends in sync with no
conflict left and shows the metrics as node-exporter serves them (issue 11)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.knot import require_tool

pytestmark = pytest.mark.knot

REPO = Path(__file__).resolve().parents[1]


def test_demo_ends_in_sync_without_conflicts_and_shows_scraped_metrics() -> None:
    for tool in ("knotd", "keymgr", "kdig", "knsupdate"):
        require_tool(tool, "knot")
    require_tool("prometheus-node-exporter", "prometheus-node-exporter")
    result = subprocess.run(
        [sys.executable, "examples/demo.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    # before the take-over: the hand-made apex NS is a conflict, and the plan says how to resolve it
    assert "! @ NS skipped: differs" in out
    assert "^ @ NS 3600 ns0.internal. → 3600 ns0.internal. | ns1.internal. | ns2.internal." in out
    final = out.split("==> Plan again")[1]
    assert not [line for line in final.splitlines() if line.startswith("! ")]
    for zone in ("internal", "10.in-addr.arpa", "s3.garage.internal"):
        assert f"zone {zone} (serial" in final
        assert f'dns_static_records_conflicts{{zone="{zone}"}} 0' in final
        assert f'dns_static_records_sync_success{{zone="{zone}"}} 1' in final
    assert final.count("in sync (0 add, 0 delete, 0 update, 0 adopt); 0 conflict(s)") == 3
    assert "Metrics as node-exporter serves them" in final
    assert "node_textfile_scrape_error 0" in final
    assert "Servers stopped" in out
