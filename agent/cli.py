"""dns-static-agent: plan, apply, classify and publish (contract §5).

The only module that prints. Plans and results go to stdout, diagnostics and
logs to stderr. `main` is the single exit point: every `AgentError` becomes
one line ``error: …`` and its exit code; anything unexpected becomes one line
and exit 1 (a traceback only with ``--debug`` or ``DNS_STATIC_DEBUG=1``).

Exit codes: 0 in sync / applied; 1 error; 2 usage; 3 conflicts with
``--on-conflict fail`` (nothing applied); 4 ``plan``/``--dry-run``: changes
pending.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, MappingProxyType
from typing import TYPE_CHECKING, Any, Final, NoReturn

import dns.name

from agent.applier import (
    AfterRead,
    ConflictPolicy,
    Connection,
    DesiredZone,
    SentLog,
    SyncOptions,
    ZoneResult,
    check_policy,
    prepare_batches,
    read_and_plan,
    sync_zone,
)
from agent.deadline import run_deadline
from agent.errors import AgentError, InputError, UsageError
from agent.external_dns import Layout, layouts_of
from agent.keyfile import TsigKey, load_key_file
from agent.plan import Action, ConflictKind, ZonePlan
from agent.planner import desired_rrsets
from agent.render_plan import counts_text, plan_json, plan_lines, zone_text
from agent.take_over import RRsetKey, parse_take_over, require_backup
from agent.zone_reader import ZoneSnapshot, read_zone
from checker.check import check_documents
from checker.collector import collector_paused
from checker.document import InputError as DocumentInputError
from checker.document import layout_text_fault, load_document
from checker.problems import Severity

if TYPE_CHECKING:
    from agent.metrics import ZoneMetrics

# Modules only some commands need (classify, publish, --metrics-file, backups,
# the zone probe) are imported by those commands: a `plan` does not pay their
# start-up.

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CONFLICTS = 3
EXIT_PENDING = 4
EXIT_TERMINATED = 143

#: Seconds one run may take as a whole (``--deadline``), however slowly the
#: server answers; ``--timeout`` bounds each network operation.
DEFAULT_DEADLINE = 600.0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"{text} is not a port number (1..65535)")
    return value


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("the timeout must be positive")
    return value


def _owner_prefix(text: str) -> str:
    """Owner prefixes are lower-case DNS labels; DNS names compare case-insensitively."""
    value = text.strip().lower()
    if not value or not value.isascii() or "." in value:
        raise argparse.ArgumentTypeError(f"{text!r} is not a single ASCII DNS label")
    return value


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--server", required=True, help="DNS server address (Knot)")
    common.add_argument("--port", type=_port, default=53, help="DNS server port (default 53)")
    common.add_argument("--key-file", required=True, type=Path, help="TSIG key file")
    common.add_argument(
        "--timeout", type=_timeout, default=10.0, help="seconds per network operation"
    )
    common.add_argument(
        "--deadline",
        type=_timeout,
        default=DEFAULT_DEADLINE,
        help=f"seconds for the whole run (default {DEFAULT_DEADLINE:g})",
    )
    common.add_argument("--debug", action="store_true", help="debug logs and tracebacks")

    parser = _Parser(
        prog="dns-static-agent",
        description="Keep static DNS records in a Knot zone shared with DHCP and ExternalDNS.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    plan = sub.add_parser("plan", parents=[common], help="show what apply would change")
    apply = sub.add_parser("apply", parents=[common], help="bring the zones in sync")
    for p in (plan, apply):
        p.add_argument("--desired", required=True, type=Path, help="desired-state document")
        p.add_argument(
            "--zone", action="append", default=[], help="limit to this zone (repeatable)"
        )
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.add_argument(
            "--take-over",
            action="append",
            default=[],
            metavar="NAME/TYPE",
            help="replace this hand-made RRset's data with the declared data and mark it "
            "ours (absolute name, e.g. internal/NS; repeatable; never DHCP, ExternalDNS "
            "or another owner's)",
        )
    apply.add_argument("--dry-run", action="store_true", help="plan only; send no UPDATE")
    apply.add_argument(
        "--on-conflict",
        choices=[p.value for p in ConflictPolicy],
        default=ConflictPolicy.SKIP.value,
        help="skip conflicting records (default) or fail the run with exit 3",
    )
    apply.add_argument(
        "--no-adopt", action="store_true", help="treat matching unmarked records as conflicts"
    )
    apply.add_argument(
        "--max-delete-fraction",
        type=_fraction,
        default=0.5,
        help="refuse to delete more than this fraction of owned RRsets (default 0.5)",
    )
    apply.add_argument("--force", action="store_true", help="apply even an unsafe plan")
    apply.add_argument("--metrics-file", type=Path, help="node-exporter textfile to update")
    apply.add_argument("--backup-dir", type=Path, help="write the zone here before changing it")
    apply.add_argument(
        "--metrics-owner",
        action="store_true",
        help='label the metrics series owner="<managed-by>" (several owners in one zone)',
    )
    add_publish_parser(sub, common)

    classify = sub.add_parser("classify", parents=[common], help="sort a zone's records")
    classify.add_argument("--zone", required=True, help="the zone to classify")
    classify.add_argument(
        "--owner-prefix", type=_owner_prefix, default="nix", help="marker prefix (default nix)"
    )
    classify.add_argument("--managed-by", default=None, help="our managed-by id (optional)")
    classify.add_argument("--format", choices=("text", "json", "nix"), default="text")
    classify.add_argument(
        "--txt-prefix", default="", help="ExternalDNS's --txt-prefix (default: none)"
    )
    classify.add_argument(
        "--txt-suffix", default="", help="ExternalDNS's --txt-suffix (default: none)"
    )
    classify.add_argument(
        "--txt-wildcard-replacement",
        default="",
        help="ExternalDNS's --txt-wildcard-replacement (default: none)",
    )
    classify.add_argument(
        "--kea-config",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="Kea DHCPv4/DHCPv6 configuration: its reserved host names are filed under DHCP "
        "(repeatable)",
    )
    return parser


# -- set-up -------------------------------------------------------------------------


def _debug_wanted(argv: Sequence[str]) -> bool:
    return "--debug" in argv or os.environ.get("DNS_STATIC_DEBUG", "") not in ("", "0")


class _LinesFormatter(logging.Formatter):
    """Formats a message of several lines as that many log lines, each with
    the prefix a one-line message gets: the applier logs the changes a run
    made as one record (one write to stderr, not one per change)."""

    def line_prefix(self, record: logging.LogRecord) -> str:
        """What goes before every line (nothing here)."""
        del record
        return ""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802  (logging's name)
        prefix = self.line_prefix(record)
        message = record.message
        if "\n" not in message:
            return prefix + super().formatMessage(record)
        lines = []
        for line in message.split("\n"):
            record.message = line
            lines.append(prefix + super().formatMessage(record))
        record.message = message
        return "\n".join(lines)


class _JournalFormatter(_LinesFormatter):
    """``<N>message``: journald reads the syslog priority from the prefix, so
    `journalctl -p warning` shows conflicts and failures."""

    _PRIORITY: Final = MappingProxyType(
        {
            logging.DEBUG: 7,
            logging.INFO: 6,
            logging.WARNING: 4,
            logging.ERROR: 3,
            logging.CRITICAL: 2,
        }
    )

    def line_prefix(self, record: logging.LogRecord) -> str:
        return f"<{self._PRIORITY.get(record.levelno, 6)}>"


def _error(text: str) -> None:
    """The one ``error: …`` line on stderr (priority 3 for journald)."""
    prefix = "<3>" if os.environ.get("JOURNAL_STREAM") else ""
    print(f"{prefix}error: {text}", file=sys.stderr)


def _configure_logging(debug: bool) -> logging.Handler:
    """Log to stderr; journald adds its own timestamps, so none of ours then."""
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(_JournalFormatter("%(message)s"))
    else:
        handler.setFormatter(_LinesFormatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    logging.getLogger("dns").setLevel(logging.WARNING)
    return handler


def _parse_zone(text: str) -> dns.name.Name:
    try:
        return dns.name.from_text(text.strip()).canonicalize()
    except dns.exception.DNSException as exc:
        raise UsageError(f"--zone {text!r} is not a valid zone name: {exc}") from None


@dataclass(frozen=True)
class _Loaded:
    targets: list[DesiredZone]
    key: TsigKey
    take_over: frozenset[RRsetKey]


def _load(args: argparse.Namespace) -> _Loaded:
    """Document (checked), selected zones, key: all before any network I/O."""
    path = str(args.desired)
    try:
        document = load_document(path)
    except DocumentInputError as exc:
        raise InputError(f"desired document {exc}; nothing applied") from None
    report = check_documents([(path, document)])
    if not report.ok:
        first = next(p for p in report.problems if p.severity is Severity.ERROR)
        raise InputError(
            f"the desired document {path} has {report.errors} error(s), nothing applied; "
            f"first: {first.to_text().splitlines()[0]} -- run dns-static-check {path} "
            "to see them all"
        )
    desired = report.desireds[0]
    in_doc = {dns.name.from_text(z.to_text()): z for z in desired.zones}
    selected: list[dns.name.Name] = []
    for text in args.zone:
        zone = _parse_zone(text)
        if zone not in in_doc:
            known = ", ".join(zone_text(z) for z in sorted(in_doc)) or "none"
            raise UsageError(f"--zone {text} is not a zone of {path} (its zones: {known})")
        if zone not in selected:
            selected.append(zone)
    if not selected:
        selected = sorted(in_doc)
    targets = [
        DesiredZone(
            zone=zone,
            records=tuple(desired.records_in(in_doc[zone])),
            owner=desired.owner,
            default_ttl=desired.default_ttl,
            layouts=layouts_of(document),
        )
        for zone in selected
    ]
    take_over = (
        parse_take_over(args.take_over, desired_rrsets(desired.records))
        if args.take_over
        else frozenset()
    )
    return _Loaded(targets, load_key_file(args.key_file), take_over)


def _connection(args: argparse.Namespace, key: TsigKey) -> Connection:
    return Connection(server=args.server, port=args.port, key=key, timeout=args.timeout)


def _print_plan(plan: ZonePlan) -> None:
    sys.stdout.write("\n".join(plan_lines(plan)) + "\n")


# -- commands -------------------------------------------------------------------------


def cmd_plan(args: argparse.Namespace) -> int:
    loaded = _load(args)
    conn = _connection(args, loaded.key)
    options = SyncOptions(dry_run=True, take_over=loaded.take_over)
    plans: list[ZonePlan] = []
    for target in loaded.targets:
        _, plan = read_and_plan(target, conn, options)
        plans.append(plan)
    if args.json:
        out = {"command": "plan", "zones": [plan_json(p) for p in plans]}
        sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    else:
        for plan in plans:
            _print_plan(plan)
    return EXIT_PENDING if any(not p.in_sync for p in plans) else EXIT_OK


def _options(args: argparse.Namespace, take_over: frozenset[RRsetKey]) -> SyncOptions:
    return SyncOptions(
        take_over=take_over,
        on_conflict=ConflictPolicy(args.on_conflict),
        adopt=not args.no_adopt,
        dry_run=args.dry_run,
        max_delete_fraction=args.max_delete_fraction,
        force=args.force,
        backup_dir=args.backup_dir,
    )


def _result_json(result: ZoneResult) -> dict[str, Any]:
    return {
        **plan_json(result.plan),
        "result": {
            "dry_run": result.dry_run,
            "in_sync": result.final_plan.in_sync,
            "applied": {str(a): n for a, n in result.applied.items()},
            "messages_sent": result.messages_sent,
            "attempts": result.attempts,
            "serial_before": result.serial_before,
            "serial_after": result.serial_after,
            "managed_count": result.managed_count,
            "duration_seconds": round(result.duration, 3),
            "backup": str(result.backup) if result.backup else None,
        },
    }


def _write_metrics(
    path: Path | None,
    targets: Sequence[DesiredZone],
    results: dict[dns.name.Name, ZoneResult],
    started: dict[dns.name.Name, float],
    failed: bool,
    sent: Mapping[dns.name.Name, SentLog],
    label_owner: bool = False,
) -> None:
    if path is None:
        return
    from agent.metrics import ZoneMetrics, write_metrics  # noqa: PLC0415  (see the imports)

    now = time.time()
    out: list[ZoneMetrics] = []
    for target in targets:
        result = results.get(target.zone)
        if result is not None:
            counts = result.plan.counts() if result.dry_run else result.applied
            out.append(
                ZoneMetrics(
                    zone=zone_text(target.zone),
                    success=True,
                    managed_count=result.managed_count,
                    conflicts=len(result.final_plan.conflicts),
                    changes={str(a): counts.get(a, 0) for a in Action},
                    duration_seconds=result.duration,
                    timestamp=now,
                    owner=target.owner.managed_by if label_owner else None,
                )
            )
        elif failed:
            out.append(
                ZoneMetrics(
                    zone=zone_text(target.zone),
                    success=False,
                    managed_count=0,
                    conflicts=0,
                    # what the server acknowledged before the failure
                    changes={str(a): sent[target.zone].applied.get(a, 0) for a in Action}
                    if target.zone in sent
                    else dict.fromkeys((str(a) for a in Action), 0),
                    duration_seconds=time.monotonic() - started.get(target.zone, time.monotonic()),
                    timestamp=now,
                    owner=target.owner.managed_by if label_owner else None,
                )
            )
    write_metrics(path, out)


def cmd_apply(
    args: argparse.Namespace,
    after_read: AfterRead | None,
    outcome: list[ZoneResult] | None = None,
) -> int:
    """``apply``; the exit code. `outcome`, when given, gains each zone's
    result (``publish`` reads what each run did)."""
    require_backup(args.take_over, args.dry_run, args.backup_dir)
    loaded = _load(args)
    conn = _connection(args, loaded.key)
    options = _options(args, loaded.take_over)
    t0 = time.monotonic()
    started = {t.zone: t0 for t in loaded.targets}
    results: dict[dns.name.Name, ZoneResult] = {}
    errors: list[AgentError] = []
    sent = {t.zone: SentLog() for t in loaded.targets}
    # Before anything is read or sent: the files written after the changes
    # must be writable, or a run would change the zone and then fail.
    if args.metrics_file is not None:
        from agent.metrics import check_metrics_writable  # noqa: PLC0415  (see the imports)

        check_metrics_writable(args.metrics_file)
    if options.backup_dir is not None and not options.dry_run:
        from agent.backup import check_backup_dir  # noqa: PLC0415  (see the imports)

        check_backup_dir(options.backup_dir)
    try:
        # Pre-flight: read and plan every zone, check every policy and build every
        # message (a name too big for one is refused here), before sending anything
        # anywhere.
        first: dict[dns.name.Name, tuple[ZoneSnapshot, ZonePlan]] = {}
        for target in loaded.targets:
            first[target.zone] = read_and_plan(target, conn, options)
        for target in loaded.targets:
            check_policy(first[target.zone][1], options)
        batches = {
            t.zone: prepare_batches(first[t.zone][1], conn, options, t.layouts)
            for t in loaded.targets
        }
        for target in loaded.targets:
            started[target.zone] = time.monotonic()
            try:
                snapshot, plan = first[target.zone]
                results[target.zone] = sync_zone(
                    target,
                    conn,
                    options,
                    snapshot=snapshot,
                    plan=plan,
                    batches=batches[target.zone],
                    after_read=after_read,
                    sent=sent[target.zone],
                )
            except AgentError as exc:
                if len(loaded.targets) == 1:
                    raise
                _error(str(exc))
                errors.append(exc)
    except (AgentError, KeyboardInterrupt) as exc:  # KeyboardInterrupt: SIGINT, or SIGTERM
        _safe_metrics(
            args.metrics_file,
            loaded.targets,
            results,
            started,
            sent,
            label_owner=args.metrics_owner,
        )
        if isinstance(exc, AgentError):
            raise
        for zone, log_ in sent.items():
            if (log_.messages or log_.in_flight) and zone not in results:
                _error(
                    f"zone {zone_text(zone)}: interrupted after the server had acknowledged "
                    f"{log_.text()}: the zone is partly changed; run again to finish"
                )
        raise
    _safe_metrics(
        args.metrics_file,
        loaded.targets,
        results,
        started,
        sent,
        failed=bool(errors),
        label_owner=args.metrics_owner,
    )

    ordered = [results[t.zone] for t in loaded.targets if t.zone in results]
    if outcome is not None:
        outcome.extend(ordered)
    if args.json:
        out = {
            "command": "apply",
            "dry_run": options.dry_run,
            "zones": [_result_json(r) for r in ordered],
            "errors": [str(e) for e in errors],
        }
        sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    else:
        for result in ordered:
            if options.dry_run:
                _print_plan(result.plan)
            else:
                _print_result(result)
    if errors:
        return max(e.exit_code for e in errors)
    if options.dry_run and any(r.pending for r in ordered):
        return EXIT_PENDING
    return EXIT_OK


def _safe_metrics(
    path: Path | None,
    targets: Sequence[DesiredZone],
    results: dict[dns.name.Name, ZoneResult],
    started: dict[dns.name.Name, float],
    sent: Mapping[dns.name.Name, SentLog],
    failed: bool = True,
    label_owner: bool = False,
) -> None:
    """Write metrics; on the error path a metrics failure must not hide the
    original error, so it is only logged."""
    try:
        _write_metrics(path, targets, results, started, failed, sent, label_owner)
    except AgentError as exc:
        if not failed:
            raise
        _error(str(exc))


def _print_result(result: ZoneResult) -> None:
    plan = result.plan
    lines = plan_lines(plan)[:-1]  # changes, conflicts, warnings without the plan summary
    done = counts_text(result.applied)
    if result.messages_sent:
        lines.append(
            f"zone {zone_text(result.zone)}: applied ({done}) in {result.messages_sent} "
            f"message(s); serial {result.serial_before} → {result.serial_after}; "
            f"{len(result.final_plan.conflicts)} conflict(s) skipped; in sync"
        )
    else:
        lines.append(
            f"zone {zone_text(result.zone)}: in sync, nothing sent (serial "
            f"{result.serial_after}); {len(result.final_plan.conflicts)} conflict(s) skipped"
        )
    sys.stdout.write("\n".join(lines) + "\n")


def cmd_classify(args: argparse.Namespace) -> int:
    from agent.classify import (  # noqa: PLC0415  (see the imports)
        classification_hint,
        render_classification,
    )
    from agent.kea_config import kea_reserved, read_reservations  # noqa: PLC0415

    if args.txt_prefix and args.txt_suffix:
        raise UsageError("--txt-prefix and --txt-suffix exclude each other (as in ExternalDNS)")
    for flag, field, value in (
        ("--txt-prefix", "prefix", args.txt_prefix),
        ("--txt-suffix", "suffix", args.txt_suffix),
        ("--txt-wildcard-replacement", "wildcardReplacement", args.txt_wildcard_replacement),
    ):
        fault = layout_text_fault(field, value)
        if fault is not None:
            raise UsageError(f"{flag} {fault}")
    key = load_key_file(args.key_file)
    zone = _parse_zone(args.zone)
    reserved = kea_reserved(read_reservations(args.kea_config))
    conn = _connection(args, key)
    layouts = (Layout.of(args.txt_prefix, args.txt_suffix, args.txt_wildcard_replacement),)
    snapshot = read_zone(conn.server, conn.port, zone, conn.key, conn.timeout)
    text = render_classification(
        snapshot,
        args.owner_prefix,
        args.format,
        managed_by=args.managed_by,
        reserved=reserved,
        layouts=layouts,
    )
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    if args.format != "text":
        hint = classification_hint(snapshot, args.owner_prefix, layouts)
        if hint is not None:
            logging.getLogger(__name__).warning("%s", hint)
    return EXIT_OK


def add_publish_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``publish``: its own options; every other word is an ``apply`` option."""
    publish = sub.add_parser(
        "publish",
        help="apply several owners' documents; remove the records of owners that left",
        usage="dns-static-agent publish [--desired F]... --state-file F "
        "APPLY-OPTIONS (--server, --key-file, ...)",
    )
    publish.add_argument(
        "--desired",
        action="append",
        default=[],
        type=Path,
        help="one owner's document (repeatable; none: only remove the owners that left)",
    )
    publish.add_argument(
        "--state-file", required=True, type=Path, help="records the owners published"
    )
    publish.add_argument("--debug", action="store_true", help="debug logs and tracebacks")
    publish.add_argument(
        "--deadline",
        type=_timeout,
        default=DEFAULT_DEADLINE,
        help=f"seconds for the whole publish run (default {DEFAULT_DEADLINE:g})",
    )
    del common  # the common options reach each apply run as they are


def cmd_publish(args: argparse.Namespace, extra: list[str], after_read: AfterRead | None) -> int:
    apply_args = [*extra, *(["--debug"] if args.debug else [])]
    # usage errors of the apply options now, before any I/O
    options = build_parser().parse_args(["apply", "--desired", "-", *apply_args])
    # a publish run covers every zone of every document, in plain text
    # (--take-over names one owner's RRsets: it belongs to that owner's own apply)
    for given, flag in (
        (options.zone, "--zone"),
        (options.json, "--json"),
        (options.take_over, "--take-over"),
    ):
        if given:
            raise UsageError(f"publish: {flag} is not accepted here")
    if options.metrics_owner:
        raise UsageError("publish: --metrics-owner is implied (each owner's series are labelled)")

    from agent.publish import ApplyOutcome, publish  # noqa: PLC0415  (see the imports)

    def run_apply(argv: list[str]) -> ApplyOutcome:
        results: list[ZoneResult] = []
        code = cmd_apply(build_parser().parse_args(argv), after_read, results)
        return ApplyOutcome(
            code,
            changed=any(r.messages_sent for r in results),
            other_owner=any(
                c.kind is ConflictKind.OTHER_OWNER for r in results for c in r.final_plan.conflicts
            ),
        )

    from agent.zone_probe import zone_served  # noqa: PLC0415  (see the imports)

    def served(zone: str) -> bool | None:
        return zone_served(options.server, options.port, zone, options.timeout)

    return publish(
        args.desired,
        args.state_file,
        apply_args,
        run_apply,
        _error,
        dry_run=options.dry_run,
        metrics_file=options.metrics_file,
        zone_served=served,
    )


# -- entry points ----------------------------------------------------------------------


#: A signal handler as `signal.signal` takes and returns it.
Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


def main(argv: Sequence[str] | None = None, *, after_read: AfterRead | None = None) -> int:
    """Run the agent; returns the exit code. `after_read` is a test hook called
    after every zone read of ``apply``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = _debug_wanted(argv)
    handler = _configure_logging(debug)
    previous = _handle_signals()
    try:
        # a run indexes every record of a zone and makes no reference cycles
        with collector_paused():
            parser = build_parser()
            args, extra = parser.parse_known_args(argv)
            with run_deadline(args.deadline):
                if args.command == "publish":
                    return cmd_publish(args, extra, after_read)
                if extra:
                    parser.error(f"unrecognized arguments: {' '.join(extra)}")
                if args.command == "plan":
                    return cmd_plan(args)
                if args.command == "apply":
                    return cmd_apply(args, after_read)
                return cmd_classify(args)
    except AgentError as exc:
        if debug:
            traceback.print_exc(file=sys.stderr)
        _error(str(exc))
        return exc.exit_code
    except Terminated:
        _error("terminated (SIGTERM)")
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as a shell tool does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except Exception as exc:  # noqa: BLE001  (the one exit point: one line, not a traceback)
        if debug:
            traceback.print_exc(file=sys.stderr)
        hint = "" if debug else " (run with --debug for a traceback)"
        _error(f"unexpected {type(exc).__name__}: {exc}{hint}")
        return EXIT_ERROR
    finally:
        if previous is not None:
            term, interrupt = previous
            if term is not None:
                signal.signal(signal.SIGTERM, term)
            if interrupt is not None:
                signal.signal(signal.SIGINT, interrupt)
        logging.getLogger().removeHandler(handler)


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived (systemd stopping the unit, or its timeout): unwound like
    Ctrl-C, so temp files are removed, metrics record the failure and the run
    says what it had sent; exit 143 (128 + 15), as a shell reports it."""


def _ignore_further_signals() -> None:
    """From the first SIGTERM or SIGINT on, further ones are ignored: the run
    is already unwinding, and a second signal must not cut short the report
    of what was sent and the failure metrics. `main` restores the handlers."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    _ignore_further_signals()
    raise Terminated


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    _ignore_further_signals()
    raise KeyboardInterrupt


def _handle_signals() -> tuple[Handler, Handler] | None:
    """Install the SIGTERM and SIGINT handlers (main thread only); returns
    the previous ones."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _on_sigterm), signal.signal(signal.SIGINT, _on_sigint)


def main_entry() -> None:
    sys.exit(main())
