"""``--take-over NAME/TYPE``: which hand-made RRsets the user allows us to replace.

A take-over is explicit and per RRset: ``NAME`` is the absolute owner name
(trailing dot optional, ``internal`` for the apex of zone ``internal``) and
``TYPE`` its record type, e.g. ``--take-over internal/NS`` or
``--take-over ns0.internal/A``. Every one must name an RRset the desired
document declares (in any of its zones, so one list serves every zone's
unit); anything else is a usage error before any network I/O.

The planner replaces such an RRset only when it is hand-made: unmarked, no
DHCID at the name, no ExternalDNS claim, no other owner's marker
(`agent.planner`). Replacing data needs a backup first, so ``apply`` with a
take-over and without ``--dry-run`` needs ``--backup-dir``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import dns.exception
import dns.name
import dns.rdatatype

from agent.errors import UsageError

RRsetKey = tuple[dns.name.Name, dns.rdatatype.RdataType]


def parse_take_over(texts: Sequence[str], declared: Iterable[RRsetKey]) -> frozenset[RRsetKey]:
    """The RRset keys of ``NAME/TYPE`` texts, each checked against `declared`
    (absolute name, type) of the desired document. Raises `UsageError`."""
    declared_set = set(declared)
    keys: set[RRsetKey] = set()
    for text in texts:
        name_text, slash, type_text = text.rpartition("/")
        if not slash or not name_text or not type_text:
            raise UsageError(
                f"--take-over {text}: expected NAME/TYPE with the absolute owner name, "
                "e.g. --take-over internal/NS or --take-over ns0.internal/A"
            )
        try:
            name = dns.name.from_text(name_text.rstrip(".") + ".")
            rdtype = dns.rdatatype.from_text(type_text)
        except (dns.exception.DNSException, ValueError):
            raise UsageError(
                f"--take-over {text}: {name_text!r} is not a domain name or {type_text!r} "
                "is not a record type"
            ) from None
        key = (name, rdtype)
        if key not in declared_set:
            raise UsageError(
                f"--take-over {text}: the desired document declares no "
                f"{dns.rdatatype.to_text(rdtype)} RRset at {name.to_text()}; a take-over only "
                "replaces an RRset you declare (give its absolute name, e.g. internal/NS)"
            )
        keys.add(key)
    return frozenset(keys)


def require_backup(take_over: Sequence[str], dry_run: bool, backup_dir: object) -> None:
    """Refuse a real take-over without a backup directory."""
    if take_over and not dry_run and backup_dir is None:
        raise UsageError(
            "--take-over replaces hand-made records, so apply needs --backup-dir to keep "
            "the zone as it was (or use --dry-run to review first)"
        )
