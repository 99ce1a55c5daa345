"""The problem list of a generated 5,000-record document set full of planted
mistakes stays exactly what it was (rule, severity, location, message, hint,
counts and exit code): a guard for changes that are only meant to be faster.

Problems are sorted by zone, name, type, rule and message; problems equal in
all of those (several sources) come out in no fixed order, so the comparison
sorts each output's problems by their whole text first.

Regenerate the golden files only for an intended change of messages:
``python -m tests.checker.test_planted_golden``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import pytest

from checker.cli import main
from tests.checker.planted import planted_documents

HERE = Path(__file__).parent
NAMES = ("big.json", "other.json", "third.json")
RUNS = {
    "golden_planted.json": ["--format", "json", *NAMES],
    "golden_planted.txt": ["big.json"],
    "golden_planted_strict.txt": ["--strict", "big.json", "other.json"],
}


def _outputs(directory: Path) -> dict[str, str]:
    for name, doc in zip(NAMES, planted_documents(), strict=True):
        (directory / name).write_text(json.dumps(doc))
    outputs = {}
    cwd = Path.cwd()
    os.chdir(directory)
    try:
        for golden, argv in RUNS.items():
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code = main(argv)
            outputs[golden] = f"exit {code}\n{_canonical(out.getvalue())}"
    finally:
        os.chdir(cwd)
    return outputs


def _canonical(output: str) -> str:
    if output.startswith("{"):
        data = json.loads(output)
        data["problems"].sort(key=lambda p: json.dumps(p, sort_keys=True))
        return json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    blocks: list[str] = []
    for line in output.splitlines(keepends=True):
        if line.startswith("    help:") and blocks:
            blocks[-1] += line
        else:
            blocks.append(line)
    summary = blocks.pop()
    return "".join(sorted(blocks)) + summary


@pytest.mark.parametrize("golden", sorted(RUNS))
def test_planted_problems_unchanged(golden: str, tmp_path: Path) -> None:
    got = _outputs(tmp_path)[golden]
    want = (HERE / golden).read_text(encoding="utf-8")
    assert got.count("\n") > 1000  # plenty of problems, not an early stop
    assert got == want


def test_planted_set_is_large() -> None:
    records = sum(len(z["records"]) for d in planted_documents() for z in d["zones"].values())
    assert records >= 5000


if __name__ == "__main__":  # pragma: no cover - regenerates the golden files
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for name, text in _outputs(Path(tmp)).items():
            (HERE / name).write_text(text, encoding="utf-8")
