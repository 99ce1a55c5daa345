"""``dns-static-agent publish``: several owners' documents into shared zones.

The publishing host applies, one after the other, the document of every owner
(contributing host) it was given; each run is an ordinary ``apply`` under that
document's ``managed-by`` id, so it changes only RRsets marked with that id.
Then every (owner, zone) pair recorded in the state file (`published_owners`)
but absent from the documents is retired: applied with an empty record list
(``--force``: removing all of that owner's records there is the intent), which
deletes exactly that owner's marked RRsets; the apex NS is never emptied
(only the marker goes) and nothing of another owner or writer is touched.

Safety order: all documents are loaded and checked *together* (a name two
owners declare stops the run, nothing applied) and the state file is read
before any network I/O; the state first gains the current pairs (so an owner
is remembered even if this run dies), and a retired pair leaves it only after
its records were removed. A dry run changes neither zone nor state.

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

from agent.errors import AgentError, InputError, UsageError
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

#: Runs ``dns-static-agent apply`` with these arguments; returns its exit code
#: or raises `AgentError`.
RunApply = Callable[[list[str]], int]
#: Reports one owner's failure (one ``error: …`` line) and carries on.
ReportError = Callable[[str], None]


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


def publish(
    documents: Sequence[Path],
    state_file: Path,
    apply_args: Sequence[str],
    run_apply: RunApply,
    report_error: ReportError,
    *,
    dry_run: bool,
    metrics_file: Path | None,
) -> int:
    """Apply each document, then retire the owners that left; the exit code.

    `apply_args` are ``apply`` options (server, key, policy, metrics, ...)
    used for every run; `dry_run` and `metrics_file` are what they say
    (the caller parsed them). Exit: 0 all done; 4 dry run with changes pending;
    otherwise the highest exit code of the failed runs (each failure is
    reported through `report_error`, the other owners still run).
    Raises `AgentError` for problems found before any I/O.
    """
    owners = _load_together(documents)
    previous = read_state(state_file)
    current = [pair for doc in owners for pair in doc.pairs()]
    retire = retirements(previous, current)
    external_dns = next((d.external_dns for d in owners if d.external_dns is not None), None)
    if not dry_run:
        write_state(state_file, [*previous, *current])

    codes: list[int] = []
    failed: list[Published] = []

    def run(argv: list[str], what: str) -> bool:
        log.info("%s", what)
        try:
            code = run_apply(["apply", *argv, *apply_args, "--metrics-owner"])
        except AgentError as exc:
            report_error(f"{what}: {exc}")
            codes.append(exc.exit_code)
            return False
        codes.append(code)
        return code == EXIT_OK

    for doc in owners:
        run(["--desired", str(doc.path)], f"owner {doc.owner}: applying {doc.path}")
    with tempfile.TemporaryDirectory(prefix="dns-static-publish-") as temp:
        for pair in retire:
            path = _retire_document(pair, external_dns, Path(temp))
            ok = run(
                ["--desired", str(path), "--force"],
                f"owner {pair.owner}: no longer publishes in zone {pair.zone}; "
                "removing its records",
            )
            if not ok:
                failed.append(pair)

    if not dry_run:
        write_state(state_file, [*current, *failed])
        gone = [(p.zone, p.owner) for p in retire if p not in failed]
        if metrics_file is not None and gone:
            write_metrics(metrics_file, [], drop=gone)
    errors = [c for c in codes if c not in (EXIT_OK, EXIT_PENDING)]
    if errors:
        return max(errors)
    return EXIT_PENDING if EXIT_PENDING in codes else EXIT_OK
