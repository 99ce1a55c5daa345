"""nix/package.nix as nixpkgs' Python builder receives it.

Plain Nix, no nixpkgs: the package is evaluated with stand-ins for `lib` and
`python3Packages` whose `buildPythonApplication` returns its arguments, so
the tests see exactly what nixpkgs' hooks would get.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.nix.nixrun import REPO, nix_eval, nix_path, requires_nix
from tests.source_tree import python_packages

pytestmark = [pytest.mark.nix, requires_nix]

PACKAGE = REPO / "nix" / "package.nix"

# The few names package.nix uses; a new one makes evaluation fail by name.
_STAND_INS = """
  lib = {
    fileset = {
      unions = paths: paths;
      toSource = { root, fileset }: { inherit root fileset; };
    };
    licenses.mit = "mit";
    platforms.linux = [ "x86_64-linux" ];
  };
  python3Packages = {
    buildPythonApplication = attrs: attrs;
    setuptools = "setuptools";
    dnspython = "dnspython";
    pytestCheckHook = "pytestCheckHook";
    hypothesis = "hypothesis";
  };
"""


@pytest.fixture(scope="module")
def package() -> dict[str, Any]:
    """The attributes package.nix hands to buildPythonApplication (paths as strings)."""
    expr = (
        f"let {_STAND_INS} p = import {nix_path(PACKAGE)} {{ inherit lib python3Packages; }}; "
        'in (removeAttrs p [ "src" "meta" ]) // { '
        "  src = map toString p.src.fileset; srcRoot = toString p.src.root; "
        '  meta = removeAttrs p.meta [ "license" "platforms" ]; }'
    )
    result: dict[str, Any] = nix_eval(expr)
    return result


def _pyproject() -> dict[str, Any]:
    with (REPO / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def test_no_pytest_flag_would_be_split_into_words(package: dict[str, Any]) -> None:
    # pytestCheckHook splits every element of these on whitespace again:
    # ["-m", "not knot and not nix"] reaches pytest as -m not knot and ...
    for attr in ("pytestFlagsArray", "pytestFlags", "disabledTestPaths"):
        for flag in package.get(attr, []):
            assert not re.search(r"\s", flag), f"{attr} element {flag!r} would be split"


def test_every_marker_that_needs_a_server_is_deselected(package: dict[str, Any]) -> None:
    # each marker in pyproject.toml names something the build sandbox lacks
    markers = {
        line.split(":", 1)[0] for line in _pyproject()["tool"]["pytest"]["ini_options"]["markers"]
    }
    assert set(package["disabledTestMarks"]) == markers


_REPO_PATH = re.compile(r'(?:\bROOT|\bREPO|parents\[2\]\))\s*/\s*"([^"/]+)"')


def test_source_set_holds_every_file_the_tests_read(package: dict[str, Any]) -> None:
    assert Path(package["srcRoot"]) == REPO
    in_source = {Path(p).relative_to(REPO).parts[0] for p in package["src"]}
    named = {
        match.group(1)
        for test_file in (REPO / "tests").rglob("*.py")
        for match in _REPO_PATH.finditer(test_file.read_text())
    }
    assert "examples" in named  # the scan itself still finds what it should
    assert named <= in_source, f"tests read {sorted(named - in_source)}, not in the source set"
    assert {"pyproject.toml", "checker", "agent", "tests"} <= in_source


def test_import_check_reaches_every_subpackage(package: dict[str, Any]) -> None:
    expected = {".".join(parts) for parts in python_packages()}
    assert "checker.rules" in expected
    assert expected <= set(package["pythonImportsCheck"])
    # the console scripts' modules, as pyproject.toml names them
    scripts = _pyproject()["project"]["scripts"].values()
    assert {s.split(":", 1)[0] for s in scripts} <= set(package["pythonImportsCheck"])


def test_version_and_name_come_from_pyproject(package: dict[str, Any]) -> None:
    project = _pyproject()["project"]
    assert package["pname"] == project["name"]
    assert package["version"] == project["version"]
