"""Properties: no input crashes the checker, valid documents pass, order is irrelevant."""

from __future__ import annotations

import contextlib
import io
import ipaddress
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.cli import main
from checker.rdata import quote_string
from tests.checker.helpers import check

ROUTY = json.loads((Path(__file__).resolve().parents[2] / "examples" / "routy.json").read_text())

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)

# Text that looks like zone-file data, to reach deep into the parsers.
dnsish = st.text(alphabet='abn0159.@*\\"; -_:/()\t', max_size=24) | st.sampled_from(
    [
        "@",
        ".",
        "ns0.internal.",
        "10.0.0.1",
        "fd00::1",
        '"a" "b"',
        '0 issue "x"',
        "10 mx",
        "1 2 3 t.",
    ]
)
record_like = st.fixed_dictionaries(
    {
        "name": dnsish,
        "type": st.sampled_from(
            ["A", "AAAA", "CNAME", "NS", "PTR", "TXT", "MX", "SRV", "CAA", "SOA", "x"]
        ),
        "data": dnsish,
    },
    optional={"ttl": json_values, "source": st.text(max_size=5), "extra": json_values},
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated_documents(draw: st.DrawFn) -> Any:
    doc: Any = json.loads(json.dumps(ROUTY))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(doc)))
        if not path:
            return draw(json_values)
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "record"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "record":
            parent[path[-1]] = draw(record_like)
        else:
            parent[path[-1]] = draw(json_values)
    return doc


@st.composite
def record_soup(draw: st.DrawFn) -> Any:
    records = draw(st.lists(record_like, max_size=12))
    return {
        "version": 1,
        "owner": {"prefix": "nix", "managedBy": "r"},
        "zones": {"internal": {"records": records}},
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=json_values | mutated_documents() | record_soup())
def test_any_json_never_crashes(doc: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("doc") / "d.json"
    path.write_text(json.dumps(doc))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(path)])
    assert code in (0, 1, 2)
    if code == 2:
        assert err.getvalue().startswith("error: ")
    else:
        assert out.getvalue().rstrip().splitlines()[-1].startswith(("ok: ", "invalid: "))


labels = st.from_regex(r"\A[a-z][a-z0-9-]{0,8}[a-z0-9]\Z").filter(lambda s: s != "nix")


@st.composite
def valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Hosts with A (and PTR), maybe AAAA, TXT; aliases; MX, SRV, CAA, NS with glue."""
    names = draw(st.lists(labels, min_size=2, max_size=20, unique=True))
    split = draw(st.integers(1, len(names) - 1))
    hosts, aliases = names[:split], names[split:]
    zones = draw(st.sampled_from([["internal"], ["internal", "lab.example"]]))
    ttl = draw(st.sampled_from([60, 300, 3600]))
    out: dict[str, list[dict[str, Any]]] = {z: [] for z in zones}
    ptrs: list[dict[str, Any]] = []
    host_names: list[str] = []
    for i, host in enumerate(hosts):
        zone = zones[i % len(zones)]
        fqdn = f"{host}.{zone}."
        host_names.append(fqdn)
        address = ipaddress.IPv4Address(0x0A000000 + i + 1)
        out[zone].append({"name": host, "type": "A", "data": str(address), "ttl": ttl})
        ptr = ".".join(str(address).split(".")[:0:-1])
        ptrs.append({"name": ptr, "type": "PTR", "data": fqdn})
        if draw(st.booleans()):
            out[zone].append({"name": host, "type": "AAAA", "data": f"fd00::{i + 1:x}"})
        if draw(st.booleans()):
            # (a text starting heritage= is an ownership marker: error marker-text)
            text = draw(
                st.binary(max_size=300).filter(
                    lambda t: not t.strip().strip(b'"').lower().startswith(b"heritage=")
                )
            )
            chunks = [text[j : j + 255] for j in range(0, len(text), 255)] or [b""]
            out[zone].append(
                {"name": host, "type": "TXT", "data": " ".join(map(quote_string, chunks))}
            )
    for alias in aliases:
        zone = draw(st.sampled_from(zones))
        target = draw(st.sampled_from(host_names))
        out[zone].append({"name": alias, "type": "CNAME", "data": target})
    for zone in zones:
        out[zone].append({"name": "@", "type": "NS", "data": draw(st.sampled_from(host_names))})
        out[zone].append(
            {"name": "@", "type": "MX", "data": f"10 {draw(st.sampled_from(host_names))}"}
        )
        out[zone].append(
            {
                "name": "_sip._tcp",
                "type": "SRV",
                "data": f"0 5 5060 {draw(st.sampled_from(host_names))}",
            }
        )
        out[zone].append({"name": "@", "type": "CAA", "data": '0 issue "letsencrypt.org"'})
    out["10.in-addr.arpa"] = ptrs
    zone_json = {}
    for zone, records in out.items():
        for i, record in enumerate(records):
            record["source"] = f"zones.{zone}.{i}"
        zone_json[zone] = {"records": records}
    return {"version": 1, "owner": {"prefix": "nix", "managedBy": "h"}, "zones": zone_json}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=valid_documents())
def test_generated_valid_documents_pass(doc: dict[str, Any]) -> None:
    report = check(doc)
    assert report.problems == (), "\n".join(p.to_text() for p in report.problems)


def _shuffled(doc: Any, rng: random.Random) -> Any:
    copy = json.loads(json.dumps(doc))
    items = list(copy["zones"].items())
    rng.shuffle(items)
    for _, body in items:
        rng.shuffle(body["records"])
    copy["zones"] = dict(items)
    return copy


# A small pool of names, types and data, so collisions of every kind are likely.
_pool_record = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["@", "a", "b", "nix.a", "ns0.internal", "x.lab", "lab", "53.0.0"]),
        "type": st.sampled_from(["A", "CNAME", "NS", "MX", "PTR", "TXT", "SRV"]),
        "data": st.sampled_from(
            [
                "a",
                "b.internal.",
                "10.0.0.53",
                "10 a",
                "0 .",
                "ns.lab",
                "lab.internal.",
                '"t"',
                "0 1 2 a",
            ]
        ),
        "ttl": st.sampled_from([0, 60, 300]),
    }
)


@st.composite
def messy_documents(draw: st.DrawFn) -> Any:
    zones = {}
    for zone in draw(
        st.lists(
            st.sampled_from(["internal", "lab.internal", "10.in-addr.arpa"]),
            min_size=1,
            unique=True,
        )
    ):
        records = draw(st.lists(_pool_record, max_size=15))
        for i, record in enumerate(records):
            record["source"] = f"{zone}:{i}"
        zones[zone] = {"records": records}
    return {"version": 1, "owner": {"prefix": "nix", "managedBy": "m"}, "zones": zones}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=messy_documents() | valid_documents(), seed=st.integers(0, 2**32))
def test_order_never_matters(doc: Any, seed: int) -> None:
    before = check(doc)
    after = check(_shuffled(doc, random.Random(seed)))
    assert before.ok == after.ok
    assert set(before.problems) == set(after.problems)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=st.lists(messy_documents(), min_size=2, max_size=3), seed=st.integers(0, 2**32))
def test_order_never_matters_across_owners(docs: list[Any], seed: int) -> None:
    for i, doc in enumerate(docs):
        doc["owner"]["managedBy"] = f"owner{i}"
    before = check(*docs)
    rng = random.Random(seed)
    after = check(*(_shuffled(d, rng) for d in docs))
    assert set(before.problems) == set(after.problems)


@settings(max_examples=500)
@given(strings=st.lists(st.binary(max_size=12), min_size=1, max_size=4))
def test_tokenizer_reads_back_quoted_strings(strings: list[bytes]) -> None:
    from checker.rdata import tokenize

    tokens = tokenize(" ".join(quote_string(s) for s in strings))
    assert [value for _, value, _ in tokens] == strings
    assert all(quoted for _, _, quoted in tokens)


@settings(max_examples=500)
@given(text=st.text(alphabet=' \t"\\;()ab1.\r\né\x0c', max_size=16))
def test_tokenizer_only_raises_rdata_errors(text: str) -> None:
    from checker.rdata import RdataError, tokenize

    rule = ""
    try:
        tokens = tokenize(text)
    except RdataError as exc:
        rule = exc.rule
    else:
        assert all(raw and raw in text for raw, _, _ in tokens)
    assert rule in {"", "rdata-syntax", "txt-quoting"}
