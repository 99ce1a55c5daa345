"""Take-over (issue 11), pure: a hand-made RRset named with --take-over is
replaced and marked, shown old -> new, guarded by prerequisites on exactly
what was read; DHCP, ExternalDNS and other owners are never taken over."""

from __future__ import annotations

import dns.name
import dns.rdatatype
import dns.update
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.errors import UsageError
from agent.external_dns import TYPE_TOKENS
from agent.keyfile import parse_key_text
from agent.plan import Action, ConflictKind, ZonePlan
from agent.planner import plan_zone
from agent.render_plan import change_lines, plan_json
from agent.take_over import parse_take_over, require_backup
from agent.update_builder import build_messages
from tests.planner.test_planner import DHCP_LAPTOP, EXT_FORGE, OWNER, ZONE, desired
from tests.planner.zonetext import snapshot

NS = dns.rdatatype.NS
A = dns.rdatatype.A
APEX = ZONE
KEY = parse_key_text("hmac-sha256:update:" + "A" * 43 + "=")


def n(text: str) -> dns.name.Name:
    return dns.name.from_text(text)


def plan(
    zone_text: str,
    records: list[tuple[str, str, str] | tuple[str, str, str, int]],
    take_over: set[tuple[dns.name.Name, dns.rdatatype.RdataType]],
) -> ZonePlan:
    return plan_zone(
        ZONE, desired(*records), snapshot("internal.", zone_text), OWNER, 300, take_over=take_over
    )


HAND_NS = "@ 3600 NS ns0.internal.\nns0 3600 A 10.0.0.53\n"
THREE_NS = [
    ("@", "NS", "ns0.internal.", 3600),
    ("@", "NS", "ns1.internal.", 3600),
    ("@", "NS", "ns2.internal.", 3600),
]


def test_without_take_over_differing_data_is_a_conflict_naming_the_flag() -> None:
    p = plan(HAND_NS, list(THREE_NS), set())
    assert [c.kind for c in p.conflicts] == [ConflictKind.DIFFERS]
    assert "--take-over internal/NS" in p.conflicts[0].detail
    assert p.in_sync


def test_take_over_replaces_the_data_and_marks_it() -> None:
    p = plan(HAND_NS, list(THREE_NS), {(APEX, NS)})
    assert p.conflicts == ()
    [change] = p.changes
    assert change.action is Action.TAKE_OVER
    assert change.add_marker
    assert change.current is not None
    assert change.desired is not None
    assert {rd.to_text() for rd in change.current} == {"ns0.internal."}
    assert {rd.to_text() for rd in change.desired} == {
        "ns0.internal.",
        "ns1.internal.",
        "ns2.internal.",
    }
    assert p.owned_after == p.owned_before + 1
    assert p.counts()[Action.TAKE_OVER] == 1
    # shown as its own kind of change, old -> new
    [line] = change_lines(change, ZONE)
    assert line.startswith("^ @ NS 3600 ns0.internal. → 3600 ns0.internal. | ns1.internal.")
    assert " take-over" in line
    as_json = plan_json(p)["changes"][0]
    assert as_json["action"] == "take-over"
    assert as_json["before"] == {"ttl": 3600, "data": ["ns0.internal."]}


def test_take_over_message_requires_exactly_what_was_read() -> None:
    zone_text = "www 600 A 10.0.0.7\nwww 600 A 10.0.0.8\n"
    p = plan(zone_text, [("www", "A", "10.0.0.80")], {(n("www.internal."), A)})
    [message] = build_messages(p, KEY)
    text = message.to_text()
    prereq = [rr.to_text() for rr in message.prerequisite]
    # value-dependent "RRset exists" with the whole RRset as read, and the marker absent
    assert prereq == [
        "nix.www.internal. NONE ANY",  # the marker name held nothing
        "www.internal. 0 IN A 10.0.0.7",
        "www.internal. 0 IN A 10.0.0.8",
        "www.internal. NONE CNAME",
        # the claim state as read: no DHCID, no registry TXT of ExternalDNS's
        # default layout (legacy: the TXT at the name itself; a-www, aaaa-www, ...)
        "www.internal. NONE DHCID",
        "www.internal. NONE TXT",
        *(f"{t}-www.internal. NONE TXT" for t in TYPE_TOKENS),
    ]
    # TTL differs: the RRset is deleted and re-added whole, with our marker
    assert "www.internal. ANY A\n" in text
    assert "www.internal. 300 IN A 10.0.0.80" in text
    assert '"heritage=nix,managed-by=routy,type=A"' in text
    assert isinstance(message, dns.update.UpdateMessage)


@pytest.mark.parametrize(
    ("zone_text", "name", "kind"),
    [
        pytest.param(DHCP_LAPTOP, "laptop", ConflictKind.DHCP, id="dhcp"),
        pytest.param(EXT_FORGE, "forge", ConflictKind.EXTERNAL_DNS, id="external-dns"),
        pytest.param(
            'host 300 A 10.0.0.9\nnix.host 300 TXT "heritage=nix,managed-by=other,type=A"\n',
            "host",
            ConflictKind.OTHER_OWNER,
            id="other-owner",
        ),
    ],
)
def test_other_writers_are_never_taken_over(zone_text: str, name: str, kind: ConflictKind) -> None:
    p = plan(zone_text, [(name, "A", "10.0.0.200")], {(n(f"{name}.internal."), A)})
    assert p.changes == ()
    [conflict] = p.conflicts
    assert conflict.kind is kind
    assert f"take-over refused: {kind} conflicts are never taken over" in conflict.detail


def test_take_over_of_matching_data_is_a_plain_adopt_and_of_ours_a_no_op() -> None:
    p = plan("ns1 300 A 10.1.0.53\n", [("ns1", "A", "10.1.0.53")], {(n("ns1.internal."), A)})
    assert [c.action for c in p.changes] == [Action.ADOPT]
    ours = 'ns1 300 A 10.1.0.53\nnix.ns1 300 TXT "heritage=nix,managed-by=routy,type=A"\n'
    assert plan(ours, [("ns1", "A", "10.1.0.53")], {(n("ns1.internal."), A)}).in_sync


@given(st.sampled_from(["10.0.0.1", "10.0.0.2", "10.9.9.9"]), st.booleans())
def test_take_over_only_touches_the_named_rrset(data: str, named: bool) -> None:
    zone_text = "a 300 A 10.0.0.3\nb 300 A 10.0.0.3\n"
    take = {(n("a.internal."), A)} if named else set()
    p = plan(zone_text, [("a", "A", data), ("b", "A", data)], take)
    changed = {c.name.to_text() for c in p.changes if c.action is Action.TAKE_OVER}
    assert changed == ({"a.internal."} if named else set())
    assert all(c.name != n("b.internal.") or c.kind is ConflictKind.DIFFERS for c in p.conflicts)


DECLARED = {(n("internal."), NS), (n("ns0.internal."), A)}


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["internal/NS"], {(n("internal."), NS)}),
        (["internal./ns", "NS0.internal/A"], DECLARED),
        ([], set()),
    ],
)
def test_parse_take_over(texts: list[str], expected: set[object]) -> None:
    assert parse_take_over(texts, DECLARED) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("internal", "expected NAME/TYPE"),
        ("/NS", "expected NAME/TYPE"),
        ("internal/NOPE", "not a record type"),
        ("ns9.internal/A", "declares no A RRset at ns9.internal."),
        ("@/NS", "declares no NS RRset"),
    ],
)
def test_parse_take_over_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_take_over([text], DECLARED)


def test_a_real_take_over_needs_a_backup_directory() -> None:
    with pytest.raises(UsageError, match="--backup-dir"):
        require_backup(["internal/NS"], dry_run=False, backup_dir=None)
    require_backup(["internal/NS"], dry_run=True, backup_dir=None)
    require_backup([], dry_run=False, backup_dir=None)
