"""The metrics file as Prometheus sees it: a real node-exporter's textfile
collector reads what two agent processes (one per zone, as the NixOS module
runs them) wrote into one shared file (contract §6, issue 11)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agent.metrics import ACTIONS, FAMILIES, Sample
from tests.agent.helpers import document, rec, write_document
from tests.fixtures.knot import KnotServer
from tests.fixtures.node_exporter import NodeExporter

pytestmark = pytest.mark.knot

REPO = Path(__file__).resolve().parents[2]
ZONES = ("internal", "10.in-addr.arpa")


def _agent_process(
    knot: KnotServer, desired: Path, zone: str, metrics: Path
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agent",
            "apply",
            "--desired",
            str(desired),
            *knot.agent_options("bind"),
            "--zone",
            zone,
            "--metrics-file",
            str(metrics),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _value(samples: list[Sample], family: str, zone: str, **labels: str) -> float:
    """The one value node-exporter serves for ``dns_static_records_<family>``
    with these labels (it sorts labels by name, so compare them as a dict)."""
    wanted = {"zone": zone, **labels}
    values = [
        s.value
        for s in samples
        if s.name == f"dns_static_records_{family}" and dict(s.labels) == wanted
    ]
    assert len(values) == 1, (family, wanted, values)
    return values[0]


def test_node_exporter_serves_every_series_of_two_zones_from_two_processes(
    knot: KnotServer, node_exporter: NodeExporter, tmp_path: Path
) -> None:
    doc = document(
        {
            "internal": [
                rec("@", "NS", "ns0.internal.", 3600),
                rec("ns0", "A", "10.0.0.53", 3600),
                rec("routy", "A", "10.0.0.1"),
            ],
            "10.in-addr.arpa": [rec("1.0.0", "PTR", "routy.internal.")],
        }
    )
    desired = write_document(tmp_path / "d.json", doc)
    metrics = node_exporter.textfile_dir / "dns_static_records.prom"
    processes = [_agent_process(knot, desired, zone, metrics) for zone in ZONES]
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"{out}\n{err}"

    samples = node_exporter.samples()
    scrape_errors = [s for s in samples if s.name == "node_textfile_scrape_error"]
    assert [s.value for s in scrape_errors] == [0.0], node_exporter.scrape()
    assert any(
        s.name == "node_textfile_mtime_seconds" and (s.label("file") or "").endswith(metrics.name)
        for s in samples
    )
    for zone in ZONES:
        names = {s.name for s in samples if s.label("zone") == zone}
        assert names == set(FAMILIES), (zone, sorted(names))
        actions = {
            s.label("action") for s in samples if s.label("zone") == zone and s.label("action")
        }
        assert actions == set(ACTIONS), (zone, actions)
        assert _value(samples, "sync_success", zone) == 1.0
        assert _value(samples, "errors_total", zone) == 0.0
        assert _value(samples, "conflicts", zone) == 0.0
        assert _value(samples, "last_sync_timestamp", zone) > 1.7e9
        assert _value(samples, "sync_duration_seconds", zone) > 0
    # NS and ns0 adopted, routy added: three RRsets held
    assert _value(samples, "managed_count", "internal") == 3.0
    assert _value(samples, "changes", "internal", action="adopt") == 2.0
    assert _value(samples, "changes", "internal", action="add") == 1.0
    assert _value(samples, "managed_count", "10.in-addr.arpa") == 1.0
    assert _value(samples, "changes", "10.in-addr.arpa", action="add") == 1.0
    # the types node-exporter reports are the ones we declared
    text = node_exporter.scrape()
    assert "# TYPE dns_static_records_errors_total counter" in text
    assert "# TYPE dns_static_records_sync_success gauge" in text
