"""Metrics of several owners in one zone: the ``owner`` label (issue 12)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from agent.metrics import ZoneMetrics, write_metrics
from tests.agent_support.test_metrics import parse, result

SUCCESS = "dns_static_records_sync_success"
ERRORS = "dns_static_records_errors_total"
LAST_SYNC = "dns_static_records_last_sync_timestamp"


def owned(owner: str | None, zone: str = "internal", success: bool = True) -> ZoneMetrics:
    return dataclasses.replace(result(zone, success=success), owner=owner)


def labels(zone: str, owner: str | None) -> tuple[tuple[str, str], ...]:
    pairs = [("zone", zone)] + ([("owner", owner)] if owner else [])
    return tuple(sorted(pairs))


def test_unlabelled_series_keep_their_old_shape(tmp_path: Path) -> None:
    path = tmp_path / "m.prom"
    write_metrics(path, [result()])
    text = path.read_text()
    assert 'dns_static_records_sync_success{zone="internal"} 1\n' in text
    assert "owner=" not in text


def test_owners_of_one_zone_have_their_own_series(tmp_path: Path) -> None:
    path = tmp_path / "m.prom"
    write_metrics(path, [result()])  # the publisher's own unit
    write_metrics(path, [owned("alpha"), owned("beta", success=False)])
    text = path.read_text()
    assert 'dns_static_records_sync_success{zone="internal",owner="alpha"} 1\n' in text
    assert 'dns_static_records_changes{zone="internal",owner="beta",action="add"} 0\n' in text
    series, _ = parse(path)
    assert series[(SUCCESS, labels("internal", None))] == 1
    assert series[(SUCCESS, labels("internal", "alpha"))] == 1
    assert series[(SUCCESS, labels("internal", "beta"))] == 0
    # counters and last-success carry per owner, never across owners
    write_metrics(path, [owned("beta", success=False)])
    series, _ = parse(path)
    assert series[(ERRORS, labels("internal", "beta"))] == 2
    assert series[(ERRORS, labels("internal", "alpha"))] == 0
    assert series[(ERRORS, labels("internal", None))] == 0
    assert series[(LAST_SYNC, labels("internal", "beta"))] == 0
    # a rewrite of the unlabelled series leaves the owners' series alone
    before = [ln for ln in path.read_text().splitlines() if 'owner="' in ln]
    write_metrics(path, [result(success=False)])
    assert [ln for ln in path.read_text().splitlines() if 'owner="' in ln] == before


def test_drop_removes_only_the_retired_owners_series(tmp_path: Path) -> None:
    path = tmp_path / "m.prom"
    write_metrics(path, [result(), owned("alpha"), owned("beta"), owned("beta", zone="other")])
    write_metrics(path, [], drop=[("internal", "beta")])
    series, _ = parse(path)
    zones_owners = {tuple(sorted(dict(k[1]).items())) for k in series}
    assert (("owner", "beta"), ("zone", "internal")) not in zones_owners
    assert (("owner", "beta"), ("zone", "other")) in zones_owners
    assert (("owner", "alpha"), ("zone", "internal")) in zones_owners
    assert (("zone", "internal"),) in zones_owners


def test_one_zone_and_owner_twice_in_one_write_is_a_bug(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="same zone and owner twice"):
        write_metrics(tmp_path / "m.prom", [owned("a"), owned("a")])
