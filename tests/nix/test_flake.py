"""The flake's outputs, evaluated with nixpkgs' lib and a fake package set.

The fake set (fake-pkgs.nix) carries nixpkgs' deprecated aliases
(`nixfmt-rfc-style` warns on every use, so there it throws): an output that
still names one fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.nix.nixrun import REPO, nix_eval, nix_path, requires_nix

pytestmark = [pytest.mark.nix, requires_nix]

FLAKE = REPO / "flake.nix"
FAKE_PKGS = REPO / "tests" / "nix" / "fake-pkgs.nix"


def _outputs(nixpkgs_lib: Path, attr: str) -> Any:
    expr = f"""
    let
      pkgs = import {nix_path(FAKE_PKGS)} {{ nixpkgsLib = {nix_path(nixpkgs_lib)}; }};
      nixpkgs = {{
        inherit (pkgs) lib;
        legacyPackages = {{ x86_64-linux = pkgs; aarch64-linux = pkgs; }};
      }};
      outputs = (import {nix_path(FLAKE)}).outputs {{
        self = outputs;
        inherit nixpkgs;
        dns = {{ outPath = "/fake/dns"; }};
      }};
    in {attr}
    """
    return nix_eval(expr)


def test_formatter_is_nixfmt_tree(nixpkgs_lib: Path) -> None:
    assert _outputs(nixpkgs_lib, "outputs.formatter.x86_64-linux.name") == "nixfmt-tree"


def test_dev_shell_names_no_deprecated_alias(nixpkgs_lib: Path) -> None:
    names = _outputs(nixpkgs_lib, "map (p: p.name) outputs.devShells.x86_64-linux.default.packages")
    assert "nixfmt" in names


def test_readme_shows_dns_follows() -> None:
    readme = (REPO / "README.md").read_text()
    assert 'inputs.dns-static-records.inputs.dns.follows = "dns";' in readme
    assert "nixfmt-rfc-style" not in readme
