"""Which owners ``dns-static-agent publish`` has written into which zones.

The publishing host applies the documents of several owners (contributing
hosts). When an owner disappears from its configuration, nothing in the new
configuration names it any more, yet its records must go. So ``publish``
keeps a small state file of the (owner, zone, marker prefix) triples it
publishes, and a triple found there but no longer among the documents is
*retired*: applied with an empty record list under that prefix, which removes
exactly the RRsets marked ``<prefix>.…  managed-by=<owner>`` (contract §3),
nothing of another owner. A changed marker prefix (the publisher's
``ownerPrefix``) is such a retirement too: the markers under the old prefix
are found only by it.

File format (JSON, written atomically; version 2)::

    {"version": 2, "published": [
      {"managedBy": "mysecrets", "prefix": "nix", "zones": ["internal"]}]}

One owner may appear under two prefixes while its old markers are retired.
Version 1 files (``{"version": 1, "owners": {"<id>": {"prefix": …, "zones":
[…]}}}``, one prefix per owner) are still read. A missing file is an empty
state (first run). A file that cannot be parsed is an `InputError`: guessing
would either forget owners (their records stay for ever) or invent them.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.errors import InputError

VERSION = 2


@dataclass(frozen=True, order=True)
class Published:
    """One owner's records in one zone, as ``publish`` writes them."""

    owner: str  # managed-by id
    zone: str  # zone name, lower case, no trailing dot
    prefix: str  # marker prefix the owner's markers use


def zone_key(zone: str) -> str:
    """The zone as the state file keeps it: lower case, no trailing dot."""
    return zone.lower().rstrip(".") or "."


def retirements(previous: Iterable[Published], current: Iterable[Published]) -> list[Published]:
    """The triples published before and not any more, sorted (pure): an owner
    that left a zone, or whose marker prefix changed (its old markers)."""
    return sorted(set(previous) - set(current))


def _state_error(path: Path, what: str) -> InputError:
    return InputError(
        f"publish state file {path} {what}; nothing applied. Fix it, or remove it to "
        "forget every owner recorded there (records of owners that stopped contributing "
        "then stay in the zone)"
    )


def _group(path: Path, owner: object, body: object) -> list[Published]:
    """One owner's {"prefix": …, "zones": […]} as triples."""
    zones = body.get("zones") if isinstance(body, dict) else None
    prefix = body.get("prefix") if isinstance(body, dict) else None
    if (
        not isinstance(owner, str)
        or not isinstance(prefix, str)
        or not isinstance(zones, list)
        or not all(isinstance(z, str) for z in zones)
    ):
        raise _state_error(path, f'has a malformed entry for owner "{owner}"')
    return [Published(owner, zone_key(z), prefix) for z in zones]


def _entries(path: Path, data: Any) -> list[Published]:
    version = data.get("version") if isinstance(data, dict) else None
    if version == 1:
        owners = data.get("owners")
        if not isinstance(owners, dict):
            raise _state_error(path, 'has no "owners" object')
        return [t for owner, body in owners.items() for t in _group(path, owner, body)]
    if version != VERSION:
        raise _state_error(path, f"is not a version 1 or {VERSION} state")
    published = data.get("published")
    if not isinstance(published, list):
        raise _state_error(path, 'has no "published" list')
    return [
        t
        for body in published
        for t in _group(path, body.get("managedBy") if isinstance(body, dict) else None, body)
    ]


def read_state(path: Path) -> list[Published]:
    """The pairs recorded in `path`; [] when it does not exist.

    Raises `InputError` when the file is unreadable or malformed.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise _state_error(path, f"cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _state_error(path, f"is not JSON ({exc})") from None
    return _entries(path, data)


def state_json(pairs: Iterable[Published]) -> Mapping[str, Any]:
    """The file's content for `pairs` (owners, prefixes and zones sorted)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for pair in sorted(set(pairs)):
        groups.setdefault((pair.owner, pair.prefix), []).append(pair.zone)
    return {
        "version": VERSION,
        "published": [
            {"managedBy": owner, "prefix": prefix, "zones": zones}
            for (owner, prefix), zones in groups.items()
        ],
    }


def write_state(path: Path, pairs: Iterable[Published]) -> None:
    """Replace `path` atomically (temp file in its directory, rename).

    Raises `InputError` when the directory is not writable.
    """
    text = json.dumps(state_json(pairs), indent=2, sort_keys=True) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            Path(temp).replace(path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise InputError(
            f"cannot write publish state file {path}: {exc.strerror or exc}; check that "
            "its directory is writable by the agent"
        ) from None
