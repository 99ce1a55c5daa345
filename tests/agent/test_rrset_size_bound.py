"""The checker's ``rrset-size`` is never laxer than the agent's
`check_changeable`: for any RRset, the checker's estimate of its later TTL
change (the largest TSIG key, the document's ExternalDNS layouts) is at
least what the agent measures with the largest key it could be given, and
not much more except where targets share long suffixes."""

from __future__ import annotations

import json
from typing import Any

import dns.name
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.external_dns import layouts_of
from agent.keyfile import TsigKey, parse_key_text
from agent.plan import Change
from agent.planner import plan_zone
from agent.rrset_limits import replacement_size
from checker.check import check_documents
from checker.document import validate_shape
from checker.model import Desired, Record
from checker.rules import rrsets
from tests.agent.helpers import snapshot

# The largest TSIG record: a 255-octet key name (253 characters), hmac-sha512.
LONG_KEY_NAME = ".".join(["k" * 63, "e" * 63, "y" * 63, "z" * 61])
WORST_KEY: TsigKey = parse_key_text(f"hmac-sha512:{LONG_KEY_NAME}:c2VjcmV0c2VjcmV0c2VjcmV0")
ZONE = "internal"
BASE = "@ 3600 NS ns0.internal.\nns0 3600 A 10.0.0.53\n"
LAYOUTS: list[dict[str, str]] = [
    {},
    {"prefix": "k8s."},
    {"prefix": "%{record_type}-abc-."},
    {"suffix": "-.%{record_type}"},
    {"prefix": "k8s.%{record_type}.", "wildcardReplacement": "any"},
    *({"prefix": f"{c * 50}-%{{record_type}}."} for c in "abcdefgh"),
]


def _document(
    owner: str, rtype: str, datas: list[str], layouts: list[dict[str, str]], prefix: str
) -> Any:
    doc: dict[str, Any] = {
        "version": 1,
        "owner": {"prefix": prefix, "managedBy": "routy"},
        "defaults": {"ttl": 300},
        "zones": {
            ZONE: {
                "records": [
                    {"name": "@", "type": "NS", "data": "ns0.internal."},
                    {"name": "ns0", "type": "A", "data": "10.0.0.53"},
                    *({"name": owner, "type": rtype, "data": data} for data in datas),
                ]
            }
        },
    }
    if layouts:
        doc["externalDns"] = {"layouts": layouts}
    return validate_shape(json.loads(json.dumps(doc)), "t.json")


def measure(
    owner: str, rtype: str, datas: list[str], layouts: list[dict[str, str]], prefix: str = "nix"
) -> tuple[int, int, Desired, Change]:
    """(the checker's estimate, the agent's measure with `WORST_KEY`) of the
    later TTL change of the RRset, its desired state and the agent's change."""
    shaped = _document(owner, rtype, datas, layouts, prefix)
    report = check_documents([("t.json", shaped)])
    assert {p.rule for p in report.problems} <= {"rrset-size"}, report.problems
    want = dns.name.from_text(owner, dns.name.from_text(ZONE)).to_text().lower()
    records: list[Record] = [
        r for r in report.desireds[0].records if r.owner.to_text() == want and r.rtype.name == rtype
    ]
    assert len(records) == len(datas)
    wanted = report.desireds[0]
    estimate = rrsets.replacement_size(records, wanted.owner, wanted.layouts)
    plan = plan_zone(
        dns.name.from_text(ZONE + "."),
        list(wanted.records),
        snapshot(ZONE, BASE),
        wanted.owner,
        300,
        layouts=layouts_of(shaped),
    )
    (change,) = [c for c in plan.changes if c.name.to_text().lower() == want]
    measured = replacement_size(change, WORST_KEY, plan.signed, layouts_of(shaped), ZONE)
    return estimate, measured, wanted, change


def _label(draw: st.DrawFn, size: int) -> str:
    return draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=size, max_size=size))


@st.composite
def rrsets_to_check(draw: st.DrawFn) -> tuple[str, str, list[str], list[dict[str, str]], str]:
    rtype = draw(st.sampled_from(["TXT", "A", "AAAA", "CAA", "MX", "SRV"]))
    labels = draw(st.lists(st.integers(1, 63), min_size=1, max_size=3))
    owner = ".".join(_label(draw, n) for n in labels)
    if rtype == "SRV":
        owner = "_s._tcp." + owner
    owner = owner[:160].strip(".")  # (room for a 63-octet marker prefix)
    layouts = draw(st.lists(st.sampled_from(LAYOUTS), max_size=8, unique_by=json.dumps))
    prefix = draw(st.sampled_from(["nix", "x" * 63]))
    count = draw(st.integers(1, 160))
    datas: list[str]
    if rtype == "TXT":
        size = draw(st.integers(1, 250))
        datas = [f'"{i:05d}{"x" * size}" "{i}"' for i in range(count)]
    elif rtype == "A":
        datas = [f"10.{i // 250}.{i % 250}.{draw(st.integers(1, 254))}" for i in range(count * 10)]
        datas = list(dict.fromkeys(datas))
    elif rtype == "AAAA":
        datas = [f"fd00::{i + 1:x}" for i in range(count * 7)]
    elif rtype == "CAA":
        size = draw(st.integers(1, 240))
        datas = [f'0 issue "{i:05d}{"c" * size}"' for i in range(count)]
    else:
        suffix = draw(st.sampled_from(["internal.", "elsewhere.", "z" * 60 + ".internal."]))
        width = draw(st.integers(1, 59))
        fixed = "10 " if rtype == "MX" else "0 0 1 "
        datas = [
            f"{fixed}{i:04d}{'m' * width}.{_label(draw, 3)}{'n' * width}.{suffix}"
            for i in range(count)
        ]
        datas = list(dict.fromkeys(datas))
    return owner, rtype, datas, layouts, prefix


@settings(max_examples=150, deadline=None)
@given(rrsets_to_check())
def test_the_checker_estimate_never_falls_short_of_the_agent_measure(
    case: tuple[str, str, list[str], list[dict[str, str]], str],
) -> None:
    estimate, measured, _, _ = measure(*case)
    assert estimate >= measured


def _largest_accepted(owner: str, rtype: str, make: Any, layouts: list[dict[str, str]]) -> int:
    """The largest count of RRs the checker accepts (its estimate is
    monotonic in the count: bisect on it)."""
    low, high = 1, 4000
    while low < high:
        mid = (low + high + 1) // 2
        estimate, _, _, _ = measure(owner, rtype, make(mid), layouts)
        if estimate <= rrsets.MAX_MESSAGE:
            low = mid
        else:
            high = mid - 1
    return low


def _txt(count: int) -> list[str]:
    return [f'"{i:05d}{"x" * 250}"' for i in range(count)]


def _a(count: int) -> list[str]:
    return [f"10.{i // 250}.{i % 250}.1" for i in range(count)]


def _aaaa(count: int) -> list[str]:
    return [f"fd00::{i + 1:x}" for i in range(count)]


def _caa(count: int) -> list[str]:
    return [f'0 issue "{i:04d}{"c" * 241}"' for i in range(count)]


def _mx(count: int) -> list[str]:
    """Targets of 235 octets, distinct in every label."""
    labels = [f"{{0:04d}}{'m' * 56}", f"{{0:04d}}{'n' * 59}", f"{{0:04d}}{'o' * 59}"]
    form = ".".join([*labels, f"{{0:04d}}{'p' * 25}", "internal."])
    return [f"10 {form.format(i)}" for i in range(count)]


def _srv(count: int) -> list[str]:
    suffix = f"{'n' * 63}.{'o' * 63}.{'p' * 29}.internal."
    return [f"0 0 1 {i:04d}{'m' * 56}.{suffix}" for i in range(count)]


EIGHT = LAYOUTS[5:]


@pytest.mark.parametrize(
    ("rtype", "make", "layouts"),
    [
        ("TXT", _txt, []),
        ("TXT", _txt, EIGHT),
        ("A", _a, []),
        ("AAAA", _aaaa, []),
        ("CAA", _caa, []),
        ("MX", _mx, []),
        ("SRV", _srv, EIGHT),
    ],
)
def test_at_the_boundary_the_agent_accepts_what_the_checker_accepts(
    rtype: str, make: Any, layouts: list[dict[str, str]]
) -> None:
    """The largest RRset the checker accepts passes the agent with the
    largest key; one more RR is refused by the checker, and the agent with
    the largest key accepts at most a few more (the checker is not much
    stricter)."""
    owner = "_s._tcp.big" if rtype == "SRV" else "big"
    largest = _largest_accepted(owner, rtype, make, layouts)
    _, measured, _, _ = measure(owner, rtype, make(largest), layouts)
    assert measured <= rrsets.MAX_MESSAGE
    estimate, measured, _, _ = measure(owner, rtype, make(largest + 1), layouts)
    assert estimate > rrsets.MAX_MESSAGE
    agent_largest = largest
    while measure(owner, rtype, make(agent_largest + 1), layouts)[1] <= rrsets.MAX_MESSAGE:
        agent_largest += 1
    print(f"{rtype} layouts={len(layouts)}: checker {largest}, agent (worst key) {agent_largest}")
    assert agent_largest - largest <= max(2, largest // 100)
