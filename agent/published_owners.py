"""Which owners ``dns-static-agent publish`` has written into which zones.

The publishing host applies the documents of several owners (contributing
hosts). When an owner disappears from its configuration, nothing in the new
configuration names it any more, yet its records must go. So ``publish``
keeps a small state file of the (owner, zone) pairs it publishes, and a pair
found there but no longer among the documents is *retired*: applied with an
empty record list, which removes exactly the RRsets marked
``managed-by=<owner>`` (contract §3), nothing of another owner.

File format (JSON, written atomically)::

    {"version": 1, "owners": {"mysecrets": {"prefix": "nix", "zones": ["internal"]}}}

A missing file is an empty state (first run). A file that cannot be parsed is
an `InputError`: guessing would either forget owners (their records stay for
ever) or invent them.
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

VERSION = 1


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
    """The pairs published before and not any more, sorted (pure)."""
    now = {(p.owner, p.zone) for p in current}
    return sorted({p for p in previous if (p.owner, p.zone) not in now})


def _state_error(path: Path, what: str) -> InputError:
    return InputError(
        f"publish state file {path} {what}; nothing applied. Fix it, or remove it to "
        "forget every owner recorded there (records of owners that stopped contributing "
        "then stay in the zone)"
    )


def _entries(path: Path, data: Any) -> list[Published]:
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise _state_error(path, f"is not a version {VERSION} state")
    owners = data.get("owners")
    if not isinstance(owners, dict):
        raise _state_error(path, 'has no "owners" object')
    out: list[Published] = []
    for owner, body in owners.items():
        zones = body.get("zones") if isinstance(body, dict) else None
        prefix = body.get("prefix") if isinstance(body, dict) else None
        if (
            not isinstance(prefix, str)
            or not isinstance(zones, list)
            or not all(isinstance(z, str) for z in zones)
        ):
            raise _state_error(path, f'has a malformed entry for owner "{owner}"')
        out.extend(Published(owner, zone_key(z), prefix) for z in zones)
    return out


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
    """The file's content for `pairs` (owners and zones sorted)."""
    owners: dict[str, dict[str, Any]] = {}
    for pair in sorted(set(pairs)):
        entry = owners.setdefault(pair.owner, {"prefix": pair.prefix, "zones": []})
        entry["zones"].append(pair.zone)
    return {"version": VERSION, "owners": owners}


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
