"""`agent.rrset_limits`: an RRset is written only if a later change of it
fits one message; its measure never falls short of the message the TTL
change really takes."""

from __future__ import annotations

import dns.name
import pytest

from agent.keyfile import TsigKey, parse_key_text
from agent.plan import ZonePlan
from agent.planner import plan_zone
from agent.rrset_limits import check_changeable
from agent.update_builder import MessageTooBigError, build_batches
from checker.check import check_documents
from checker.document import validate_shape
from checker.model import Owner, Record
from tests.agent.helpers import desired, document, rec, snapshot

KEY: TsigKey = parse_key_text("hmac-sha512:update:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0")
ZONE = dns.name.from_text("internal.")
NS = "@ 3600 NS ns0.internal.\n" + 'nix 300 TXT "heritage=nix,managed-by=routy,type=NS"\n'
NS_REC = rec("@", "NS", "ns0.internal.", 3600)
OWNER: Owner = desired(document({"internal": [NS_REC]})).owner
OWNER_MARKER = 'nix.big 300 TXT "heritage=nix,managed-by=routy,type=TXT"\n'


def txt(i: int) -> str:
    return f'"{i:05d}{"x" * 250}" "{i}"'


def records(count: int, ttl: int) -> list[Record]:
    """Declared records, also where the checker's `rrset-size` refuses them
    (the agent must hold on its own)."""
    doc = document({"internal": [NS_REC, *(rec("big", "TXT", txt(i), ttl) for i in range(count))]})
    report = check_documents([("t.json", validate_shape(doc, "t.json"))])
    assert {p.rule for p in report.problems} <= {"rrset-size", "ns-glue-missing"}
    return list(report.desireds[0].records)


def _refusal(plan: ZonePlan) -> str | None:
    try:
        check_changeable(plan, KEY)
    except MessageTooBigError as refused:
        return str(refused)
    return None


@pytest.mark.parametrize("count", [100, 112, 114, 116, 118, 119, 120, 125, 130, 200])
def test_an_rrset_passes_only_if_its_ttl_change_fits(count: int) -> None:
    add = plan_zone(ZONE, records(count, 300), snapshot("internal.", NS), OWNER, 300)
    refused = _refusal(add)
    if refused is not None:
        assert "big.internal." in refused
        assert "Split the data" in refused
        return
    written = NS + OWNER_MARKER + "".join(f"big 300 TXT {txt(i)}\n" for i in range(count))
    later = plan_zone(ZONE, records(count, 600), snapshot("internal.", written), OWNER, 300)
    assert later.changes
    build_batches(later, KEY)  # never raises once the add passed
    build_batches(plan_zone(ZONE, records(0, 300), snapshot("internal.", written), OWNER, 300), KEY)


def test_a_refusal_comes_before_any_message_is_built() -> None:
    add = plan_zone(ZONE, records(130, 300), snapshot("internal.", NS), OWNER, 300)
    assert len(build_batches(add, KEY)) == 1  # it would fit the message adding it
    with pytest.raises(MessageTooBigError, match=r"too big to change or remove once written"):
        check_changeable(add, KEY)
