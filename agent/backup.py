"""Zone backups written before ``apply`` changes anything (contract §5).

A backup is the zone as read, in zone-file text (``ZoneSnapshot.to_zone_text``),
at ``<directory>/<zone>-<UTC time>[-<n>]-serial<serial>.zone``, e.g.
``internal-20250204T143000Z-serial2025020401.zone``. ``-<n>`` only appears
when another backup of the zone already took that second's name. Files are
written atomically (temp file, fsync, hard link to the final name so an
existing backup is never overwritten) with mode 0600: a zone can be sensitive.
The directory is created with mode 0700 when missing.

After writing, only the newest `keep` backups *of that zone* are kept; other
files in the directory, including other zones' backups, are never touched.

A backup that cannot be written raises `BackupError`; the caller must then
not apply anything.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from agent.errors import AgentError, UsageError
from agent.zone_reader import ZoneSnapshot

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700
_MAX_SAME_SECOND = 1000
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP})


class BackupError(AgentError):
    """The zone backup could not be written; nothing may be applied."""


def zone_file_stem(snapshot_origin_text: str) -> str:
    """The zone part of a backup's name: no trailing dot, file-name safe."""
    text = snapshot_origin_text.rstrip(".").lower() or "root"
    return re.sub(r"[^a-z0-9._-]", "_", text)


def _backup_pattern(stem: str) -> re.Pattern[str]:
    return re.compile(
        rf"^{re.escape(stem)}-(?P<time>\d{{8}}T\d{{6}}Z)(?:-(?P<n>\d+))?"
        r"-serial(?P<serial>\d+)\.zone$"
    )


def list_backups(directory: Path, zone_stem: str) -> list[Path]:
    """The backups of one zone in `directory`, oldest first."""
    pattern = _backup_pattern(zone_stem)
    found: list[tuple[str, int, Path]] = []
    for entry in directory.iterdir():
        match = pattern.match(entry.name)
        if match is not None and entry.is_file():
            found.append((match["time"], int(match["n"] or 0), entry))
    found.sort(key=lambda item: (item[0], item[1]))
    return [path for _, _, path in found]


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _reason(exc: OSError) -> str:
    text = exc.strerror or str(exc)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"{text} (check the directory's owner and mode)"
    if exc.errno == errno.EROFS:
        return f"{text} (the file system is read-only; choose another --backup-dir)"
    if exc.errno == errno.ENOSPC:
        return f"{text} (free some space or lower the number of backups kept)"
    return text


def write_backup(
    directory: Path,
    snapshot: ZoneSnapshot,
    keep: int = 10,
    now: datetime | None = None,
) -> Path:
    """Write `snapshot` as a zone file into `directory` and prune old backups of
    the same zone down to the newest `keep`. Returns the new file's path.

    Raises `BackupError` (one line naming the path and the cause) if the
    backup cannot be written.
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    zone_text = snapshot.origin.to_text(omit_final_dot=True) or "."
    stem = zone_file_stem(snapshot.origin.to_text())
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # a naive time is taken as UTC
    moment = moment.astimezone(UTC)
    stamp = moment.strftime("%Y%m%dT%H%M%SZ")
    text = snapshot.to_zone_text()

    try:
        directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(
            f"cannot create backup directory {directory} for zone {zone_text}: "
            f"{_reason(exc)}; nothing was applied"
        ) from None

    temp: Path | None = None
    try:
        fd, temp_name = tempfile.mkstemp(
            dir=directory, prefix=f".{stem}.{os.getpid()}.", suffix=".tmp"
        )
        temp = Path(temp_name)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        target = _link_unique(temp, directory, stem, stamp, snapshot.serial)
        _fsync_dir(directory)
    except OSError as exc:
        where = exc.filename or directory
        raise BackupError(
            f"cannot write the backup of zone {zone_text} to {where}: {_reason(exc)}; "
            "nothing was applied"
        ) from None
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                temp.unlink()
    log.debug("backup of zone %s (serial %d) written to %s", zone_text, snapshot.serial, target)
    _prune(directory, stem, keep)
    return target


#: ``.<stem>.<pid>.<random>.tmp``: a backup being written by process <pid>.
_TEMP = re.compile(r"^\..+\.(?P<pid>\d+)\.[^.]+\.tmp$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def check_backup_dir(directory: Path) -> None:
    """Raise `BackupError` unless backups can be written to `directory`
    (created if missing); remove temp files left by killed runs. Called before
    a run sends anything. Raises `UsageError` if `directory` exists and is
    not a directory."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(
            f"backup directory {directory} exists and is not a directory; give a directory "
            "for --backup-dir; nothing was sent"
        )
    try:
        directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        for entry in directory.iterdir():
            match = _TEMP.match(entry.name)
            if match is not None and not _alive(int(match["pid"])):
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
                    log.info("removed stale temp file %s", entry)
        fd, name = tempfile.mkstemp(dir=directory, prefix=".check.", suffix=".probe")
        os.close(fd)
        Path(name).unlink()
    except OSError as exc:
        raise BackupError(
            f"cannot write backups to {directory}: {_reason(exc)}; nothing was sent"
        ) from None


def _link_unique(temp: Path, directory: Path, stem: str, stamp: str, serial: int) -> Path:
    """Give `temp` its final name without ever replacing an existing file."""
    for number in range(_MAX_SAME_SECOND):
        suffix = f"-{number}" if number else ""
        target = directory / f"{stem}-{stamp}{suffix}-serial{serial}.zone"
        try:
            os.link(temp, target)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
            # a file system without hard links: check, then rename (racy, but rare)
            if target.exists():
                continue
            temp.replace(target)
        return target
    raise FileExistsError(errno.EEXIST, "too many backups in the same second", str(directory))


def _prune(directory: Path, stem: str, keep: int) -> None:
    try:
        backups = list_backups(directory, stem)
    except OSError as exc:
        log.warning("cannot list backups in %s to prune them: %s", directory, _reason(exc))
        return
    for old in backups[:-keep]:
        try:
            old.unlink()
        except FileNotFoundError:
            continue  # another run pruned it first
        except OSError as exc:
            log.warning("cannot remove old backup %s: %s", old, _reason(exc))
        else:
            log.debug("removed old backup %s", old)
