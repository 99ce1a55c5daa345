"""Bring one zone to the desired records: read, plan, check, back up, send, verify.

The loop of `sync_zone`:

1. read the zone (AXFR, `agent.zone_reader`) -- or take the snapshot the caller
   already read for its pre-flight checks;
2. plan (pure, `agent.planner`);
3. policy: conflicts with ``--on-conflict fail`` -> `ConflictsPresent`;
   too many deletes -> `UnsafePlan` (``--force`` overrides);
4. back up the zone as read (only when something will be sent);
5. send the messages (`agent.update_builder` + `agent.dns_io`);
6. verify: read and plan again. Knot answers NOERROR to updates it silently
   ignores, so a change we sent that is still planned is an error, never a
   success.

A failed prerequisite or SERVFAIL means nothing of that message was applied
and someone else changed the zone (or spoiled Knot's batch): re-read, re-plan
and retry, a bounded number of times with jittered exponential backoff.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import dns.name
import dns.rdatatype

from agent.backup import write_backup
from agent.dns_io import send_update
from agent.errors import (
    AgentError,
    ConflictsPresent,
    PrerequisiteFailed,
    ServerFailure,
    TransferError,
    UnsafePlan,
)
from agent.external_dns import DEFAULT_LAYOUTS, Layout
from agent.keyfile import TsigKey
from agent.plan import Action, Change, ZonePlan
from agent.planner import DesiredRRsets, desired_rrsets, plan_zone
from agent.render_plan import (
    change_lines,
    conflict_line,
    counts_text,
    relative,
    summary,
    zone_text,
)
from agent.rrset_limits import check_changeable
from agent.update_builder import DEFAULT_MAX_SIZE, Batch, build_batches
from agent.zone_reader import ZoneSnapshot, read_zone
from checker.model import Owner, Record

log = logging.getLogger(__name__)


class VerificationError(AgentError):
    """The server said NOERROR but the zone does not hold what we sent."""


class ConflictPolicy(StrEnum):
    SKIP = "skip"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Connection:
    """Where and how to reach the server."""

    server: str
    port: int
    key: TsigKey
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class SyncOptions:
    on_conflict: ConflictPolicy = ConflictPolicy.SKIP
    adopt: bool = True
    dry_run: bool = False
    max_delete_fraction: float = 0.5
    force: bool = False
    backup_dir: Path | None = None
    backup_keep: int = 10
    max_attempts: int = 5
    backoff_base: float = 0.05
    backoff_max: float = 2.0
    max_message_size: int = DEFAULT_MAX_SIZE
    # how long verification waits for changes to show up in the zone as read
    # back (a secondary that forwarded our UPDATE shows them after its IXFR)
    propagation_wait: float = 5.0
    # desired RRsets (absolute name, type) whose hand-made data may be replaced
    take_over: frozenset[tuple[dns.name.Name, dns.rdatatype.RdataType]] = frozenset()

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_delete_fraction <= 1.0:
            raise ValueError("max_delete_fraction must lie in 0..1")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")


@dataclass(frozen=True, slots=True)
class DesiredZone:
    """What one zone should hold, as the checked document says."""

    zone: dns.name.Name
    records: tuple[Record, ...]
    owner: Owner
    default_ttl: int
    layouts: tuple[Layout, ...] = DEFAULT_LAYOUTS  # ExternalDNS registry layouts
    #: the records grouped into RRsets, made once for every plan of the run
    rrsets: DesiredRRsets = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rrsets", desired_rrsets(self.records))


#: Called after every read with the snapshot and the attempt number (1-based).
AfterRead = Callable[[ZoneSnapshot, int], None]


@dataclass(frozen=True)
class ZoneResult:
    """The outcome of one zone's run, for output and metrics."""

    zone: dns.name.Name
    plan: ZonePlan  # the first plan: what was pending when the run started
    final_plan: ZonePlan  # the plan of the last read (verification), or `plan`
    applied: dict[Action, int] = field(default_factory=dict)
    messages_sent: int = 0
    attempts: int = 1
    duration: float = 0.0
    dry_run: bool = False
    backup: Path | None = None
    serial_before: int = 0
    serial_after: int = 0

    @property
    def pending(self) -> bool:
        """Changes remain (a dry run, or nothing was sent)."""
        return not self.final_plan.in_sync

    @property
    def managed_count(self) -> int:
        """RRsets we own after the run (a dry run changes nothing)."""
        return self.final_plan.owned_before


def check_snapshot(snapshot: ZoneSnapshot) -> None:
    """Refuse to plan against a zone that looks empty: a server that lost its
    zone must not make every name look free."""
    # (the SOA is always there, so apex NS also means at least two RRsets)
    if dns.rdatatype.NS not in snapshot.types_at(snapshot.origin):
        raise TransferError(
            f"zone {zone_text(snapshot.origin)} as read has no NS records at its apex "
            "(it looks empty); refusing to plan against it -- check the server's zone"
        )


def check_policy(plan: ZonePlan, options: SyncOptions) -> None:
    """Raise if the plan may not be applied: conflicts under ``fail``, or more
    deletes than ``--max-delete-fraction`` allows without ``--force``."""
    zone = zone_text(plan.zone)
    if plan.conflicts and options.on_conflict is ConflictPolicy.FAIL:
        first = plan.conflicts[0]
        raise ConflictsPresent(
            f"zone {zone}: {len(plan.conflicts)} conflict(s) and --on-conflict fail, nothing "
            f"applied; first: {relative(first.name, plan.zone)} "
            f"{dns.rdatatype.to_text(first.rdtype)}: {first.kind}"
        )
    deletes = plan.deletes
    if options.force or deletes <= 1:
        return
    owned = max(plan.owned_before, 1)
    if deletes / owned > options.max_delete_fraction:
        raise UnsafePlan(
            f"zone {zone}: the plan deletes {deletes} of {plan.owned_before} owned RRsets, "
            f"more than --max-delete-fraction {options.max_delete_fraction:g} allows; "
            "check the desired document, then re-run with --force if this is intended"
        )


def prepare_batches(
    plan: ZonePlan,
    conn: Connection,
    options: SyncOptions,
    layouts: tuple[Layout, ...] = DEFAULT_LAYOUTS,
) -> list[Batch]:
    """The UPDATE messages that would carry out `plan` (none for a dry run or
    a zone in sync). Raises `MessageTooBigError` -- before anything is sent --
    when the changes at one name do not fit in one message, or an RRset the
    plan writes could never be replaced or removed (`check_changeable`, with
    the claim prerequisites of the ExternalDNS `layouts`)."""
    if options.dry_run or plan.in_sync:
        return []
    check_changeable(plan, conn.key, options.max_message_size, layouts)
    return build_batches(plan, conn.key, options.max_message_size)


def _read_checked(zone: dns.name.Name, conn: Connection) -> ZoneSnapshot:
    """Read the zone and refuse it if it looks empty (see `check_snapshot`)."""
    snapshot = read_zone(conn.server, conn.port, zone, conn.key, conn.timeout)
    check_snapshot(snapshot)
    return snapshot


def read_and_plan(
    target: DesiredZone, conn: Connection, options: SyncOptions
) -> tuple[ZoneSnapshot, ZonePlan]:
    """One read and the plan from it (no policy checks)."""
    snapshot = _read_checked(target.zone, conn)
    return snapshot, make_plan(target, snapshot, options)


def make_plan(target: DesiredZone, snapshot: ZoneSnapshot, options: SyncOptions) -> ZonePlan:
    """The plan for `target` from `snapshot`."""
    return plan_zone(
        target.zone,
        target.records,
        snapshot,
        target.owner,
        target.default_ttl,
        adopt=options.adopt,
        layouts=target.layouts,
        take_over=options.take_over,
        desired=target.rrsets,
    )


def _key(change: Change) -> tuple[dns.name.Name, int]:
    return (change.name, int(change.rdtype))


def _backoff(attempt: int, options: SyncOptions) -> float:
    ceiling = min(options.backoff_max, options.backoff_base * (2 ** (attempt - 1)))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311  (jitter, not crypto)


def _log_plan(plan: ZonePlan, logged: set[str]) -> None:
    """Log the plan's conflicts and warnings (WARNING) that no earlier plan of
    the run logged: a conflict that appears only in a retry's or the
    verification's plan is said too, and none twice. `logged` is updated."""
    zname = zone_text(plan.zone)
    lines = [conflict_line(conflict, plan.zone) for conflict in plan.conflicts]
    for line in [*lines, *plan.warnings]:
        if line not in logged:
            logged.add(line)
            log.warning("%s: %s", zname, line)


@dataclass
class SentLog:
    """What a run sent and the server acknowledged (mutable, owned by the
    caller, so it tells the truth after any failure or interruption)."""

    applied: dict[Action, int] = field(default_factory=lambda: dict.fromkeys(Action, 0))
    messages: int = 0
    in_flight: bool = False  # a message is sent and its answer not read yet

    def text(self) -> str:
        """E.g. ``3 add, 0 delete, 1 update, 0 adopt in 2 message(s)``."""
        done = ", ".join(f"{self.applied.get(a, 0)} {a}" for a in Action)
        text = f"{done} in {self.messages} message(s)"
        if self.in_flight:
            text += " (and one more message, whose answer never came, may have been applied)"
        return text


class PartialApplyError(AgentError):
    """A run failed after the server had acknowledged some of its UPDATEs:
    the zone is partly changed. Carries what was sent (`sent`)."""

    def __init__(self, zone: dns.name.Name, cause: AgentError, sent: SentLog) -> None:
        # the reader speaks of its own read; what was sent before it is said here
        reason = str(cause).replace("; nothing was changed", "").rstrip(". ")
        super().__init__(
            f"{reason}. Before this, the server had acknowledged {sent.text()} for zone "
            f"{zone_text(zone)}: the zone is partly changed; run again to finish (plan shows "
            "what is left)"
        )
        self.sent = sent


@dataclass
class _Progress:
    """What one `sync_zone` run has done so far (mutable, local to the run)."""

    zone: dns.name.Name
    dry_run: bool
    sent: SentLog = field(default_factory=SentLog)
    started: float = field(default_factory=time.monotonic)
    attempts: int = 0
    backup: Path | None = None
    backup_serial: int | None = None
    first_plan: ZonePlan | None = None
    serial_before: int = 0
    ignored: set[tuple[dns.name.Name, int]] = field(default_factory=set)  # retried once
    logged: set[str] = field(default_factory=set)  # conflict and warning lines logged

    @property
    def applied(self) -> dict[Action, int]:
        return self.sent.applied

    @property
    def messages_sent(self) -> int:
        return self.sent.messages

    def result(self, final: ZonePlan, serial_after: int) -> ZoneResult:
        result = ZoneResult(
            zone=self.zone,
            plan=self.first_plan or final,
            final_plan=final,
            applied=self.applied,
            messages_sent=self.messages_sent,
            attempts=self.attempts,
            duration=time.monotonic() - self.started,
            dry_run=self.dry_run,
            backup=self.backup,
            serial_before=self.serial_before,
            serial_after=serial_after,
        )
        _log_summary(result)
        return result


def sync_zone(
    target: DesiredZone,
    conn: Connection,
    options: SyncOptions,
    *,
    snapshot: ZoneSnapshot | None = None,
    plan: ZonePlan | None = None,
    batches: list[Batch] | None = None,
    after_read: AfterRead | None = None,
    sleep: Callable[[float], None] = time.sleep,
    sent: SentLog | None = None,
) -> ZoneResult:
    """Converge one zone (or, with ``dry_run``, only plan it).

    `snapshot` is a fresh read to start from (the caller's pre-flight read)
    and `plan` the plan already made from it, if any: every read is planned
    once; `batches` are `prepare_batches` of that plan. `after_read` is
    called after every read (tests inject concurrent writes); `sent` is
    updated after every acknowledged message.
    Raises `AgentError` subclasses; `PrerequisiteFailed`/`ServerFailure` only
    once the retries are used up; `MessageTooBigError` before anything is
    sent; `PartialApplyError` for any failure after the server acknowledged a
    message.
    """
    run = _Progress(target.zone, options.dry_run, sent if sent is not None else SentLog())
    try:
        return _converge(run, target, conn, options, (snapshot, plan, batches), after_read, sleep)
    except AgentError as exc:
        if isinstance(exc, PartialApplyError):
            raise
        if run.messages_sent == 0 and not run.sent.in_flight:
            if exc.not_applied and "nothing was changed" not in str(exc):
                # the server answered every message sent with an error
                exc.args = (f"{exc}; nothing was changed",)
            raise
        raise PartialApplyError(target.zone, exc, run.sent) from exc


def _converge(
    run: _Progress,
    target: DesiredZone,
    conn: Connection,
    options: SyncOptions,
    start: tuple[ZoneSnapshot | None, ZonePlan | None, list[Batch] | None],
    after_read: AfterRead | None,
    sleep: Callable[[float], None],
) -> ZoneResult:
    """`sync_zone`'s loop; `start` is its snapshot, the plan made from it and
    that plan's messages, as far as the caller has them."""
    zname = zone_text(target.zone)
    snapshot, plan, batches = start
    if snapshot is None:
        plan = None
    if plan is None:
        batches = None
    while True:
        run.attempts += 1
        if snapshot is None:
            snapshot = _read_checked(target.zone, conn)
        if after_read is not None:
            after_read(snapshot, run.attempts)
        if plan is None:
            plan = make_plan(target, snapshot, options)
        if run.first_plan is None:
            run.first_plan, run.serial_before = plan, snapshot.serial
        _log_plan(plan, run.logged)
        check_policy(plan, options)
        if plan.in_sync or options.dry_run:
            return run.result(plan, snapshot.serial)
        if batches is None:
            batches = prepare_batches(plan, conn, options, target.layouts)
        # Back up before the first send, and again before a retry that takes
        # over data read anew: whatever is replaced must be in a backup.
        takes_over = any(c.action is Action.TAKE_OVER for c in plan.changes)
        if options.backup_dir is not None and (
            run.backup is None or (takes_over and run.backup_serial != snapshot.serial)
        ):
            run.backup = write_backup(options.backup_dir, snapshot, keep=options.backup_keep)
            run.backup_serial = snapshot.serial
            log.info("%s: backup of serial %d written to %s", zname, snapshot.serial, run.backup)
        # Messages go back to back, each as soon as the last is answered:
        # Knot 3.2 holds an UPDATE arriving in the wall-clock second after the
        # last one was applied until the NOTIFY event it scheduled 1 s after
        # it, unless the UPDATE comes at once. So each message's change lines
        # are made before the first is sent, and logged (one write) as soon
        # as its answer comes: a run killed between messages has logged
        # everything the server acknowledged.
        texts = [_sent_text(batch.changes, plan.zone) for batch in batches]
        sent: list[Change] = []
        try:
            for batch, text in zip(batches, texts, strict=True):
                run.sent.in_flight = True
                send_update(conn.server, conn.port, batch, conn.timeout)
                run.sent.in_flight = False
                run.sent.messages += 1
                if text:
                    log.info(text)
                for change in batch.changes:
                    sent.append(change)
                    run.sent.applied[change.action] += 1
        except AgentError as exc:
            if exc.not_applied:  # answered: nothing of that message was applied
                run.sent.in_flight = False
            if not isinstance(exc, PrerequisiteFailed | ServerFailure):
                raise
            if run.attempts >= options.max_attempts:
                raise type(exc)(
                    f"{exc} (gave up after {run.attempts} attempts; another writer keeps "
                    "changing the zone, or the server keeps failing)"
                ) from None
            delay = _backoff(run.attempts, options)
            log.warning("%s: %s; re-reading and retrying in %.2fs", zname, exc, delay)
            snapshot, plan, batches = None, None, None
            sleep(delay)
            continue
        # Verify: re-read; nothing we sent may still be planned.
        snapshot, after, ignored = _read_back(target, conn, options, sent, sleep)
        if ignored:
            lines = "; ".join(line for c in ignored for line in change_lines(c, plan.zone)[:1])
            keys = {_key(c) for c in ignored}
            for change in sent:  # acknowledged, but not applied: not counted
                if _key(change) in keys:
                    run.sent.applied[change.action] -= 1
            partly = snapshot.serial != plan.serial  # the server applied something
            if partly and run.attempts < options.max_attempts and not keys <= run.ignored:
                # Knot acknowledged all but applied only part; plan again from the
                # zone as it is now: the next message has another shape (e.g. the
                # CNAME alone at a name its old data has left)
                run.ignored |= keys
                plan, batches = after, None
                log.warning(
                    "%s: the server answered NOERROR but did not apply %d change(s) (%s); "
                    "planning again from the zone as it is now",
                    zname,
                    len(ignored),
                    lines,
                )
                continue
            raise VerificationError(
                f"zone {zname}: the server answered NOERROR but did not apply "
                f"{len(ignored)} change(s): {lines} -- Knot silently ignores some updates "
                "(e.g. data beside a CNAME), and a secondary that forwarded them shows them "
                f"only once its primary sends them (waited {options.propagation_wait:g}s); "
                "check the zone and the server's log, and point --server at the primary"
            )
        _log_plan(after, run.logged)
        if after.in_sync:
            return run.result(after, snapshot.serial)
        if run.attempts >= options.max_attempts:
            raise AgentError(
                f"zone {zname}: still {len(after.changes)} change(s) pending after "
                f"{run.attempts} attempts: another writer keeps changing the zone; re-run later"
            )
        # New changes appeared (another writer meanwhile): go round again with
        # the verification read and its plan.
        log.info("%s: the zone changed meanwhile; planning again", zname)
        plan, batches = after, None


def _sent_text(changes: Sequence[Change], zone: dns.name.Name) -> str:
    """The INFO text for the changes of one acknowledged message: one line per
    change, logged as one record (the log handler writes it at once;
    `agent.cli` prefixes each line). Empty for no changes."""
    zname = zone_text(zone)
    return "\n".join(f"{zname}: {line}" for c in changes for line in change_lines(c, zone))


def _read_back(
    target: DesiredZone,
    conn: Connection,
    options: SyncOptions,
    sent: list[Change],
    sleep: Callable[[float], None],
) -> tuple[ZoneSnapshot, ZonePlan, list[Change]]:
    """Read the zone back until none of `sent` is still planned, for at most
    ``options.propagation_wait`` seconds. Returns the last read, its plan and
    the sent changes still planned (empty on success).

    A primary shows an applied UPDATE at once. Knot as a secondary forwards
    UPDATEs to its primary and answers with the primary's answer, but holds
    the change only after the primary's NOTIFY and the IXFR that follows.
    """
    sent_keys = {_key(c) for c in sent}
    deadline = time.monotonic() + options.propagation_wait
    delay = 0.1
    while True:
        snapshot = _read_checked(target.zone, conn)
        after = make_plan(target, snapshot, options)
        ignored = [c for c in after.changes if _key(c) in sent_keys]
        left = deadline - time.monotonic()
        if not ignored or left <= 0:
            return snapshot, after, ignored
        log.info(
            "%s: %d sent change(s) not in the zone yet (serial %d); reading again",
            zone_text(target.zone),
            len(ignored),
            snapshot.serial,
        )
        sleep(min(delay, left))
        delay = min(delay * 2, 1.0)


def _log_summary(result: ZoneResult) -> None:
    zname = zone_text(result.zone)
    if result.dry_run:
        log.info("%s: dry run, nothing sent; %s", zname, summary(result.plan))
        return
    done = counts_text(result.applied)
    log.info(
        "%s: %s; applied %s in %d message(s), %d attempt(s), serial %d -> %d, %.2fs",
        zname,
        "in sync" if result.final_plan.in_sync else "NOT in sync",
        done,
        result.messages_sent,
        result.attempts,
        result.serial_before,
        result.serial_after,
        result.duration,
    )
