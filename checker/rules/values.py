"""Rules on what individual MX, SRV, CAA and name records say.

- ``null-mx`` (RFC 7505): a null MX (exchange ``.``) beside other MX records
  (error) or with a preference other than 0 (warning).
- ``srv-null-target`` (warning, RFC 2782): target ``.`` ("service not
  available") beside other SRV records at one name.
- ``root-target`` (error): an NS, CNAME or PTR pointing at the root ``.``.
- ``srv-owner`` (warning, RFC 2782): an SRV owner not of the form
  ``_service._proto.name``.
- ``caa-value`` (error, RFC 8659 §4.2-4.4): an issue/issuewild/issuemail
  value that is not ``[domain] [; key=value…]``, an iodef that is not a
  mailto:/http(s): URL.
- ``caa-unknown-tag`` (warning): a CAA tag CAs do not know; with the
  critical flag, CAs then refuse to issue.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.model import Record
from checker.problems import Problem, Severity
from checker.rdata import (
    CAA,
    KNOWN_CAA_TAGS,
    MX,
    SRV,
    T_CAA,
    T_CNAME,
    T_MX,
    T_NS,
    T_PTR,
    T_SRV,
    Target,
)
from checker.rules.index import Index, RRsetKey, problem, refs

_LABEL = r"[A-Za-z0-9](?:-*[A-Za-z0-9])*"
_ISSUE = re.compile(
    rf"^[ \t]*(?:(?P<domain>{_LABEL}(?:\.{_LABEL})*)[ \t]*)?"
    rf"(?:;[ \t]*(?:{_LABEL}[ \t]*=[ \t]*[\x21-\x3a\x3c-\x7e]*[ \t]*"
    rf"(?:;[ \t]*{_LABEL}[ \t]*=[ \t]*[\x21-\x3a\x3c-\x7e]*[ \t]*)*)?)?$"
)
_ISSUE_TAGS = frozenset({"issue", "issuewild", "issuemail"})


def check(index: Index) -> Iterator[Problem]:
    for rrsets, typed in zip(index.rrsets, index.typed, strict=True):
        # Every MX RRset with a null MX, every SRV RRset, in document order
        # (each key with its first record: an RRset of one is not in rrsets).
        mx_sets: dict[RRsetKey, Record] = {}
        for record in typed[T_MX]:
            rdata = record.rdata
            if isinstance(rdata, MX) and not rdata.exchange.name.labels:
                mx_sets.setdefault((record.zone, record.owner, T_MX), record)
        for key, record in mx_sets.items():
            yield from _null_mx(rrsets.get(key) or [record])
        srv_sets: dict[RRsetKey, Record] = {}
        for record in typed[T_SRV]:
            srv_sets.setdefault((record.zone, record.owner, T_SRV), record)
        for key, record in srv_sets.items():
            yield from _srv(rrsets.get(key) or [record])
        for record in typed[T_CAA]:
            yield from _caa(record)
        for rtype in (T_NS, T_CNAME, T_PTR):
            for record in typed[rtype]:
                rdata = record.rdata
                if isinstance(rdata, Target) and not rdata.target.name.labels:
                    yield problem(
                        "root-target",
                        record,
                        f"{rtype} target is the root '.', which is no host",
                        f"write the host name the {rtype} should point to",
                    )


def _null_mx(records: list[Record]) -> Iterator[Problem]:
    null = [r for r in records if isinstance(r.rdata, MX) and r.rdata.exchange.name.is_root]
    if not null:
        return
    others = [r for r in records if r not in null]
    for record in null:
        assert isinstance(record.rdata, MX)
        if others:
            yield problem(
                "null-mx",
                record,
                f"a null MX (exchange '.': this domain accepts no mail) beside "
                f"{refs(others, record.zone)}; RFC 7505 §3 forbids other MX records with it",
                "keep either the null MX or the real mail exchangers",
            )
        elif record.rdata.preference != 0:
            yield problem(
                "null-mx",
                record,
                f"a null MX (exchange '.') has preference {record.rdata.preference}; "
                "RFC 7505 §3 defines it with preference 0",
                'write "0 ."',
                Severity.WARNING,
            )


def _srv(records: list[Record]) -> Iterator[Problem]:
    first = records[0]
    labels = first.owner.labels
    if len(labels) < 2 or not (labels[0].startswith(b"_") and labels[1].startswith(b"_")):
        for record in records:
            yield problem(
                "srv-owner",
                record,
                f"SRV owner {record.name} is not of the form _service._proto.name "
                "(RFC 2782), so clients looking up the service never find it",
                "name it like _sip._tcp or _ldap._tcp.dc (dns.nix: service and proto)",
                Severity.WARNING,
            )
    null = [r for r in records if isinstance(r.rdata, SRV) and r.rdata.target.name.is_root]
    others = [r for r in records if r not in null]
    if null and others:
        for record in null:
            yield problem(
                "srv-null-target",
                record,
                "target '.' says the service is decidedly not available here (RFC 2782), "
                f"yet the same name has {refs(others, record.zone)}",
                "keep either the '.' record or the real targets",
                Severity.WARNING,
            )


def _caa(record: Record) -> Iterator[Problem]:
    rdata = record.rdata
    if not isinstance(rdata, CAA):
        return
    value = rdata.value.decode("utf-8", "replace")
    tag = rdata.tag.lower()  # tags match case-insensitively (RFC 8659 §4.1)
    if tag in _ISSUE_TAGS:
        match = _ISSUE.match(value)
        if match is None:
            looks_url = "://" in value or value.rstrip().endswith(".")
            yield problem(
                "caa-value",
                record,
                f"CAA {rdata.tag} value {value!r} is not '[issuer domain] [; key=value ...]' "
                "(RFC 8659 §4.2)",
                'write the CA\'s bare domain without scheme or trailing dot, e.g. "letsencrypt.org"'
                if looks_url
                else 'write e.g. "letsencrypt.org", or ";" to forbid issuance',
            )
    elif tag == "iodef":
        if not value.startswith(("mailto:", "http://", "https://")):
            yield problem(
                "caa-value",
                record,
                f"CAA iodef value {value!r} is not a mailto:, http: or https: URL (RFC 8659 §4.4)",
                'write e.g. "mailto:security@example.org"',
            )
    elif tag not in KNOWN_CAA_TAGS:
        critical = rdata.flags & 128
        yield problem(
            "caa-unknown-tag",
            record,
            f"CAA tag '{rdata.tag}' is not one CAs know"
            + (
                "; with the critical flag (128) set, every CA must refuse to issue"
                if critical
                else ", so CAs ignore this record"
            ),
            "use issue, issuewild or iodef (check the spelling)",
            Severity.WARNING,
        )
