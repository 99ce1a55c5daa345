"""Run nix-instantiate / nix-build for the Nix-side tests.

One wrapper per external command; every call passes its expression with
`--expr` and the repository root as `repo`, so tests never depend on the
current directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
LIB = REPO / "nix" / "lib.nix"
SCENARIO = REPO / "nixos-tests" / "scenario.nix"

NIX_INSTANTIATE = shutil.which("nix-instantiate")
NIX_BUILD = shutil.which("nix-build")

# Debian's interpreter: what the check derivation runs the checker with here.
HOST_PYTHON = "/usr/bin/python3"

#: What every test build needs, whatever /etc/nix/nix.conf says. Nix's stock
#: settings (Debian's nix-bin ships no nix.conf) are `sandbox = true`, where
#: the host's /usr/bin/python3 does not exist, and `build-users-group =
#: nixbld`, a group a fresh machine does not have ("the group 'nixbld'
#: specified in 'build-users-group' does not exist"). Command-line options
#: win over nix.conf and NIX_CONFIG, so the machine's configuration is left
#: alone.
NIX_BUILD_OPTIONS = ("--option", "sandbox", "false", "--option", "build-users-group", "")

requires_nix = pytest.mark.skipif(
    NIX_INSTANTIATE is None or NIX_BUILD is None,
    reason="nix-instantiate/nix-build not on PATH (Debian package nix-bin)",
)


def nix_str(value: str) -> str:
    """A Nix string literal holding `value` (JSON string syntax is valid Nix for it)."""
    return json.dumps(value).replace("${", "\\${")


def nix_path(path: Path) -> str:
    """A Nix expression for an absolute path, safe for any characters."""
    return f"(/. + {nix_str(str(path))})"


def lib_expr(body: str) -> str:
    """`body` evaluated with `lib` bound to nix/lib.nix."""
    return f"let lib = import {nix_path(LIB)}; in {body}"


class NixError(Exception):
    """nix-instantiate or nix-build failed; `output` is its stderr."""

    def __init__(self, command: str, output: str) -> None:
        super().__init__(command, output)
        self.command = command
        self.output = output

    def __str__(self) -> str:
        return f"{self.command} failed:\n{self.output}"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("NIX_PATH", "")
    return env


def nix_eval(expr: str) -> Any:
    """Evaluate `expr` strictly and return it decoded from JSON."""
    assert NIX_INSTANTIATE is not None
    proc = subprocess.run(
        [NIX_INSTANTIATE, "--eval", "--strict", "--json", "--expr", expr],
        capture_output=True,
        text=True,
        check=False,
        env=_env(),
    )
    if proc.returncode != 0:
        raise NixError("nix-instantiate", proc.stderr)
    return json.loads(proc.stdout)


@dataclass(frozen=True)
class BuildResult:
    returncode: int
    out_path: str
    log: str


def nix_build(expr: str) -> BuildResult:
    """Build `expr` (no result symlink); `log` is nix-build's stderr."""
    assert NIX_BUILD is not None
    proc = subprocess.run(
        [NIX_BUILD, *NIX_BUILD_OPTIONS, "--no-out-link", "--expr", expr],
        capture_output=True,
        text=True,
        check=False,
        env=_env(),
    )
    return BuildResult(proc.returncode, proc.stdout.strip(), proc.stderr)


def render(zones: str, extra: str = "") -> Any:
    """The document `lib.render` makes of a Nix `zones` expression."""
    return nix_eval(lib_expr(f'lib.render {{ managedBy = "routy"; zones = {zones}; {extra} }}'))


def records(zones: str, zone: str = "internal", extra: str = "") -> list[dict[str, Any]]:
    """The rendered records of one zone."""
    doc = render(zones, extra)
    result: list[dict[str, Any]] = doc["zones"][zone]["records"]
    return result
