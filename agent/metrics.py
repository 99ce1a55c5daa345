"""The metrics file for node-exporter's textfile collector (contract §6).

One file may be shared by several agent processes (one systemd unit per
zone). Each write is a read-modify-write of the whole file under an exclusive
``flock`` on a sibling lock file: the series of the zones of this run are
replaced, every other zone's series are kept as they were, and the new file
replaces the old one atomically (temp file in the same directory, fsync,
rename), so node-exporter never sees half a file.

Series per zone (``zone`` is the zone name without its trailing dot), and per
owner where several owners publish into one zone: a run given an owner id
(``dns-static-agent publish``, ``apply --metrics-owner``) labels its series
``owner="<managed-by>"`` as well, so each owner's series are its own. A series
is keyed by zone and owner; series without ``owner`` are those of the
single-owner units and keep their old shape.

* ``dns_static_records_last_sync_timestamp`` -- Unix time of the last
  **successful** sync. A failed run keeps the previous value, so the
  "stale sync" alert (``time() - dns_static_records_last_sync_timestamp >
  86400``) fires when syncs have failed for a day, not only when the timer
  stopped. A zone that never synced successfully shows ``0`` (the alert
  fires at once rather than the series being absent and silent).
* ``dns_static_records_sync_success`` -- 1 if this run succeeded, else 0.
* ``dns_static_records_managed_count`` -- RRsets the owner holds after the run
  (as the caller reports it). A failed run keeps the previous value when there
  is one: it could not verify the zone, and a drop to 0 would fire a "record
  count drop" alert for what is really a sync failure.
* ``dns_static_records_errors_total`` -- counter of failed runs; survives
  across runs (read back from the file), starts at 0.
* ``dns_static_records_conflicts`` -- conflicts found in this run.
* ``dns_static_records_changes{action=...}`` -- changes of this run per
  action; all five actions (add, delete, update, adopt, take-over) are always
  present.
* ``dns_static_records_sync_duration_seconds`` -- wall time of this run.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import math
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agent.errors import AgentError, UsageError

log = logging.getLogger(__name__)

PREFIX = "dns_static_records_"
ACTIONS: tuple[str, ...] = ("add", "delete", "update", "adopt", "take-over")
FILE_MODE = 0o644
LOCK_TIMEOUT = 30.0
#: The most bytes read from an existing metrics file (a larger one is rewritten).
MAX_READ = 16 * 1024 * 1024

LAST_SYNC = PREFIX + "last_sync_timestamp"
SUCCESS = PREFIX + "sync_success"
MANAGED = PREFIX + "managed_count"
ERRORS = PREFIX + "errors_total"
CONFLICTS = PREFIX + "conflicts"
CHANGES = PREFIX + "changes"
DURATION = PREFIX + "sync_duration_seconds"

#: Our metric families in output order: name -> (type, help text).
FAMILIES: dict[str, tuple[str, str]] = {
    LAST_SYNC: ("gauge", "Unix time of the last successful sync of the zone (0: never)."),
    SUCCESS: ("gauge", "Whether the last sync run of the zone succeeded (1) or failed (0)."),
    MANAGED: ("gauge", "RRsets the owner holds in the zone after the last run."),
    ERRORS: ("counter", "Failed sync runs of the zone since the metrics file was created."),
    CONFLICTS: ("gauge", "Desired RRsets left alone because of a conflict in the last run."),
    CHANGES: ("gauge", "Changes made (or planned, in a dry run) in the last run, per action."),
    DURATION: ("gauge", "Wall-clock duration of the last sync run in seconds."),
}


class MetricsError(AgentError):
    """The metrics file could not be written."""


@dataclass(frozen=True)
class ZoneMetrics:
    """The outcome of one sync run of one zone."""

    zone: str  # zone name without trailing dot, e.g. "internal"
    success: bool
    managed_count: int
    conflicts: int
    changes: Mapping[str, int]  # action ("add", "delete", "update", "adopt") -> count
    duration_seconds: float
    timestamp: float  # unix time of this run
    owner: str | None = None  # managed-by id for the owner label; None: no label

    def __post_init__(self) -> None:
        unknown = set(self.changes) - set(ACTIONS)
        if unknown:
            raise ValueError(f"unknown change actions: {', '.join(sorted(unknown))}")


# -- exposition format -----------------------------------------------------------


def escape_label_value(value: str) -> str:
    """A label value escaped per the Prometheus text exposition format."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _unescape_label_value(value: str) -> str:
    out: list[str] = []
    chars = iter(value)
    for char in chars:
        if char != "\\":
            out.append(char)
            continue
        escaped = next(chars, "")
        out.append({"n": "\n", "\\": "\\", '"': '"'}.get(escaped, "\\" + escaped))
    return "".join(out)


def format_value(value: float) -> str:
    """A sample value: integers without a fraction, floats as short as exact."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _parse_value(text: str) -> float:
    special = {"NaN": math.nan, "+Inf": math.inf, "Inf": math.inf, "-Inf": -math.inf}
    if text in special:
        return special[text]
    return float(text)


_SAMPLE = re.compile(
    r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)"
    r"(?:\{(?P<labels>(?:[^\"}]|\"(?:[^\"\\]|\\.)*\")*)\})?"
    r"\s+(?P<value>\S+)(?:\s+(?P<ts>-?\d+))?\s*$"
)
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')
_COMMENT = re.compile(r"^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s.*)?$")


@dataclass(frozen=True)
class Sample:
    """One parsed sample line of a metrics file."""

    name: str
    labels: tuple[tuple[str, str], ...]
    value: float
    line: str = field(compare=False)

    def label(self, key: str) -> str | None:
        return dict(self.labels).get(key)


def parse_sample(line: str) -> Sample | None:
    """Parse one sample line; None if it is not valid exposition format."""
    match = _SAMPLE.match(line)
    if match is None:
        return None
    labels: list[tuple[str, str]] = []
    label_text = match.group("labels") or ""
    position = 0
    while position < len(label_text):
        label = _LABEL.match(label_text, position)
        if label is None or label.end() == position:
            return None
        labels.append((label.group(1), _unescape_label_value(label.group(2))))
        position = label.end()
    try:
        value = _parse_value(match.group("value"))
    except ValueError:
        return None
    return Sample(match.group("name"), tuple(labels), value, line)


@dataclass
class _Existing:
    """What we keep from the file as it was."""

    ours: list[Sample] = field(default_factory=list)  # samples of our families
    foreign: list[str] = field(default_factory=list)  # lines of other families, verbatim


def _read_existing(path: Path) -> _Existing:
    existing = _Existing()
    try:
        # never block on a FIFO, never read more than a metrics file holds
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise MetricsError(_not_regular(path))
            data = handle.read(MAX_READ + 1)
        if len(data) > MAX_READ:
            log.warning(
                "metrics file %s is over %d bytes; rewriting it from scratch", path, MAX_READ
            )
            return existing
        text = data.decode("utf-8")
    except FileNotFoundError:
        return existing
    except UnicodeDecodeError:
        log.warning("metrics file %s is not UTF-8 text; rewriting it from scratch", path)
        return existing
    except OSError as exc:
        log.warning("cannot read metrics file %s (%s); rewriting it from scratch", path, exc)
        return existing
    bad = 0
    foreign_comments: list[tuple[str, str]] = []  # (family, line)
    foreign_families: set[str] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            comment = _COMMENT.match(line)
            if comment is not None and comment.group(2) not in FAMILIES:
                foreign_comments.append((comment.group(2), line))
                existing.foreign.append(line)
            continue  # our own HELP/TYPE lines are regenerated; other comments dropped
        sample = parse_sample(line)
        if sample is None:
            bad += 1
            continue
        if sample.name in FAMILIES:
            if sample.label("zone") is None:
                bad += 1
                continue
            existing.ours.append(sample)
        else:
            foreign_families.add(sample.name)
            existing.foreign.append(line)
    # HELP/TYPE of a family without samples (e.g. a line cut short) go too; a
    # histogram's or summary's samples carry suffixes (_bucket, _sum, _count)
    orphans = {
        line
        for family, line in foreign_comments
        if not any(name == family or name.startswith(family + "_") for name in foreign_families)
    }
    existing.foreign = [line for line in existing.foreign if line not in orphans]
    if bad:
        log.warning(
            "metrics file %s holds %d unparsable line(s); dropping them and rewriting the file",
            path,
            bad,
        )
    return existing


# -- rendering -----------------------------------------------------------------------


#: A series' identity in the file: (zone, owner id or None).
SeriesKey = tuple[str, str | None]


def _key_of(sample: Sample) -> SeriesKey:
    zone = sample.label("zone")
    assert zone is not None
    return zone, sample.label("owner")


def _labels(key: SeriesKey) -> str:
    zone, owner = key
    text = f'zone="{escape_label_value(zone)}"'
    return text if owner is None else f'{text},owner="{escape_label_value(owner)}"'


def _previous(existing: _Existing, name: str, key: SeriesKey) -> float | None:
    for sample in existing.ours:
        if sample.name == name and _key_of(sample) == key:
            value = sample.value
            if math.isfinite(value) and value >= 0:
                return value
    return None


def _series_for(result: ZoneMetrics, existing: _Existing) -> dict[str, list[str]]:
    """The sample lines of one zone, per family."""
    key = (result.zone, result.owner)
    zone = _labels(key)
    previous_errors = _previous(existing, ERRORS, key) or 0
    errors = previous_errors if result.success else previous_errors + 1
    if result.success:
        last_sync: float = int(result.timestamp)
    else:
        last_sync = _previous(existing, LAST_SYNC, key) or 0
    managed: float = result.managed_count
    if not result.success:
        previous_managed = _previous(existing, MANAGED, key)
        if previous_managed is not None:
            managed = previous_managed
    return {
        LAST_SYNC: [f"{LAST_SYNC}{{{zone}}} {format_value(last_sync)}"],
        SUCCESS: [f"{SUCCESS}{{{zone}}} {1 if result.success else 0}"],
        MANAGED: [f"{MANAGED}{{{zone}}} {int(managed)}"],
        ERRORS: [f"{ERRORS}{{{zone}}} {format_value(errors)}"],
        CONFLICTS: [f"{CONFLICTS}{{{zone}}} {int(result.conflicts)}"],
        CHANGES: [
            f'{CHANGES}{{{zone},action="{action}"}} {int(result.changes.get(action, 0))}'
            for action in ACTIONS
        ],
        DURATION: [f"{DURATION}{{{zone}}} {format_value(round(result.duration_seconds, 6))}"],
    }


def render_metrics(
    existing: _Existing, results: Sequence[ZoneMetrics], drop: Iterable[SeriesKey] = ()
) -> str:
    """The whole new file: our families (this run's series replaced, the
    `drop` keys removed, others kept; sorted by zone, then owner), then any
    foreign lines as they were."""
    replaced = {(result.zone, result.owner) for result in results} | set(drop)
    by_key: dict[SeriesKey, dict[str, list[str]]] = {}
    for sample in existing.ours:
        key = _key_of(sample)
        if key in replaced:
            continue
        by_key.setdefault(key, {}).setdefault(sample.name, []).append(sample.line)
    for result in results:
        by_key[(result.zone, result.owner)] = _series_for(result, existing)
    order = sorted(by_key, key=lambda k: (k[0], k[1] is not None, k[1] or ""))
    out: list[str] = []
    for name, (kind, help_text) in FAMILIES.items():
        out.append(f"# HELP {name} {help_text}")
        out.append(f"# TYPE {name} {kind}")
        for key in order:
            out.extend(by_key[key].get(name, []))
    out.extend(existing.foreign)
    return "\n".join(out) + "\n"


# -- writing -----------------------------------------------------------------------


def lock_path_for(path: Path) -> Path:
    """The sibling lock file; its name does not end in ``.prom``, so the textfile
    collector ignores it."""
    return path.with_name(f".{path.name}.lock")


@contextlib.contextmanager
def _locked(path: Path, timeout: float) -> Iterator[None]:
    lock_path = lock_path_for(path)
    try:
        # read-only is enough for flock, and works when another unit's user created it
        fd = os.open(lock_path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    except OSError as exc:
        raise MetricsError(
            f"cannot open metrics lock file {lock_path}: {exc.strerror or exc}; "
            "check that the metrics directory exists and is writable"
        ) from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise MetricsError(
                        f"metrics file {path} stayed locked for {timeout:g}s by another "
                        f"process ({lock_path}); not updated"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # also releases the lock


def _atomic_write(path: Path, text: str) -> None:
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fchmod(handle.fileno(), FILE_MODE)
            os.fsync(handle.fileno())
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _remove_stale_temps(path: Path) -> None:
    """Remove temp files of ours left by a killed writer (SIGKILL, power loss).
    Called under the lock: a live writer creates its temp file only while
    holding it, so every temp file seen now is stale."""
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.[^/]+\.tmp$")
    for entry in path.parent.iterdir():
        if pattern.match(entry.name):
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
                log.info("removed stale temp file %s", entry)


def _not_regular(path: Path) -> str:
    return (
        f"metrics file {path} exists and is not a regular file (a device, FIFO or socket); "
        "give the path of a regular file, e.g. /var/lib/prometheus-node-exporter/"
        "dns_static_records.prom"
    )


def check_metrics_path(path: Path) -> None:
    """Raise `UsageError` if `path` exists and is neither a regular file nor
    a directory (a device such as /dev/null or /dev/full, a FIFO, a socket):
    the agent would read it and replace it. Follows symbolic links."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError:
        return  # check_metrics_writable says why it cannot be written
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise UsageError(_not_regular(path))


def check_metrics_writable(path: Path) -> None:
    """Raise `MetricsError` unless the metrics file at `path` can be written:
    its directory exists and takes our lock and temp files. Called before a
    run sends anything, so an unwritable path is found before the zone changes.
    Also removes stale temp files of ours. Raises `UsageError` for a path that
    is no regular file (`check_metrics_path`)."""
    try:
        check_metrics_path(path)
    except UsageError as exc:
        raise UsageError(f"{exc}; nothing was sent") from None
    if path.is_dir():
        raise MetricsError(
            f"metrics file {path} is a directory; give a file name in it, e.g. "
            f"{path / 'dns_static_records.prom'}; nothing was sent"
        )
    try:
        with _locked(path, LOCK_TIMEOUT):
            _remove_stale_temps(path)
            fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            os.close(fd)
            Path(name).unlink()
    except MetricsError as exc:
        raise MetricsError(f"{exc}; nothing was sent") from None
    except OSError as exc:
        raise MetricsError(
            f"cannot write metrics file {path}: {exc.strerror or exc}; check that its "
            "directory exists and is writable by the agent; nothing was sent"
        ) from None


def write_metrics(
    path: Path, results: Sequence[ZoneMetrics], drop: Sequence[SeriesKey] = ()
) -> None:
    """Replace the series of `results`' zones (and owners) in the metrics file
    at `path`, remove the series keyed (zone, owner) in `drop` (an owner that
    no longer publishes there), keep every other series; create the file if
    missing.

    Raises `MetricsError` if the file cannot be written. A garbled existing
    file is not an error: its unparsable lines are dropped with a warning.
    """
    keys = [(result.zone, result.owner) for result in results]
    if len(set(keys)) != len(keys):
        raise ValueError("write_metrics got the same zone and owner twice")
    zones = [zone if owner is None else f"{zone} ({owner})" for zone, owner in keys]
    try:
        with _locked(path, LOCK_TIMEOUT):
            _remove_stale_temps(path)
            check_metrics_path(path)  # never replace a device node or a FIFO
            existing = _read_existing(path)
            _atomic_write(path, render_metrics(existing, results, drop))
    except OSError as exc:
        raise MetricsError(
            f"cannot write metrics file {path}: {exc.strerror or exc}; check that its "
            "directory exists and is writable by the agent"
        ) from None
    log.debug("metrics for %s written to %s", ", ".join(zones), path)
