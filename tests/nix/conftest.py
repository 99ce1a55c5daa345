"""Fixtures for the Nix-side tests: checkouts for module evaluation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _checkout(var: str, marker: str) -> Path:
    value = os.environ.get(var)
    if not value:
        pytest.skip(
            f"module evaluation needs {var} (a checkout of "
            f"{'nix-community/nixpkgs.lib' if var == 'NIXPKGS_LIB' else 'nix-community/dns.nix'})"
        )
    path = Path(value).resolve()
    if not (path / marker).exists():
        pytest.fail(f"{var}={value} does not look like that checkout: {marker} is missing")
    return path


@pytest.fixture(scope="session")
def nixpkgs_lib() -> Path:
    """The nixpkgs `lib` directory (from $NIXPKGS_LIB: nixpkgs.lib or a nixpkgs checkout)."""
    root = _checkout("NIXPKGS_LIB", "lib/default.nix")
    return root / "lib"


@pytest.fixture(scope="session")
def dns_nix() -> Path:
    """The dns.nix `dns` directory (from $DNS_NIX)."""
    root = _checkout("DNS_NIX", "dns/default.nix")
    return root / "dns"
