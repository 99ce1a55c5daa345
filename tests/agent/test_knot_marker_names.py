"""Where our marker cannot go (against a real knotd and Kea DHCP-DDNS): a
marker name holding a CNAME or a DHCID is a conflict found before anything is
sent, and a name whose marker name would exceed 255 octets is refused in one
clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.fixtures.kea import KeaDdns
from tests.fixtures.knot import KnotFactory, KnotServer

pytestmark = pytest.mark.knot

NS = rec("@", "NS", "ns0.internal.", 3600)


def _rrs(knot: KnotServer, zone: str) -> set[str]:
    return {" ".join(line.split()) for line in knot.axfr(zone)[1:]}


def test_a_cname_at_the_apex_marker_name_is_a_conflict_before_sending(
    knot_factory: KnotFactory, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A host alias ``nix CNAME ...`` holds the apex marker name: the apex MX
    is a conflict (never an unmarked MX and a misleading verification error)."""
    zone = "lan.test"
    knot = knot_factory(
        zones=(zone,),
        extra_records={zone: ["nix 300 IN CNAME builder.lan.test.", "builder 300 IN A 10.0.0.60"]},
    )
    agent = AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)
    path = write_document(
        tmp_path / "d.json",
        document({zone: [NS, rec("@", "MX", "10 mail.lan.test."), rec("mail", "A", "10.0.0.25")]}),
    )
    for _ in range(2):  # and the next run is the same, not a failure
        code, out, err = agent("apply", path)
        assert code == 0, err
        assert "marker-occupied" in out + err, out + err
        assert "holds a CNAME" in out + err, out + err
    rrs = _rrs(knot, zone)
    assert not any(" MX " in rr for rr in rrs), rrs
    assert "mail.lan.test. 300 IN A 10.0.0.25" in rrs
    assert "nix.lan.test. 300 IN CNAME builder.lan.test." in rrs
    code, out, err = agent("apply", path, "--on-conflict", "fail")
    assert code == 3, err


def test_a_dhcp_client_named_like_the_prefix_keeps_its_name(
    knot: KnotServer, kea: KeaDdns, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Kea registered a client called ``nix`` first: our apex marker would
    go into Kea's name; it is a conflict, and Kea's records stay as they are."""
    zone = "internal"
    kea.add_lease("nix.internal.", "10.0.0.77")
    before = {rr for rr in _rrs(knot, zone) if rr.startswith("nix.internal.")}
    assert any(" DHCID " in rr for rr in before), before
    agent = AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)
    path = write_document(
        tmp_path / "d.json", document({zone: [rec("@", "MX", "10 mail.internal.")]})
    )
    code, out, err = agent("apply", path)
    assert code == 0, err
    assert "marker-occupied" in out + err, out + err
    assert "holds a DHCID" in out + err, out + err
    after = {rr for rr in _rrs(knot, zone) if rr.startswith("nix.internal.")}
    assert after == before


def test_a_name_whose_marker_name_is_too_long_is_one_clear_line(
    knot: KnotServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    zone = "internal"
    name = ".".join(["a" * 63, "a" * 63, "a" * 63, "a" * 50])  # 253 octets in `internal`
    agent = AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)
    path = write_document(tmp_path / "d.json", document({zone: [rec(name, "A", "10.0.0.9")]}))
    before = knot.axfr(zone)
    for command in ("plan", "apply"):
        code, _, err = agent(command, path)
        assert code == 1, err
        assert "marker-name-length" in err, err
        assert "unexpected" not in err, err
    assert knot.axfr(zone) == before
