"""The wheel a user installs with pip, tested where the user runs it.

The wheel is built from a copy of the source (no stale build/ directory can
fill a gap) with the oldest setuptools series `build-system.requires`
admits, installed non-editable into a virtualenv of its own, and its console
scripts are run from a directory outside the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.agent.helpers import document, rec, write_document
from tests.fixtures.knot import KnotServer
from tests.source_tree import REPO, python_packages

pytestmark = pytest.mark.wheel


#: Not part of the source: caches, environments, earlier build output.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    ".demo",
    ".deps",
    "result*",
)


def oldest_setuptools_series(requires: list[str]) -> str:
    """`build-system.requires` -> a pip constraint on the oldest setuptools
    release series it admits, e.g. ["setuptools>=77"] -> "setuptools==77.*".

    Raises AssertionError when setuptools has no lower bound (any old
    release could then be picked and fail the build).
    """
    for line in requires:
        requirement = Requirement(line)
        if requirement.name != "setuptools":
            continue
        bounds = [s.version for s in requirement.specifier if s.operator in (">=", "~=", "==")]
        assert bounds, f"{line!r}: setuptools needs a lower bound"
        major = max(int(b.split(".")[0]) for b in bounds)
        return f"setuptools=={major}.*"
    raise AssertionError(f"build-system.requires {requires!r} does not name setuptools")


@pytest.mark.parametrize(
    ("requires", "constraint"),
    [
        (["setuptools>=77"], "setuptools==77.*"),
        (["setuptools>=77.0.3", "wheel"], "setuptools==77.*"),
        (["wheel", "setuptools~=80.1"], "setuptools==80.*"),
    ],
)
def test_oldest_setuptools_series(requires: list[str], constraint: str) -> None:
    assert oldest_setuptools_series(requires) == constraint


@pytest.mark.parametrize("requires", [["setuptools"], ["flit_core>=3"]])
def test_oldest_setuptools_series_needs_a_bound(requires: list[str]) -> None:
    with pytest.raises(AssertionError):
        oldest_setuptools_series(requires)


def _run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, check=False, cwd=cwd, env=env
    )
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _clean_env() -> dict[str, str]:
    """The environment without anything pointing Python at the repository."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _copy_source(dest: Path) -> None:
    """Copy what a clone of the repository would hold to `dest`.

    In a git checkout that is the tracked files (as in the working tree), so a
    module that was never `git add`-ed is missing here as it would be for
    users; elsewhere (an unpacked sdist) the whole tree without caches.
    """
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, check=False
    )
    if listed.returncode != 0:
        shutil.copytree(REPO, dest, ignore=_NOT_SOURCE, symlinks=True)
        return
    for name in listed.stdout.decode().split("\0"):
        path = REPO / name
        if not name or not path.is_file():  # deleted in the working tree
            continue
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest / name)


@dataclass(frozen=True)
class Installed:
    wheel: Path
    bin: Path
    outside: Path  # a working directory outside the repository


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel, built and installed into its own virtualenv."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    _copy_source(source)
    with (REPO / "pyproject.toml").open("rb") as f:
        requires = tomllib.load(f)["build-system"]["requires"]
    constraints = base / "build-constraints.txt"
    constraints.write_text(oldest_setuptools_series(requires) + "\n")
    env = _clean_env()
    # pip >= 25.3 reads PIP_BUILD_CONSTRAINT; older pip applied PIP_CONSTRAINT
    # to the isolated build environment
    env["PIP_BUILD_CONSTRAINT"] = str(constraints)
    env["PIP_CONSTRAINT"] = str(constraints)
    wheels = base / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    _run([*pip, "wheel", "--no-deps", "-q", "-w", wheels, source], cwd=base, env=env)
    (wheel,) = wheels.glob("*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=base, env=_clean_env())
    _run(
        [
            venv / "bin" / "python",
            "-m",
            "pip",
            "--disable-pip-version-check",
            "install",
            "-q",
            wheel,
        ],
        cwd=base,
        env=_clean_env(),
    )
    outside = base / "work"
    outside.mkdir()
    return Installed(wheel, venv / "bin", outside)


def test_wheel_holds_every_package_of_the_source(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    packages = {"/".join(parts) for parts in python_packages()}
    assert "checker/rules" in packages
    for package in sorted(packages):
        modules = {p.name for p in (REPO / package).glob("*.py")}
        missing = {m for m in modules if f"{package}/{m}" not in names}
        assert not missing, f"the wheel lacks {package}/{sorted(missing)}"
    assert {"checker/py.typed", "agent/py.typed"} <= names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), "no license text"


def test_installed_copy_is_not_the_repository(installed: Installed) -> None:
    code = "import agent.cli, checker.cli, checker.rules; print(checker.rules.__file__)"
    out = _run([installed.bin / "python", "-c", code], cwd=installed.outside, env=_clean_env())
    location = Path(out.strip())
    assert installed.bin.parent in location.parents
    assert REPO not in location.parents


def _check(installed: Installed, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(installed.bin / "dns-static-check"), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=installed.outside,
        env=_clean_env(),
    )


def test_checker_script_accepts_a_good_document(installed: Installed) -> None:
    good = installed.outside / "routy.json"
    shutil.copyfile(REPO / "examples" / "routy.json", good)
    result = _check(installed, good.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok: 0 errors" in result.stdout


def test_checker_script_rejects_a_bad_document(installed: Installed) -> None:
    bad = write_document(
        installed.outside / "bad.json",
        document({"internal": [rec("@", "NS", "ns0.internal"), rec("ns0", "A", "10.0.0.53")]}),
    )
    result = _check(installed, bad.name)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "error[trailing-dot] internal: @ NS (test.@.NS)" in result.stdout
    assert "Traceback" not in result.stderr


def test_agent_script_plans_against_knotd(
    installed: Installed, knot: KnotServer, tmp_path: Path
) -> None:
    desired = write_document(
        tmp_path / "desired.json", document({"internal": [rec("www", "A", "10.0.0.80")]})
    )
    proc = subprocess.run(
        [
            str(installed.bin / "dns-static-agent"),
            "plan",
            "--desired",
            str(desired),
            *knot.agent_options(),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=installed.outside,
        env=_clean_env(),
    )
    # 4: changes pending (contract §5)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    (zone,) = json.loads(proc.stdout)["zones"]
    assert zone["zone"] == "internal"
    assert [(c["action"], c["fqdn"]) for c in zone["changes"]] == [("add", "www.internal.")]
