"""Shared pytest set-up: fixtures that start real servers live in tests/fixtures/.

With DNS_STATIC_REQUIRE_TOOLS=1 (set by `make test`, so by CI) a missing
server or tool stops the run before any test instead of letting the tests
that need it skip quietly.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.knot",
    "tests.fixtures.kea",
    "tests.fixtures.writers",
    "tests.fixtures.node_exporter",
    "tests.fixtures.relay",
]

#: tool -> Debian package; every one is used by some test against a real peer.
REQUIRED_TOOLS = {
    "knotd": "knot",
    "knotc": "knot",
    "keymgr": "knot",
    "kdig": "knot-dnsutils",
    "knsupdate": "knot-dnsutils",
    "nsupdate": "bind9-dnsutils",
    "kea-dhcp-ddns": "kea-dhcp-ddns-server",
    "kea-dhcp4": "kea-dhcp4-server",
    "kea-dhcp6": "kea-dhcp6-server",
    "nix-instantiate": "nix-bin",
    "nix-build": "nix-bin",
    "prometheus-node-exporter": "prometheus-node-exporter",
    "promtool": "prometheus",
}
_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.environ.get("DNS_STATIC_REQUIRE_TOOLS") != "1":
        return
    missing = [
        f"{tool} (Debian package {package})"
        for tool, package in REQUIRED_TOOLS.items()
        if shutil.which(tool, path=_PATH) is None
    ]
    if not Path("/usr/bin/python3").exists():
        missing.append("/usr/bin/python3 (Debian package python3)")
    if missing:
        raise pytest.UsageError(
            "DNS_STATIC_REQUIRE_TOOLS=1 but these are missing: "
            + ", ".join(missing)
            + "; run `make deps` or install them"
        )


_SERVER_FIXTURES = {"knot": "knot", "knot_factory": "knot", "writers": "knot", "kea": "kea"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that starts a real server, so `-m "not knot and not kea"`
    (the Nix package's sandboxed check phase) deselects all of them."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        for fixture, marker in _SERVER_FIXTURES.items():
            if fixture in names:
                item.add_marker(getattr(pytest.mark, marker))
