"""The shipped alert rules with owner-labelled series (several hosts, one
zone; issue 12): each owner's series is judged on its own, and an owner whose
series are removed (it stopped contributing) raises nothing."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.knot import require_tool, run_tool

RULES = Path(__file__).resolve().parents[1] / "alerts" / "dns-static-records.rules.yml"

LABELS = 'instance="routy:9100",job="node",zone="internal"'

CASES = f"""rule_files:
  - {RULES}
evaluation_interval: 1m
tests:
  - interval: 5m
    input_series:
      # the publisher's own series, steady
      - series: 'dns_static_records_managed_count{{{LABELS}}}'
        values: "12x100"
      # beta stops contributing after 2 h: its series are removed
      - series: 'dns_static_records_managed_count{{{LABELS},owner="beta"}}'
        values: "30x24 _x76"
      - series: 'dns_static_records_sync_success{{{LABELS},owner="beta"}}'
        values: "1x24 _x76"
      # alpha joins later, with few records
      - series: 'dns_static_records_managed_count{{{LABELS},owner="alpha"}}'
        values: "_x30 2x70"
      - series: 'dns_static_records_sync_success{{{LABELS},owner="alpha"}}'
        values: "_x30 1x70"
    alert_rule_test:
      - eval_time: 3h
        alertname: DnsStaticRecordsManagedCountDrop
        exp_alerts: []
      - eval_time: 6h
        alertname: DnsStaticRecordsManagedCountDrop
        exp_alerts: []
      - eval_time: 6h
        alertname: DnsStaticRecordsSyncFailing
        exp_alerts: []
"""


def test_owner_series_do_not_fire_across_owners(tmp_path: Path) -> None:
    promtool = require_tool("promtool", "prometheus")
    cases = tmp_path / "owners.test.yml"
    cases.write_text(CASES)
    result = run_tool([promtool, "test", "rules", str(cases)], check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
