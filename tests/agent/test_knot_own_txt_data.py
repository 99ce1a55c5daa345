"""Our own TXT data against a real knotd: a TXT RRset our marker covers is
ours while it is declared, however it looks. Declared base64 text (a
WireGuard key, a long token) is never read as another writer's encrypted
registry record claiming its own name, so the name stays changeable; an
encrypted-looking text the document does not declare still claims the name,
even inside a TXT RRset we own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.fixtures.knot import KnotServer

pytestmark = pytest.mark.knot

NS = rec("@", "NS", "ns0.internal.", 3600)
NS0 = rec("ns0", "A", "10.0.0.53", 3600)
WIREGUARD_KEY = '"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="'  # 32 bytes
# as long as an encrypted registry record (96 bytes): only our marker tells
LONG_TOKEN = '"' + "c2lnbmF0dXJl" * 8 + '"'


@pytest.fixture
def agent(knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> AgentRun:
    return AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)


def rrs(knot: KnotServer) -> set[str]:
    """The zone's RRs without the SOA, whitespace normalised."""
    return {" ".join(line.split()) for line in knot.axfr("internal")[1:]}


def doc_file(tmp_path: Path, name: str, records: list[dict[str, Any]]) -> Path:
    return write_document(tmp_path / name, document({"internal": [NS, NS0, *records]}))


@pytest.mark.parametrize("token", [WIREGUARD_KEY, LONG_TOKEN], ids=["wireguard-key", "long"])
def test_our_base64_txt_never_locks_its_name(
    knot: KnotServer, agent: AgentRun, tmp_path: Path, token: str
) -> None:
    first = doc_file(tmp_path, "one.json", [rec("vpn", "A", "10.0.0.9"), rec("vpn", "TXT", token)])
    code, _, err = agent("apply", first)
    assert code == 0, err

    changed = doc_file(
        tmp_path, "two.json", [rec("vpn", "A", "10.0.0.10"), rec("vpn", "TXT", token)]
    )
    code, _, err = agent("apply", changed)
    assert code == 0, err
    assert "conflict" not in err.lower(), err
    assert "vpn.internal. 300 IN A 10.0.0.10" in rrs(knot)

    code, _, err = agent("apply", doc_file(tmp_path, "none.json", []), "--force")
    assert code == 0, err
    left = [rr for rr in rrs(knot) if rr.startswith("vpn.internal.")]
    if token == WIREGUARD_KEY:  # too short for an encrypted registry record
        assert not left, rrs(knot)
    else:
        # No longer declared, a text as long as an encrypted registry record
        # cannot be told from one (an ExternalDNS may have added it): kept.
        assert f"vpn.internal. 300 IN TXT {token}" in left, rrs(knot)


# base64 of 64 bytes: what ExternalDNS's --txt-encrypt writes is at least 48
ENCRYPTED_REGISTRY = '"' + "QUJD" * 21 + "QQ==" + '"'


def test_an_encrypted_registry_text_added_to_our_txt_rrset_is_never_deleted(
    knot: KnotServer, agent: AgentRun, tmp_path: Path
) -> None:
    """An ExternalDNS of the legacy layout adds its (encrypted) registry
    record to the TXT RRset at the name itself, which is ours: the next run
    must see a claim, not our data, and delete or adopt nothing of it."""
    declared = doc_file(tmp_path, "one.json", [rec("forge", "TXT", '"v=spf1 -all"')])
    code, _, err = agent("apply", declared)
    assert code == 0, err
    knot.add_records("internal", ["forge 300 A 10.0.0.7", f"forge 300 TXT {ENCRYPTED_REGISTRY}"])
    before = rrs(knot)

    code, out, err = agent("apply", declared)
    assert "forge" in out + err, out + err
    assert "conflict" in (out + err).lower(), out + err
    assert rrs(knot) == before
    code, out, err = agent("apply", doc_file(tmp_path, "none.json", []), "--force")
    assert f"forge.internal. 300 IN TXT {ENCRYPTED_REGISTRY}" in rrs(knot), out + err
    assert "forge.internal. 300 IN A 10.0.0.7" in rrs(knot), out + err
