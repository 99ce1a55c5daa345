"""dns-static-check: validate desired-state documents (contract §4)."""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sys
from collections.abc import Sequence

from checker.check import Report, check_documents
from checker.collector import collector_paused
from checker.document import DocumentJSON, InputError, load_document
from checker.problems import printable

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_UNUSABLE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_UNUSABLE)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="dns-static-check",
        description="Validate dns-static-records desired-state documents. "
        "Several files are several owners, checked together.",
    )
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.add_argument("documents", nargs="+", metavar="DESIRED.json", help="documents to check")
    return p


def _summary(report: Report) -> str:
    records = sum(len(d.records) for d in report.desireds)
    zones = len({z for d in report.desireds for z in d.zones})
    docs = len(report.desireds)
    counts = (
        f"{report.errors} error{'s' if report.errors != 1 else ''}, "
        f"{report.warnings} warning{'s' if report.warnings != 1 else ''}"
        + (f", {len(report.accepted)} accepted" if report.accepted else "")
    )
    scope = (
        f"{records} record{'s' if records != 1 else ''} in {zones} zone{'s' if zones != 1 else ''}"
        f"{f' from {docs} documents' if docs > 1 else ''}"
    )
    verdict = "ok" if report.ok else "invalid"
    return f"{verdict}: {counts} ({scope})"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the checker on ``argv`` (default: the command line); the exit code."""
    args = _parser().parse_args(argv)
    with collector_paused():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    docs: list[tuple[str, DocumentJSON]] = []
    try:
        for path in args.documents:
            docs.append((path, load_document(path)))
    except InputError as exc:
        if args.format == "json":
            print(json.dumps({"valid": False, "error": str(exc), "problems": []}))
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_UNUSABLE
    report = check_documents(docs, strict=args.strict)
    if args.format == "json":
        result: dict[str, object] = {
            "valid": report.ok,
            "errors": report.errors,
            "warnings": report.warnings,
            "problems": [p.to_json() for p in report.problems],
        }
        if report.accepted:  # only documents with reviewed exceptions have any
            result["accepted"] = [a.to_json() for a in report.accepted]
        print(json.dumps(result, indent=2))
    else:
        several = len(docs) > 1
        for problem in report.problems:
            print(problem.to_text(show_document=several))
        for accepted in report.accepted:
            print(accepted.to_text(show_document=several))
        print(_summary(report))
    return EXIT_OK if report.ok else EXIT_INVALID


def main_entry() -> None:
    """The console script: exit with :func:`main`'s code."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            # Anything that is not text (a lone surrogate) prints as an escape.
            stream.reconfigure(errors="backslashreplace")
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as a shell tool does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 128 + signal.SIGPIPE
    raise SystemExit(code)
