"""The checker's output is the same in every process, whatever the hash seed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.checker.planted import planted_documents


def test_output_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    paths = []
    for i, doc in enumerate(planted_documents(steps=60)):
        path = tmp_path / f"owner{i}.json"
        path.write_text(json.dumps(doc))
        paths.append(str(path))
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-m", "checker", *paths],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert run.returncode == 1
        outputs.add(run.stdout)
    assert len(outputs) == 1
