"""UPDATE messages built from plans, compared with known-good section text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dns.name
import dns.opcode
import dns.rdataclass
import dns.rdatatype
import dns.update
import pytest

from agent.external_dns import TYPE_TOKENS
from agent.keyfile import TsigKey, parse_key_text
from agent.plan import ZonePlan
from agent.planner import plan_zone
from agent.update_builder import MessageTooBigError, build_batches, build_messages, tsig_size
from tests.agent.helpers import desired, document, rec, snapshot, too_big_for_one_message

KEY: TsigKey = parse_key_text("hmac-sha256:update:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0")
ZONE = dns.name.from_text("internal.")
NS = "@ 3600 NS ns0.internal.\n" + 'nix 300 TXT "heritage=nix,managed-by=routy,type=NS"\n'
NS_REC = rec("@", "NS", "ns0.internal.", 3600)


def marker(name: str, rtype: str) -> str:
    return f'nix.{name} 300 TXT "heritage=nix,managed-by=routy,type={rtype}"\n'


def plan(zone_text: str, records: Sequence[dict[str, Any]], *, adopt: bool = True) -> ZonePlan:
    want = desired(document({"internal": records}))
    return plan_zone(
        ZONE, want.records, snapshot("internal.", zone_text), want.owner, 300, adopt=adopt
    )


def sections(msg: dns.update.UpdateMessage) -> tuple[list[str], list[str]]:
    """Each section as one line per RR (dnspython may keep RRs of one RRset apart)."""
    return (
        [line for rrset in msg.prerequisite for line in rrset.to_text().splitlines()],
        [line for rrset in msg.update for line in rrset.to_text().splitlines()],
    )


def claims(fqdn: str, free: bool) -> list[str]:
    """The claim state as read pinned for a change at `fqdn` in a zone without
    DHCP or ExternalDNS records: no DHCID and no TXT at the name itself
    (ExternalDNS's legacy registry name under its default layout) -- both
    covered by "name not in use" when the name held nothing -- and no TXT at
    a-<name>, aaaa-<name>, ... (none outside the zone)."""
    first, _, rest = fqdn.partition(".")
    typed = [f"{t}-{first}.{rest}" for t in TYPE_TOKENS] if rest != "" else []
    own = [] if free else [f"{fqdn} NONE DHCID", f"{fqdn} NONE TXT"]
    return [*own, *(f"{n} NONE TXT" for n in typed)]


def one(p: ZonePlan) -> tuple[list[str], list[str]]:
    """The message's sections, its prerequisite section without the claim pins
    (checked here: they close the section, once per changed name, none that
    a prerequisite before them already pins)."""
    messages = build_messages(p, KEY)
    assert len(messages) == 1
    pre, upd = sections(messages[0])
    free = {line.split()[0] for line in pre if line.endswith(" NONE ANY")}
    pinned = {c.name.to_text() for c in p.changes if c.rdtype == dns.rdatatype.TXT}
    pinned |= {c.marker_name.to_text() for c in p.changes if c.add_marker or c.remove_marker}
    names = dict.fromkeys(c.name.to_text() for c in p.changes if not c.release_only)
    expected = [
        line
        for name in names
        for line in claims(name, name in free)
        if " DHCID" in line or line.split()[0] not in pinned
    ]
    assert pre[len(pre) - len(expected) :] == expected
    return pre[: len(pre) - len(expected)], upd


def test_add_guards_absence_and_adds_record_with_marker() -> None:
    pre, upd = one(plan(NS, [NS_REC, rec("www", "A", "10.0.0.80")]))
    # both names held nothing as read: "name not in use" covers the RRset,
    # a CNAME, a DHCID and the legacy registry TXT there, and the marker TXT
    assert pre == ["www.internal. NONE ANY", "nix.www.internal. NONE ANY"]
    assert upd == [
        "www.internal. 300 IN A 10.0.0.80",
        'nix.www.internal. 300 IN TXT "heritage=nix,managed-by=routy,type=A"',
    ]


def test_cname_add_at_an_empty_name_requires_name_not_in_use() -> None:
    pre, upd = one(plan(NS, [NS_REC, rec("dns", "CNAME", "ns0")]))
    assert pre == ["dns.internal. NONE ANY", "nix.dns.internal. NONE ANY"]
    assert upd == [
        "dns.internal. 300 IN CNAME ns0.internal.",
        'nix.dns.internal. 300 IN TXT "heritage=nix,managed-by=routy,type=CNAME"',
    ]


def test_cname_replacing_owned_a_deletes_first_and_guards_the_a_rrset() -> None:
    zone = NS + "www 300 A 10.0.0.80\n" + marker("www", "A")
    pre, upd = one(plan(zone, [NS_REC, rec("www", "CNAME", "ns0")]))
    assert pre == [
        "www.internal. 0 IN A 10.0.0.80",
        'nix.www.internal. 0 IN TXT "heritage=nix,managed-by=routy,type=A"',
        "www.internal. NONE CNAME",
    ]
    assert upd == [
        'nix.www.internal. 0 NONE TXT "heritage=nix,managed-by=routy,type=A"',
        "www.internal. ANY A",
        "www.internal. 300 IN CNAME ns0.internal.",
        'nix.www.internal. 300 IN TXT "heritage=nix,managed-by=routy,type=CNAME"',
    ]


def test_delete_removes_rrset_and_only_our_marker_rr() -> None:
    zone = (
        NS
        + "old 300 A 10.0.0.9\nold 300 AAAA fd00::9\n"
        + marker("old", "A")
        + marker("old", "AAAA")
    )
    pre, upd = one(plan(zone, [NS_REC, rec("old", "AAAA", "fd00::9")]))
    assert pre == [
        "old.internal. 0 IN A 10.0.0.9",
        'nix.old.internal. 0 IN TXT "heritage=nix,managed-by=routy,type=A"',
        'nix.old.internal. 0 IN TXT "heritage=nix,managed-by=routy,type=AAAA"',
    ]
    assert upd == [
        'nix.old.internal. 0 NONE TXT "heritage=nix,managed-by=routy,type=A"',
        "old.internal. ANY A",
    ]


def test_update_adds_missing_before_deleting_surplus() -> None:
    zone = NS + "www 300 A 10.0.0.80\nwww 300 A 10.0.0.81\n" + marker("www", "A")
    pre, upd = one(plan(zone, [NS_REC, rec("www", "A", "10.0.0.80"), rec("www", "A", "10.0.0.82")]))
    assert pre == [
        "www.internal. 0 IN A 10.0.0.80",
        "www.internal. 0 IN A 10.0.0.81",
        "www.internal. NONE CNAME",
    ]
    assert upd == ["www.internal. 300 IN A 10.0.0.82", "www.internal. 0 NONE A 10.0.0.81"]


def test_ttl_only_change_replaces_the_whole_rrset_in_one_message() -> None:
    zone = NS + "www 300 A 10.0.0.80\n" + marker("www", "A")
    pre, upd = one(plan(zone, [NS_REC, rec("www", "A", "10.0.0.80", 60)]))
    assert pre == ["www.internal. 0 IN A 10.0.0.80", "www.internal. NONE CNAME"]
    assert upd == ["www.internal. ANY A", "www.internal. 60 IN A 10.0.0.80"]


def test_adopt_adds_only_the_marker_guarded_by_both_rrsets() -> None:
    zone = NS + "ns1 300 A 10.1.0.53\n" + 'nix.ns1 300 TXT "note"\n'
    pre, upd = one(plan(zone, [NS_REC, rec("ns1", "A", "10.1.0.53")]))
    assert pre == ["ns1.internal. 0 IN A 10.1.0.53", 'nix.ns1.internal. 0 IN TXT "note"']
    assert upd == ['nix.ns1.internal. 300 IN TXT "heritage=nix,managed-by=routy,type=A"']


def test_adopt_with_other_ttl_replaces_rrset() -> None:
    zone = NS + "ns1 600 A 10.1.0.53\n"
    pre, upd = one(plan(zone, [NS_REC, rec("ns1", "A", "10.1.0.53")]))
    assert pre == [
        "nix.ns1.internal. NONE ANY",
        "ns1.internal. 0 IN A 10.1.0.53",
        "ns1.internal. NONE CNAME",
    ]
    assert upd == [
        "ns1.internal. ANY A",
        "ns1.internal. 300 IN A 10.1.0.53",
        'nix.ns1.internal. 300 IN TXT "heritage=nix,managed-by=routy,type=A"',
    ]


def test_apex_ns_release_only_drops_the_marker() -> None:
    zone = "@ 3600 NS ns0.internal.\n" + 'nix 300 TXT "heritage=nix,managed-by=routy,type=NS"\n'
    pre, upd = one(plan(zone, [rec("www", "A", "10.0.0.80")]))
    assert pre[0] == 'nix.internal. 0 IN TXT "heritage=nix,managed-by=routy,type=NS"'
    assert upd[0] == 'nix.internal. 0 NONE TXT "heritage=nix,managed-by=routy,type=NS"'
    assert not any(line.startswith("internal.") for line in pre + upd)


def test_apex_ns_shrink_never_empties_the_rrset() -> None:
    zone = NS.replace("@ 3600 NS ns0.internal.\n", "@ 3600 NS ns0.internal.\n@ 3600 NS ns1.\n")
    pre, upd = one(plan(zone, [NS_REC]))
    assert pre == ["internal. 0 IN NS ns0.internal.", "internal. 0 IN NS ns1."]
    assert upd == ["internal. 0 NONE NS ns1."]


def test_txt_with_spaces_quotes_backslashes_is_kept_exactly() -> None:
    data = '"hello world" "say \\"hi\\"" "back\\\\slash"'
    _pre, upd = one(plan(NS, [NS_REC, rec("t", "TXT", data)]))
    assert upd[0] == f"t.internal. 300 IN TXT {data}"


def test_messages_are_written_unsigned_with_their_key_for_send_time() -> None:
    p = plan(NS, [NS_REC, rec("www", "A", "10.0.0.80")])
    [batch] = build_batches(p, KEY)
    assert batch.key == KEY  # agent.dns_io signs with it as it sends
    msg = batch.message()
    assert msg.tsig is None
    assert msg.opcode() == dns.opcode.UPDATE
    assert msg.zone[0].name == ZONE
    assert msg.zone[0].rdtype == dns.rdatatype.SOA
    assert msg.zone[0].rdclass == dns.rdataclass.IN
    assert batch.size == len(batch.wire) + tsig_size(KEY)


def test_in_sync_plan_builds_no_message() -> None:
    zone = NS + "www 300 A 10.0.0.80\n" + marker("www", "A")
    assert build_messages(plan(zone, [NS_REC, rec("www", "A", "10.0.0.80")]), KEY) == []


def test_large_plans_split_between_names_never_within_one() -> None:
    records = [NS_REC]
    for i in range(3000):
        records.append(rec(f"h{i}", "A", f"10.{i // 250}.{i % 250}.1"))
        if i % 3 == 0:
            records.append(rec(f"h{i}", "AAAA", f"fd00::{i:x}"))
    p = plan(NS, records)
    messages = build_messages(p, KEY)
    assert len(messages) > 1
    seen: set[dns.name.Name] = set()
    for msg in messages:
        assert len(msg.to_wire()) <= 65_535
        names = {rrset.name for rrset in msg.update if rrset.name.labels[0] != b"nix"}
        assert not names & seen, "a name's changes were split across messages"
        seen |= names
        markers = {rrset.name for rrset in msg.update if rrset.name.labels[0] == b"nix"}
        assert markers == {dns.name.Name((b"nix", *name.labels)) for name in names}
    assert len(seen) == 3000
    total = sum(len(rrset) for msg in messages for rrset in msg.update)
    assert total == 2 * len(p.changes)


def test_one_name_too_big_for_a_message_is_an_error() -> None:
    records = [NS_REC, *too_big_for_one_message("big")]
    with pytest.raises(MessageTooBigError, match=r"big\.internal\."):
        build_messages(plan(NS, records), KEY)


DNSKEY = (
    "@ 3600 DNSKEY 256 3 13 dmz4+DsYT4Ipp8FUmc8HxhoohH6CTjkVpv7OrU8RecfL5XF1xujQ6lI3Fx0q"
    "0F7lRFr0lZ5Dv3Q5Ri+Sbcb4VQ==\n"
)


@pytest.mark.parametrize("signed", [True, False])
def test_cname_swap_deletes_signatures_only_in_a_signed_zone(signed: bool) -> None:
    """Issue 9, input 4: Knot keeps a name's RRSIG/NSEC when its data goes and
    then drops a CNAME added there; in a signed zone the swap deletes them."""
    zone = NS + "www 300 A 10.0.0.80\n" + marker("www", "A") + (DNSKEY if signed else "")
    swap = plan(zone, [NS_REC, rec("www", "CNAME", "web.internal.")])
    assert swap.signed is signed
    _, updates = sections(build_messages(swap, KEY)[0])
    signatures = [u for u in updates if " RRSIG" in u or " NSEC" in u]
    assert signatures == (["www.internal. ANY RRSIG", "www.internal. ANY NSEC"] if signed else [])
    # no swap, no signature deletes
    plain = plan(zone, [NS_REC, rec("www", "A", "10.0.0.81")])
    _, updates = sections(build_messages(plain, KEY)[0])
    assert not [u for u in updates if " RRSIG" in u or " NSEC" in u]
