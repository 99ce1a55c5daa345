"""Zone backups: naming, retention, permissions, errors and the round trip."""

from __future__ import annotations

import os
import re
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import dns.name
import dns.zone
import pytest

from agent.backup import BackupError, list_backups, write_backup
from agent.errors import AgentError
from agent.zone_reader import ZoneSnapshot
from tests.agent_support.snapshots import SOA_LINE, snapshot_from_text

ZONE_TEXT = "\n".join(
    [
        SOA_LINE.format(serial=2025020401),
        "@ 300 IN NS ns0.internal.",
        "@ 300 IN NS ns1.internal.",
        "@ 300 IN MX 10 mail.internal.",
        '@ 300 IN TXT "v=spf1 -all"',
        'quotes 300 IN TXT "say \\"hi\\" and \\\\ back" "second string"',
        'spaces 60 IN TXT "a  b" "" "c"',
        'binary 300 IN TXT "\\000\\255\\"x"',
        "ns0 300 IN A 10.0.0.53",
        "ns0 300 IN AAAA fd00::53",
        "laptop 300 IN A 10.0.0.42",
        "laptop 300 IN DHCID AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=",
        "_sip._tcp 300 IN SRV 0 5 5060 sip.internal.",
        '@ 300 IN CAA 128 issue "letsencrypt.org"',
        "dns 300 IN CNAME ns0.internal.",
        "*.wild 300 IN A 10.0.0.9",
        "odd\\032label 300 IN A 10.0.0.10",
        'nix.ns0 300 IN TXT "heritage=nix,managed-by=routy,type=A"',
    ]
)

NOW = datetime(2025, 2, 4, 14, 30, 0, tzinfo=UTC)


@pytest.fixture
def snapshot() -> ZoneSnapshot:
    return snapshot_from_text(ZONE_TEXT, "internal.")


def test_backup_loads_back_equal_to_the_snapshot(tmp_path: Path, snapshot: ZoneSnapshot) -> None:
    path = write_backup(tmp_path / "backups", snapshot, now=NOW)
    zone = dns.zone.from_text(
        path.read_text(encoding="utf-8"), origin=snapshot.origin, relativize=False
    )
    loaded = {}
    for name, rdataset in zone.iterate_rdatasets():
        loaded[(name, rdataset.rdtype)] = rdataset
    assert set(loaded) == set(snapshot.rrsets)
    for key, rrset in snapshot.rrsets.items():
        assert loaded[key] == rrset, key
        assert loaded[key].ttl == rrset.ttl, key
    assert snapshot_from_text(path.read_text(), "internal.") == snapshot


def test_name_mode_and_directory_mode(tmp_path: Path, snapshot: ZoneSnapshot) -> None:
    directory = tmp_path / "new" / "backups"
    path = write_backup(directory, snapshot, now=NOW)
    assert path.name == "internal-20250204T143000Z-serial2025020401.zone"
    assert path.parent == directory
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert sorted(p.name for p in directory.iterdir()) == [path.name]  # no temp file left


def test_local_and_naive_times_are_named_in_utc(tmp_path: Path, snapshot: ZoneSnapshot) -> None:
    local = NOW.astimezone(timezone(timedelta(hours=2)))
    assert write_backup(tmp_path, snapshot, now=local).name.startswith("internal-20250204T143000Z")
    naive = datetime(2025, 2, 4, 15, 0, 0)
    assert "-20250204T150000Z-" in write_backup(tmp_path, snapshot, now=naive).name


def test_same_second_gives_unique_names(tmp_path: Path, snapshot: ZoneSnapshot) -> None:
    paths = [write_backup(tmp_path, snapshot, now=NOW) for _ in range(3)]
    assert [p.name for p in paths] == [
        "internal-20250204T143000Z-serial2025020401.zone",
        "internal-20250204T143000Z-1-serial2025020401.zone",
        "internal-20250204T143000Z-2-serial2025020401.zone",
    ]
    assert len({p.read_text() for p in paths}) == 1
    assert list_backups(tmp_path, "internal") == paths


def test_keeps_newest_of_that_zone_only(tmp_path: Path, snapshot: ZoneSnapshot) -> None:
    other_zone = snapshot_from_text(
        SOA_LINE.format(serial=7) + "\n@ 300 IN NS ns0.internal.\n", "internal-foo."
    )
    foreign = [
        tmp_path / "notes.txt",
        tmp_path / "internal.zone",
        tmp_path / "internal-manual-serial1.zone",
    ]
    for path in foreign:
        path.write_text("keep me")
    other_paths = [
        write_backup(tmp_path, other_zone, keep=10, now=NOW - timedelta(days=1, minutes=n))
        for n in range(3)
    ]
    written = [
        write_backup(tmp_path, snapshot, keep=3, now=NOW + timedelta(minutes=n)) for n in range(6)
    ]
    kept = list_backups(tmp_path, "internal")
    assert kept == written[-3:]
    assert all(not p.exists() for p in written[:-3])
    assert all(p.exists() for p in foreign + other_paths)
    assert len(list_backups(tmp_path, "internal-foo")) == 3


def test_newest_is_decided_by_time_not_serial(tmp_path: Path) -> None:
    # serials can go down (zone re-created); time decides what is newest
    high = snapshot_from_text(SOA_LINE.format(serial=900) + "\n", "internal.")
    low = snapshot_from_text(SOA_LINE.format(serial=5) + "\n", "internal.")
    write_backup(tmp_path, high, keep=1, now=NOW)
    newest = write_backup(tmp_path, low, keep=1, now=NOW + timedelta(seconds=1))
    assert list_backups(tmp_path, "internal") == [newest]


def test_root_and_reverse_zone_names(tmp_path: Path) -> None:
    reverse = snapshot_from_text(
        SOA_LINE.format(serial=3) + "\n53.0.0 300 IN PTR ns0.internal.\n", "10.in-addr.arpa."
    )
    assert write_backup(tmp_path, reverse, now=NOW).name == (
        "10.in-addr.arpa-20250204T143000Z-serial3.zone"
    )


def test_directory_that_is_a_file_is_a_backup_error(tmp_path: Path, snapshot: ZoneSnapshot) -> None:
    blocker = tmp_path / "backups"
    blocker.write_text("")
    with pytest.raises(BackupError) as caught:
        write_backup(blocker, snapshot, now=NOW)
    assert isinstance(caught.value, AgentError)
    message = str(caught.value)
    assert "\n" not in message
    assert "internal" in message
    assert "nothing was applied" in message
    with pytest.raises(BackupError, match="cannot create backup directory"):
        write_backup(blocker / "sub", snapshot, now=NOW)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory_is_a_backup_error(tmp_path: Path, snapshot: ZoneSnapshot) -> None:
    directory = tmp_path / "ro"
    directory.mkdir(mode=0o500)
    try:
        with pytest.raises(BackupError, match=re.escape(str(directory))):
            write_backup(directory, snapshot, now=NOW)
    finally:
        directory.chmod(0o700)


def test_read_only_directory_via_proc_is_a_backup_error(snapshot: ZoneSnapshot) -> None:
    # /proc refuses new files even for root: the unwritable case as any user
    with pytest.raises(BackupError, match="nothing was applied"):
        write_backup(Path("/proc/self"), snapshot, now=NOW)


def test_keep_must_be_positive(tmp_path: Path, snapshot: ZoneSnapshot) -> None:
    with pytest.raises(ValueError, match="keep"):
        write_backup(tmp_path, snapshot, keep=0)


def test_origin_name_is_used_not_guessed(tmp_path: Path, snapshot: ZoneSnapshot) -> None:
    assert snapshot.origin == dns.name.from_text("internal.")
    assert write_backup(tmp_path, snapshot).name.startswith("internal-")
