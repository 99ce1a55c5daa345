"""``dns-static-agent publish``: several owners' documents into shared zones.

The publishing host applies the document of every owner (contributing host)
it was given, zone by zone; each run is an ordinary ``apply --zone Z`` under
that document's ``managed-by`` id, so it changes only RRsets marked with that
id, and one zone failing (say, one the server does not serve) leaves that
owner's other zones applied. Every (owner, zone, prefix) recorded in the
state file (`published_owners`) but absent from the documents is *retired*:
applied with an empty record list (``--force``: removing all of that owner's
records there is the intent), which deletes exactly that owner's marked
RRsets; the apex NS is never emptied (only the marker goes) and nothing of
another owner or writer is touched. A changed marker prefix retires the old
prefix's markers the same way; the records come back under the new prefix in
the same run.

Order within a zone, so that one run converges when a host is renamed or a
name moves between owners: first the retirements, then the current owners in
document order; an owner whose run skipped names another owner marks
(``other-owner``, or ``--on-conflict fail``) is applied once more when a later
run changed the zone, i.e. after the owner giving the names up deleted them.
Only that second result counts. Deletions all happen in the first pass, so one
more pass suffices.

Safety order: all documents are loaded and checked *together* (a name two
owners declare stops the run, nothing applied) and the state file is read
before any network I/O; the state first gains the current triples (so an
owner is remembered even if this run dies), and a retired triple leaves it
only after its records were removed -- or when the server answers that it
does not serve that zone at all (`zone_probe`): nothing can be removed there,
so keeping it would fail every run for ever. A dry run changes neither zone
nor state.

The apply runs go through `run_apply` (the CLI's own ``apply``), so every
apply option and guard applies unchanged to each owner; metrics series carry
``owner="<managed-by>"``.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.errors import (
    AgentError,
    ConflictsPresent,
    InputError,
    TransferError,
    UsageError,
)
from agent.metrics import write_metrics
from agent.published_owners import (
    Published,
    read_state,
    retirements,
    write_state,
    zone_key,
)
from checker.check import check_documents
from checker.document import DocumentJSON, load_document
from checker.document import InputError as DocumentInputError
from checker.problems import Severity

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_PENDING = 4


@dataclass(frozen=True)
class ApplyOutcome:
    """What one ``apply`` run did, as far as ``publish`` must know."""

    code: int  # its exit code
    changed: bool = False  # UPDATEs were applied
    other_owner: bool = False  # desired RRsets were skipped: another owner marks them


#: Runs ``dns-static-agent apply`` with these arguments; returns its outcome
#: or raises `AgentError`.
RunApply = Callable[[list[str]], ApplyOutcome]
#: Reports one owner's failure (one ``error: …`` line) and carries on.
ReportError = Callable[[str], None]
#: Whether the server serves this zone (True/False), or no telling (None).
ZoneServed = Callable[[str], bool | None]


@dataclass(frozen=True)
class OwnerDocument:
    """One owner's document as given on the command line."""

    path: Path
    owner: str
    prefix: str
    zones: tuple[str, ...]  # zone_key form
    external_dns: Mapping[str, Any] | None  # the document's "externalDns", if any

    def pairs(self) -> list[Published]:
        return [Published(self.owner, zone, self.prefix) for zone in self.zones]


def _load_together(paths: Sequence[Path]) -> list[OwnerDocument]:
    """Load every document and check them together, before any I/O."""
    loaded: list[tuple[str, DocumentJSON]] = []
    for path in paths:
        try:
            loaded.append((str(path), load_document(str(path))))
        except DocumentInputError as exc:
            raise InputError(f"desired document {exc}; nothing applied") from None
    report = check_documents(loaded)
    if not report.ok:
        first = next(p for p in report.problems if p.severity is Severity.ERROR)
        names = " ".join(str(p) for p in paths)
        raise InputError(
            f"the {len(paths)} documents have {report.errors} error(s) checked together, "
            f"nothing applied; first: {first.to_text().splitlines()[0]} -- run "
            f"dns-static-check {names} to see them all"
        )
    out: list[OwnerDocument] = []
    seen: dict[str, Path] = {}
    for path, (_, doc) in zip(paths, loaded, strict=True):
        owner = doc["owner"]["managedBy"]
        if owner in seen:
            raise UsageError(
                f"{seen[owner]} and {path} are both documents of owner {owner!r}: "
                "give each owner one document"
            )
        seen[owner] = path
        zones = tuple(sorted({zone_key(z) for z in doc["zones"]}))
        external_dns = doc.get("externalDns")
        out.append(
            OwnerDocument(
                path, owner, doc["owner"]["prefix"], zones, dict(external_dns or {}) or None
            )
        )
    return out


def _retire_document(
    pair: Published, external_dns: Mapping[str, Any] | None, directory: Path
) -> Path:
    """A document of `pair.owner` declaring nothing in `pair.zone`; it meets
    ExternalDNS as the current documents do (`external_dns`; None: the
    agent's fail-safe default)."""
    path = directory / f"retire-{pair.owner}-{pair.zone}.json"
    document: dict[str, Any] = {
        "version": 1,
        "owner": {"prefix": pair.prefix, "managedBy": pair.owner},
        "zones": {pair.zone: {"records": []}},
    }
    if external_dns is not None:
        document["externalDns"] = external_dns
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@dataclass
class _Zone:
    """One zone's runs in one publish run."""

    zone: str
    changes: int = 0  # runs so far that applied UPDATEs here


def publish(
    documents: Sequence[Path],
    state_file: Path,
    apply_args: Sequence[str],
    run_apply: RunApply,
    report_error: ReportError,
    *,
    dry_run: bool,
    metrics_file: Path | None,
    zone_served: ZoneServed,
) -> int:
    """Retire the owners that left, then apply each document, zone by zone;
    the exit code.

    `apply_args` are ``apply`` options (server, key, policy, metrics, ...)
    used for every run; `dry_run` and `metrics_file` are what they say
    (the caller parsed them); `zone_served` asks the server after a retired
    owner's zone could not be transferred. Exit: 0 all done; 4 dry run with
    changes pending; otherwise the highest exit code of the failed runs (each
    failure is reported through `report_error`, the other owners and zones
    still run). Raises `AgentError` for problems found before any I/O.
    """
    owners = _load_together(documents)
    previous = read_state(state_file)
    current = [pair for doc in owners for pair in doc.pairs()]
    retire = retirements(previous, current)
    external_dns = next((d.external_dns for d in owners if d.external_dns is not None), None)
    if not dry_run:
        write_state(state_file, [*previous, *current])
    prefix_of = {doc.owner: doc.prefix for doc in owners}

    codes: list[int] = []
    failed: list[Published] = []
    forgotten: list[Published] = []

    def run(argv: list[str], what: str) -> tuple[ApplyOutcome, AgentError | None]:
        log.info("%s", what)
        try:
            return run_apply(["apply", *argv, *apply_args, "--metrics-owner"]), None
        except AgentError as exc:
            # the traceback (and an exception it replaced) would keep the run's
            # frames, and with them its zone snapshot and plan, alive
            exc.__context__ = exc.__cause__ = None
            return ApplyOutcome(exc.exit_code), exc.with_traceback(None)

    def settle(what: str, outcome: ApplyOutcome, error: AgentError | str | None) -> None:
        if error is not None:
            report_error(f"{what}: {error}")
        codes.append(outcome.code)

    def retire_pair(pair: Published, here: _Zone, temp: Path) -> None:
        path = _retire_document(pair, external_dns, temp)
        new_prefix = prefix_of.get(pair.owner)
        what = (
            f"owner {pair.owner}: no longer publishes in zone {pair.zone}; removing its records"
            if new_prefix is None
            else f"owner {pair.owner}: marker prefix changed from {pair.prefix!r} to "
            f"{new_prefix!r}; removing its records marked under {pair.prefix!r} in zone "
            f"{pair.zone} (they return under {new_prefix!r} next)"
        )
        outcome, error = run(["--desired", str(path), "--force"], what)
        here.changes += outcome.changed
        if isinstance(error, TransferError) and zone_served(pair.zone) is False:
            log.warning(
                "owner %s: the server does not serve zone %s (any more), so none of its "
                "records can be there; forgetting it. Should the zone come back with them, "
                "publish a document of managed-by %s declaring the zone with no records",
                pair.owner,
                pair.zone,
                pair.owner,
            )
            forgotten.append(pair)
            return
        if error is not None:
            failed.append(pair)
        settle(what, outcome, error)

    def apply_zone(here: _Zone) -> None:
        # only the message of a failure waits: the error's traceback would keep
        # the run's whole zone snapshot and plan alive until the zone is done
        waiting: list[tuple[OwnerDocument, int, str, ApplyOutcome, str | None]] = []
        for doc in owners:
            if here.zone not in doc.zones:
                continue
            what = f"owner {doc.owner}: applying {doc.path} to zone {here.zone}"
            outcome, error = run(["--desired", str(doc.path), "--zone", here.zone], what)
            here.changes += outcome.changed
            if outcome.other_owner or isinstance(error, ConflictsPresent):
                message = None if error is None else str(error)
                waiting.append((doc, here.changes, what, outcome, message))
            else:
                settle(what, outcome, error)
        for doc, seen, what, outcome, message in waiting:
            if here.changes > seen:  # a later run gave names up: try again
                what = (
                    f"owner {doc.owner}: zone {here.zone} changed after its run skipped "
                    f"names another owner marked; applying {doc.path} again"
                )
                outcome, again = run(["--desired", str(doc.path), "--zone", here.zone], what)
                message = None if again is None else str(again)
            settle(what, outcome, message)

    zones = sorted({p.zone for p in current} | {p.zone for p in retire})
    with tempfile.TemporaryDirectory(prefix="dns-static-publish-") as temp:
        for zone in zones:
            here = _Zone(zone)
            for pair in retire:
                if pair.zone == zone:
                    retire_pair(pair, here, Path(temp))
            apply_zone(here)

    if not dry_run:
        write_state(state_file, [*current, *failed])
        still = {(p.owner, p.zone) for p in [*current, *failed]}
        gone = sorted(
            {(p.zone, p.owner) for p in [*retire, *forgotten] if (p.owner, p.zone) not in still}
        )
        if metrics_file is not None and gone:
            write_metrics(metrics_file, [], drop=gone)
    errors = [c for c in codes if c not in (EXIT_OK, EXIT_PENDING)]
    if errors:
        return max(errors)
    return EXIT_PENDING if EXIT_PENDING in codes else EXIT_OK
