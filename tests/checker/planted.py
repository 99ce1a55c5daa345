"""A generated document set of about 5,000 records with many planted mistakes.

Every rule of the checker fires here many times, beside plenty of valid
records, so a change meant only to make the checker faster can be compared
with the problem list it gave before (``golden_planted.*``).
"""

from __future__ import annotations

from typing import Any

Row = tuple[Any, ...]  # (name, type, data) or (name, type, data, ttl) or a raw dict


def _rows(i: int) -> dict[str, list[Any]]:
    """The records of step ``i``: zone -> rows."""
    a, b = (i >> 8) & 0xFF, i & 0xFF
    h = f"h{i}"
    internal: list[Any] = [
        (h, "A", f"10.1.{a}.{b}"),
        (h, "AAAA", f"fd00::1:{i:x}"),
        (f"www{i}", "CNAME", h),
    ]
    corp: list[Any] = [(f"w{i}", "A", f"10.2.{a}.{b}")]
    rev: list[Any] = [
        (f"{b}.{a}.1", "PTR", f"{h}.internal."),
        (f"{b}.{a}.2", "PTR", f"w{i}.corp.example."),
    ]
    child: list[Any] = [(f"b{i}", "A", f"192.0.2.{b}")]
    k = i % 40
    if k == 0:
        internal += [(f"c{i}", "CNAME", h), (f"c{i}", "TXT", '"x"')]
    elif k == 1:
        internal += [(f"m{i}", "CNAME", h), (f"m{i}", "CNAME", f"www{i}")]
    elif k == 2:
        internal += [(f"l{i}a", "CNAME", f"l{i}b"), (f"l{i}b", "CNAME", f"l{i}a.internal.")]
        corp += [(f"x{i}", "CNAME", f"x{i}.corp.example.")]
    elif k == 3:
        internal += [
            (f"mx{i}", "MX", f"10 www{i}"),
            (f"_sip._tcp.s{i}", "SRV", f"0 5 5060 www{i}"),
            (f"ns{i}", "NS", f"www{i}.internal."),
        ]
        rev += [(f"{b}.{a}.9", "PTR", f"www{i}.internal.")]
    elif k == 4:
        internal += [(f"t{i}", "A", "10.9.0.1", 60), (f"t{i}", "A", "10.9.0.2", 120)]
        internal += [(f"t{i}", "A", "10.9.0.3", 60)]
    elif k == 5:
        internal += [(f"d{i}", "TXT", '"same"'), (f"d{i}", "TXT", '"same"')]
    elif k == 6:
        internal += [
            (f"del{i}", "NS", f"ns.del{i}.internal."),
            (f"ns.del{i}", "A", f"10.3.{a}.{b}"),
            (f"www.del{i}", "A", f"10.4.{a}.{b}"),
            (f"del{i}", "TXT", '"occluded"'),
            (f"gl{i}", "NS", f"nohost{i}"),
            (f"z{i}", "NS", "ns.elsewhere.example.", 0),
        ]
    elif k == 7:
        internal += [(f"nix.{h}", "TXT", '"marker?"'), (f"NIX.w{i}", "A", "10.5.0.1")]
    elif k == 8:
        rev += [
            (f"5.{b}.{a}.1", "PTR", f"{h}.internal."),
            (f"01.{a}.1", "PTR", f"{h}.internal."),
            (f"{b}.{a}", "PTR", f"{h}.internal."),
        ]
    elif k == 9:
        rev += [(f"{b}.{a}.7", "PTR", f"{h}.internal."), (f"{b}.{a}.1", "PTR", f"w{i}.internal.")]
        rev += [(f"{b}.{a}.8", "PTR", f"nothere{i}.corp.example.")]
    elif k == 10:
        internal += [(f"orphan{i}", "A", f"10.200.{a}.{b}"), (f"far{i}", "A", f"172.16.{a}.{b}")]
    elif k == 11:
        internal += [(f"x{i}.s3.garage", "A", "10.6.0.1"), ("s3.garage", "NS", "ns0.internal.")]
    elif k == 12:
        internal += [
            (f"foo{i}.internal", "A", "10.7.0.1"),
            (f"cn{i}", "CNAME", f"{h}.corp.example"),
            (f"mxip{i}", "MX", "10 10.0.0.1"),
            (f"ptrip{i}", "CNAME", "fd00::1"),
        ]
        rev += [(f"{b}.{a}.3", "PTR", "10.0.0.3.")]
    elif k == 13:
        internal += [
            (f"nm{i}", "MX", "0 ."),
            (f"nm{i}", "MX", f"10 {h}"),
            (f"nm{i}b", "MX", "5 ."),
            (f"srv{i}", "SRV", f"0 0 1 {h}"),
            (f"_x._udp.n{i}", "SRV", "0 0 0 ."),
            (f"_x._udp.n{i}", "SRV", f"0 0 53 {h}"),
            (f"root{i}", "CNAME", "."),
        ]
    elif k == 14:
        internal += [
            (h, "CAA", '0 issue "https://letsencrypt.org."'),
            (h, "CAA", '0 iodef "security@example.org"'),
            (h, "CAA", '128 issuerr "x"'),
            (h, "CAA", '0 tbs "x"'),
            (h, "CAA", '0 issue "letsencrypt.org; validationmethods=dns-01"'),
        ]
    elif k == 15:
        internal += [
            ("a" * 64 + f"{i}", "A", "10.8.0.1"),
            (f"a..b{i}", "A", "10.8.0.1"),
            ("q." * 130 + f"{i}", "A", "10.8.0.1"),
            (f"h{i}.corp.example.", "A", "10.8.0.1"),
            (f"a.*.w{i}", "A", "10.8.0.1"),
            (f"a*{i}", "A", "10.8.0.1"),
            (f"*.wild{i}", "A", "10.8.0.1"),
            (f"x{i}\\.y", "A", "10.8.0.2"),
            (f"\\065bc{i}", "A", "10.8.0.3"),
            (f"UP{i}", "A", "10.8.0.4"),
            (f"abs{i}.internal.", "A", "10.8.0.5"),
            (f"ü{i}", "A", "10.8.0.6"),
        ]
    elif k == 16:
        internal += [
            (f"af{i}", "A", "fd00::1"),
            (f"af{i}", "AAAA", "10.0.0.1"),
            (f"as{i}", "A", "10.0.0.256"),
            (f"as{i}", "A", "010.0.0.1"),
            (f"as{i}", "A", "10.0.0.1 10.0.0.2"),
            (f"as{i}", "AAAA", "fd00::zz"),
            (f"as{i}", "AAAA", "fe80::1%eth0"),
            (f"as{i}", "A", ""),
        ]
    elif k == 17:
        internal += [
            (f"tx{i}", "TXT", "v=spf1 -all"),
            (f"tx{i}b", "TXT", '"' + "x" * 300 + '"'),
            (f"tx{i}c", "TXT", '"unterminated'),
            (f"tx{i}d", "TXT", '"a\\"b" "c\\100d" "e;f"'),
            (f"tx{i}e", "TXT", ""),
            (f"tx{i}f", "TXT", '"ok" bare'),
            (f"tx{i}g", "TXT", "a(b"),
        ]
    elif k == 18:
        internal += [
            (f"r{i}", "MX", "10"),
            (f"r{i}b", "MX", f"70000 {h}"),
            (f"r{i}c", "MX", f"x {h}"),
            (f"r{i}d", "CAA", '0 "issue" "x"'),
            (f"r{i}e", "CNAME", f'"{h}"'),
            (f"r{i}f", "CNAME", "a..b"),
            (f"r{i}g", "SRV", "1 2 3"),
            (f"r{i}h", "CAA", '256 issue "x"'),
            (f"r{i}i", "NS", "a b"),
        ]
    elif k == 19:
        internal += [
            (f"u{i}", "HINFO", '"x" "y"'),
            (f"u{i}", "SOA", "a. b. 1 2 3 4 5"),
            (f"u{i}", " soa ", "x"),
            (f"u{i}", "a", "10.10.0.1"),
            (f"u{i}", "A", "10.10.0.2", -1),
            (f"u{i}", "A", "10.10.0.3", "300"),
            (f"u{i}", "A", "10.10.0.4", 2**31),
            (f"u{i}", "A", "10.10.0.5", True),
            {"name": f"u{i}", "type": "A"},
            {"name": f"u{i}", "type": "A", "data": "10.10.0.6", "extra": 1},
            {"name": f"u{i}", "type": "A", "data": "10.10.0.7", "source": 5},
            {"name": 5, "type": None, "data": []},
            f"u{i}",
            {"name": f"v{i}", "type": "A", "data": "10.10.0.8", "source": ""},
        ]
    elif k == 20:
        corp += [("@", "CNAME", "elsewhere.example."), (f"sh{i}", "A", "10.11.0.1")]
        corp += [(f"sc{i}", "A", "10.11.0.2"), (f"sd{i}", "CNAME", f"w{i}")]
    elif k == 21:
        internal += [(f"_ldap._tcp.{h}", "SRV", f"0 5 389 {h}.internal.")]
        internal += [(f"mx{i}", "MX", f"10 {h}.internal."), (f"mx{i}", "MX", f"20 {h}")]
        child += [("@", "NS", "ns0.internal."), (f"c{i}", "CNAME", f"b{i}")]
    return {
        "internal": internal,
        "corp.example": corp,
        "10.in-addr.arpa": rev,
        "s3.garage.internal": child,
        "0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa": [],
    }


def _render(zone: str, rows: list[Any], start: int) -> list[Any]:
    out: list[Any] = []
    for n, row in enumerate(rows, start):
        if not isinstance(row, tuple):
            out.append(row)
            continue
        body: dict[str, Any] = {"name": row[0], "type": row[1], "data": row[2]}
        if n % 5:
            body["source"] = f"zones.{zone}.r{n}"
        if len(row) > 3:
            body["ttl"] = row[3]
        out.append(body)
    return out


def planted_documents(steps: int = 500) -> list[dict[str, Any]]:
    """Three documents (owners): a big one full of mistakes, and two that collide with it."""
    zones: dict[str, list[Any]] = {}
    for i in range(steps):
        for zone, rows in _rows(i).items():
            zones.setdefault(zone, []).extend(rows)
    big = {
        "version": 1,
        "owner": {"prefix": "nix", "managedBy": "routy"},
        "defaults": {"ttl": 300},
        "zones": {z: {"records": _render(z, rows, 0)} for z, rows in zones.items()},
    }
    other_rows: list[Any] = []
    for i in range(0, steps, 7):
        other_rows += [(f"sh{i}", "A", "10.11.9.1"), (f"h{i}", "CNAME", "elsewhere.example.")]
        other_rows += [(f"sc{i}", "CNAME", "elsewhere.example.")]
    other = {
        "version": 1,
        "owner": {"prefix": "dyn", "managedBy": "other-host"},
        "zones": {
            "corp.example.": {"records": _render("corp.example", other_rows, 0)},
            "internal": {"records": _render("internal", [("dyn.x", "A", "10.12.0.1")], 0)},
        },
    }
    third = {
        "version": 1,
        "owner": {"prefix": "Bad Prefix", "managedBy": "routy"},
        "defaults": {"ttl": -5},
        "zones": {
            "Internal.": {"records": _render("internal", [("h5", "AAAA", "fd00::9")], 0)},
            "internal": {"records": []},
            "a..b": {"records": []},
            ".": {"records": []},
        },
    }
    return [big, other, third]
