"""Packing UPDATE messages: full to the limit, written as dnspython renders them.

Every message is checked against dnspython's own rendering of the same name
groups: our bytes equal its unsigned wire, the signed size is exact and
within the limit, every message but the last is full (the next name group
would not fit, as rendered and signed), and a name's changes never span two
messages.
"""

from __future__ import annotations

import re
from typing import Any

import dns.exception
import dns.name
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.keyfile import TsigKey, parse_key_text
from agent.plan import ZonePlan
from agent.planner import plan_zone
from agent.update_builder import (
    Batch,
    MessageTooBigError,
    build_batches,
    build_group_message,
    group_changes,
)
from tests.agent.helpers import desired, document, rec, snapshot, too_big_for_one_message

KEY: TsigKey = parse_key_text("hmac-sha256:update:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0")
KEY_512: TsigKey = parse_key_text("hmac-sha512:a.much.longer.key.name:c2VjcmV0c2VjcmV0")
ZONE = dns.name.from_text("internal.")
NS_ZONE = '@ 3600 NS ns0.internal.\nnix 300 TXT "heritage=nix,managed-by=routy,type=NS"\n'
NS_REC = rec("@", "NS", "ns0.internal.", 3600)


def _plan(records: list[dict[str, Any]], zone_text: str = NS_ZONE) -> ZonePlan:
    want = desired(document({"internal": [NS_REC, *records]}))
    return plan_zone(ZONE, want.records, snapshot("internal.", zone_text), want.owner, 300)


def _rendered(zone: dns.name.Name, groups: list[Any], key: TsigKey, limit: int) -> int | None:
    """Bytes of the signed message carrying `groups`, or None past `limit`."""
    message = build_group_message(zone, groups, key)
    try:
        return len(message.to_wire(max_size=limit))
    except dns.exception.TooBig:
        return None


def _check_packing(plan: ZonePlan, key: TsigKey, limit: int) -> list[Batch]:
    batches = build_batches(plan, key, limit)
    groups = group_changes(plan.changes)
    assert [c for b in batches for c in b.changes] == [c for g in groups for c in g.changes]
    position = 0
    seen: set[dns.name.Name] = set()
    for number, batch in enumerate(batches):
        names = {change.name for change in batch.changes}
        assert not names & seen, "a name's changes were split across messages"
        seen |= names
        count = len({change.name for change in batch.changes})
        position += count
        carried = groups[position - count : position]
        # written byte for byte as dnspython renders the same groups
        reference = build_group_message(plan.zone, carried, None)
        reference.id = int.from_bytes(batch.wire[:2], "big")
        assert batch.wire == reference.to_wire()
        wire = _rendered(plan.zone, carried, key, 65_535)
        assert wire is not None
        assert wire <= limit
        assert batch.size == wire  # the signed size: exact
        if number < len(batches) - 1:  # full: one more group would not fit
            more = groups[position - count : position + 1]
            assert _rendered(plan.zone, more, key, limit) is None
    return batches


def test_ten_thousand_adds_fill_every_message_exactly() -> None:
    records = []
    for i in range(6000):
        records.append(rec(f"host-{i}", "A", f"10.{i // 250 % 250}.{i % 250}.1"))
        if i % 7 == 0:
            records.append(rec(f"host-{i}", "AAAA", f"fd00::{i:x}"))
        if i % 11 == 0:
            records.append(rec(f"alias-{i}", "CNAME", f"host-{i}.internal."))
        if i % 13 == 0:
            records.append(rec(f"host-{i}", "MX", f"10 host-{i + 1}.internal."))
    batches = _check_packing(_plan(records), KEY, 65_535)
    # each name also pins its claim state as read (a name that held nothing:
    # "not in use"; no TXT at the 9 typed registry names of ExternalDNS's
    # default layout): 15 messages without them
    assert len(batches) == 38


def test_deletes_and_updates_pack_with_their_prerequisites() -> None:
    zone_text = NS_ZONE
    records = []
    for i in range(3000):
        zone_text += f"old{i} 300 A 10.1.{i // 250}.{i % 250}\n"
        zone_text += f'nix.old{i} 300 TXT "heritage=nix,managed-by=routy,type=A"\n'
        if i % 2:  # kept with other data: an update; the rest are deleted
            records.append(rec(f"old{i}", "A", f"10.2.{i // 250}.{i % 250}"))
    _check_packing(_plan(records, zone_text), KEY_512, 65_535)


def test_every_record_type_is_written_as_dnspython_renders_it() -> None:
    """Each type the checker accepts, as add, update (present + delete) and
    delete, byte for byte against dnspython (names in RDATA compressed where
    dnspython compresses them)."""
    zone_text = NS_ZONE
    for name, rtype, data in [
        ("u-a", "A", "10.9.0.1"),
        ("u-mx", "MX", "5 mail.internal."),
        ("u-caa", "CAA", '0 issue "ca.example"'),
    ]:
        zone_text += f"{name} 300 {rtype} {data}\n"
        zone_text += f'nix.{name} 300 TXT "heritage=nix,managed-by=routy,type={rtype}"\n'
    records = [
        rec("a", "A", "10.0.0.1"),
        rec("a", "AAAA", "fd00::1"),
        rec("alias", "CNAME", "a.internal."),
        rec("sub", "NS", "ns0.internal."),
        rec("1.0.0.10.in-addr", "PTR", "a.internal."),
        rec("t", "TXT", '"two" "strings"'),
        rec("a", "MX", "10 a.internal."),
        rec("_sip._tcp", "SRV", "0 5 5060 a.internal."),
        rec("a", "CAA", '0 issue "letsencrypt.org"'),
        rec("u-a", "A", "10.9.0.2"),  # update: present, add, delete of the surplus
        rec("u-mx", "MX", "10 other.internal.", 600),  # update with a TTL: replaced whole
    ]
    plan = _plan(records, zone_text)  # u-caa is no longer declared: deleted
    assert {c.action.value for c in plan.changes} == {"add", "update", "delete"}
    [batch] = _check_packing(plan, KEY, 65_535)
    assert len(batch.message().prerequisite) > len(plan.changes)


NAMES = st.text("abcdefghij0123456789-", min_size=1, max_size=63).filter(
    lambda s: not s.startswith("-") and not s.endswith("-")
)
RECORD = st.one_of(
    st.tuples(NAMES, st.just("A"), st.integers(1, 254).map(lambda i: f"10.0.0.{i}")),
    st.tuples(NAMES, st.just("AAAA"), st.integers(1, 65535).map(lambda i: f"fd00::{i:x}")),
    st.tuples(NAMES, st.just("TXT"), st.text("xyz ", max_size=300).map(lambda t: f'"{t}"')),
    st.tuples(NAMES, st.just("MX"), NAMES.map(lambda n: f"10 {n}.internal.")),
    st.tuples(NAMES, st.just("SRV"), NAMES.map(lambda n: f"0 5 80 {n}.internal.")),
    st.tuples(NAMES, st.just("CNAME"), NAMES.map(lambda n: f"{n}.internal.")),
    st.tuples(NAMES, st.just("PTR"), NAMES.map(lambda n: f"{n}.internal.")),
    st.tuples(NAMES, st.just("CAA"), NAMES.map(lambda n: f'0 issue "{n}.example"')),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    entries=st.lists(RECORD, max_size=120, unique_by=lambda e: (e[0], e[1])),
    limit=st.integers(1_500, 65_535),
    key=st.sampled_from([KEY, KEY_512]),
)
def test_the_model_never_falls_short_and_every_message_is_full(
    entries: list[tuple[str, str, str]], limit: int, key: TsigKey
) -> None:
    records = [rec(name, rtype, data) for name, rtype, data in entries]
    try:
        plan = _plan(records)
    except AssertionError:  # the checker refused the document (e.g. a CNAME clash)
        return
    too_big = [
        group.name.to_text()
        for group in group_changes(plan.changes)
        if _rendered(plan.zone, [group], key, limit) is None
    ]
    if too_big:  # refused, naming the first such name, as only a name alone can be
        with pytest.raises(MessageTooBigError, match=re.escape(too_big[0])):
            build_batches(plan, key, limit)
    else:
        _check_packing(plan, key, limit)


def test_a_name_too_big_for_one_message_is_refused_naming_it() -> None:
    records = too_big_for_one_message("big")
    with pytest.raises(MessageTooBigError) as caught:
        build_batches(_plan(records), KEY)
    text = str(caught.value)
    assert "big.internal." in text
    assert "65,535" in text
    assert "never split" in text
    assert "\n" not in text
