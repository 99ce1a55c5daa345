"""The metrics file: format, sharing between processes, counters, atomicity."""

from __future__ import annotations

import logging
import multiprocessing
import stat
from pathlib import Path

import pytest

from agent.metrics import (
    ACTIONS,
    FAMILIES,
    MetricsError,
    ZoneMetrics,
    lock_path_for,
    parse_sample,
    write_metrics,
)

Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def result(
    zone: str = "internal",
    *,
    success: bool = True,
    managed: int = 12,
    conflicts: int = 0,
    changes: dict[str, int] | None = None,
    duration: float = 0.42,
    timestamp: float = 1738678800.5,
) -> ZoneMetrics:
    return ZoneMetrics(
        zone=zone,
        success=success,
        managed_count=managed,
        conflicts=conflicts,
        changes=changes or {},
        duration_seconds=duration,
        timestamp=timestamp,
    )


def parse(path: Path) -> tuple[Series, dict[str, list[str]]]:
    """Every sample (name, sorted labels) -> value, and the comment lines per family;
    fails on any line that is not exposition format."""
    series: Series = {}
    comments: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            parts = line.split(" ", 3)
            assert parts[1] in ("HELP", "TYPE"), line
            comments.setdefault(parts[2], []).append(parts[1])
            continue
        sample = parse_sample(line)
        assert sample is not None, line
        key = (sample.name, tuple(sorted(sample.labels)))
        assert key not in series, f"duplicate series {line}"
        series[key] = sample.value
    return series, comments


def value(series: Series, name: str, zone: str, action: str | None = None) -> float:
    labels = [("zone", zone)] + ([("action", action)] if action else [])
    return series[("dns_static_records_" + name, tuple(sorted(labels)))]


def test_format_matches_the_contract(tmp_path: Path) -> None:
    path = tmp_path / "dns_static_records.prom"
    write_metrics(path, [result(changes={"add": 3, "adopt": 2})])
    text = path.read_text()
    assert 'dns_static_records_last_sync_timestamp{zone="internal"} 1738678800\n' in text
    assert 'dns_static_records_sync_success{zone="internal"} 1\n' in text
    assert 'dns_static_records_managed_count{zone="internal"} 12\n' in text
    assert 'dns_static_records_errors_total{zone="internal"} 0\n' in text
    assert 'dns_static_records_conflicts{zone="internal"} 0\n' in text
    assert 'dns_static_records_changes{zone="internal",action="add"} 3\n' in text
    assert 'dns_static_records_changes{zone="internal",action="delete"} 0\n' in text
    assert 'dns_static_records_sync_duration_seconds{zone="internal"} 0.42\n' in text
    series, comments = parse(path)
    assert len(series) == 6 + len(ACTIONS)
    for action in ACTIONS:
        assert value(series, "changes", "internal", action) == {"add": 3, "adopt": 2}.get(action, 0)
    # HELP and TYPE exactly once per family, HELP first
    assert comments == {name: ["HELP", "TYPE"] for name in FAMILIES}
    assert "# TYPE dns_static_records_errors_total counter" in text
    assert "# TYPE dns_static_records_sync_success gauge" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_zone_label_is_escaped(tmp_path: Path) -> None:
    path = tmp_path / "m.prom"
    odd = 'we"ird\\zone\nx'
    write_metrics(path, [result(odd), result("internal")])
    assert 'zone="we\\"ird\\\\zone\\nx"' in path.read_text()
    series, _ = parse(path)
    assert value(series, "sync_success", odd) == 1
    # and it survives a rewrite by another zone's run
    write_metrics(path, [result("internal", managed=1)])
    series, _ = parse(path)
    assert value(series, "managed_count", odd) == 12


def test_other_zones_series_are_kept_untouched(tmp_path: Path) -> None:
    path = tmp_path / "m.prom"
    write_metrics(path, [result("internal", managed=12, changes={"delete": 4})])
    before = [line for line in path.read_text().splitlines() if 'zone="internal"' in line]
    write_metrics(path, [result("10.in-addr.arpa", managed=3, success=False)])
    after = path.read_text().splitlines()
    assert [line for line in after if 'zone="internal"' in line] == before
    series, comments = parse(path)
    assert value(series, "managed_count", "10.in-addr.arpa") == 3
    assert value(series, "changes", "internal", "delete") == 4
    assert comments == {name: ["HELP", "TYPE"] for name in FAMILIES}
    # replacing one zone of two: the other is unchanged, ours replaced (no duplicates)
    write_metrics(path, [result("10.in-addr.arpa", managed=5)])
    series, _ = parse(path)
    assert value(series, "managed_count", "10.in-addr.arpa") == 5
    assert value(series, "managed_count", "internal") == 12
    assert len(series) == 2 * (6 + len(ACTIONS))


def test_errors_total_counts_failures_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "m.prom"
    write_metrics(path, [result(success=True, timestamp=1000)])
    write_metrics(path, [result(success=False, timestamp=2000)])
    write_metrics(path, [result(success=False, timestamp=3000)])
    series, _ = parse(path)
    assert value(series, "errors_total", "internal") == 2
    assert value(series, "sync_success", "internal") == 0
    # a failure keeps the time of the last successful sync (stale-sync alert)
    assert value(series, "last_sync_timestamp", "internal") == 1000
    write_metrics(path, [result(success=True, timestamp=4000)])
    series, _ = parse(path)
    assert value(series, "errors_total", "internal") == 2
    assert value(series, "sync_success", "internal") == 1
    assert value(series, "last_sync_timestamp", "internal") == 4000


def test_first_run_failing_shows_never_synced(tmp_path: Path) -> None:
    path = tmp_path / "m.prom"
    write_metrics(path, [result(success=False)])
    series, _ = parse(path)
    assert value(series, "errors_total", "internal") == 1
    assert value(series, "last_sync_timestamp", "internal") == 0


def test_no_temp_files_left_and_lock_file_is_not_collected(tmp_path: Path) -> None:
    path = tmp_path / "dns_static_records.prom"
    for number in range(5):
        write_metrics(path, [result(managed=number)])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([path.name, lock_path_for(path).name])
    assert list(tmp_path.glob("*.prom")) == [path]


def test_garbled_file_is_rewritten_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "m.prom"
    write_metrics(path, [result("other", managed=7)])
    good = path.read_text()
    path.write_text(
        "garbage {{{\n"
        + good[: len(good) // 2]  # cut mid-way, as a crashed non-atomic writer would
        + '\ndns_static_records_errors_total{zone="internal"} not-a-number\n'
        + "dns_static_records_managed_count 3\n"  # no zone label
    )
    with caplog.at_level(logging.WARNING, logger="agent.metrics"):
        write_metrics(path, [result("internal")])
    assert "unparsable" in caplog.text
    series, comments = parse(path)
    assert value(series, "sync_success", "internal") == 1
    assert value(series, "errors_total", "internal") == 0
    assert comments == {name: ["HELP", "TYPE"] for name in FAMILIES}


def test_foreign_help_without_samples_is_dropped_histograms_kept(tmp_path: Path) -> None:
    path = tmp_path / "m.prom"
    path.write_text(
        "# HELP node_cut\n"
        "# HELP other_seconds A histogram of someone else.\n"
        "# TYPE other_seconds histogram\n"
        'other_seconds_bucket{le="+Inf"} 1\n'
        "other_seconds_sum 0.5\n"
        "other_seconds_count 1\n"
    )
    write_metrics(path, [result("internal")])
    text = path.read_text()
    assert "node_cut" not in text
    assert "# TYPE other_seconds histogram" in text
    assert 'other_seconds_bucket{le="+Inf"} 1' in text


def test_binary_garbage_does_not_crash(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "m.prom"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with caplog.at_level(logging.WARNING, logger="agent.metrics"):
        write_metrics(path, [result()])
    assert "not UTF-8" in caplog.text
    series, _ = parse(path)
    assert value(series, "sync_success", "internal") == 1


def test_foreign_families_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "m.prom"
    path.write_text("# HELP other_metric x\n# TYPE other_metric gauge\nother_metric 5\n")
    write_metrics(path, [result()])
    text = path.read_text()
    assert "other_metric 5\n" in text
    assert "# TYPE other_metric gauge\n" in text


def test_unwritable_directory_is_a_metrics_error(tmp_path: Path) -> None:
    with pytest.raises(MetricsError, match="missing"):
        write_metrics(tmp_path / "missing" / "m.prom", [result()])


def test_unknown_action_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown change actions"):
        result(changes={"create": 1})


def _writer(path: str, zone: str, rounds: int) -> None:
    for number in range(rounds):
        write_metrics(Path(path), [result(zone, managed=number, success=number % 2 == 1)])


def test_concurrent_processes_keep_each_others_series(tmp_path: Path) -> None:
    path = tmp_path / "m.prom"
    zones = [f"zone{number}" for number in range(6)]
    rounds = 20
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_writer, args=(str(path), z, rounds)) for z in zones]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    series, _ = parse(path)
    for zone in zones:
        assert value(series, "managed_count", zone) == rounds - 1
        # every failed run of every process was counted: no lost update
        assert value(series, "errors_total", zone) == rounds // 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [path.name, lock_path_for(path).name]
    )


def test_failed_run_keeps_the_last_known_managed_count(tmp_path: Path) -> None:
    path = tmp_path / "m.prom"
    write_metrics(path, [result(success=False, managed=0)])
    series, _ = parse(path)
    assert value(series, "managed_count", "internal") == 0
    write_metrics(path, [result(success=True, managed=12)])
    write_metrics(path, [result(success=False, managed=0)])
    series, _ = parse(path)
    assert value(series, "managed_count", "internal") == 12
    write_metrics(path, [result(success=True, managed=3)])
    series, _ = parse(path)
    assert value(series, "managed_count", "internal") == 3
