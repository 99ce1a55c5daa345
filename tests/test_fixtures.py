"""The real-server fixtures themselves: they start, persist updates, and stop by PID."""

from __future__ import annotations

import os

import pytest

from agent.keyfile import load_key_file
from tests.fixtures.kea import KeaDdns
from tests.fixtures.knot import ZONES, KeyForm, KnotFactory, KnotServer
from tests.fixtures.writers import Writers

pytestmark = pytest.mark.knot


def test_knot_serves_the_three_zones(knot: KnotServer) -> None:
    for zone in ZONES:
        lines = knot.axfr(zone)
        assert "\tSOA\t" in lines[0]
        assert any("\tNS\tns0.internal." in line for line in lines)
    assert any(line.startswith("ns0.internal.") for line in knot.axfr("internal"))


def test_key_files_in_all_forms_load_to_the_fixture_key(knot: KnotServer) -> None:
    forms: tuple[KeyForm, ...] = ("bind", "keymgr", "one-line")
    for form in forms:
        assert load_key_file(knot.key_file(form)) == knot.tsig_key


def test_updates_survive_restart_and_kill9(knot: KnotServer) -> None:
    serial = knot.serial("internal")
    knot.add_records("internal", ["persist 300 A 10.9.9.9"])
    assert knot.serial("internal") != serial
    knot.restart()
    assert any(line.startswith("persist.internal.") for line in knot.axfr("internal"))
    knot.kill9()
    knot.start()
    assert any(line.startswith("persist.internal.") for line in knot.axfr("internal"))


def test_other_key_is_denied_outside_its_zone(knot: KnotServer) -> None:
    denied = knot.knsupdate("internal", ["add x 300 A 10.0.0.1"], key="other", check=False)
    assert denied.returncode != 0
    assert "BADKEY" in denied.stdout + denied.stderr
    knot.knsupdate("s3.garage.internal", ["add x 300 A 10.0.0.1"], key="other")


def test_nsupdate_writes(knot: KnotServer) -> None:
    knot.nsupdate("internal", ['update add hand.internal. 600 TXT "made by hand"'])
    assert any("made by hand" in line for line in knot.axfr("internal"))


def test_stop_is_by_pid_and_leaves_no_process(knot_factory: KnotFactory) -> None:
    server = knot_factory(tcp_io_timeout_ms=2000)
    pid = server.pid
    assert pid is not None
    server.stop()
    assert server.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_writers_external_dns_both_formats_and_other_owner(
    knot: KnotServer, writers: Writers
) -> None:
    writers.external_dns("internal", "forge", data=["10.0.0.80"])
    writers.external_dns(
        "internal",
        "blog.apps",
        rtype="CNAME",
        data=["forge.internal."],
        marker_format="current",
        encrypted=True,
    )
    writers.other_owner("internal", "printer", "A", ["10.0.0.9"])
    writers.hand_made("internal", ['hand 600 TXT "made \\"by\\" hand"'])
    lines = knot.axfr("internal")
    text = "\n".join(lines)
    assert "k8s.a-forge.internal." in text
    assert "k8s.forge.internal." in text
    assert "heritage=external-dns,external-dns/owner=default" in text
    assert "k8s.cname-blog.apps.internal." in text
    assert "nix.printer.internal." in text
    assert "heritage=nix,managed-by=otherhost,type=A" in text
    assert '"made \\"by\\" hand"' in text


@pytest.mark.kea
def test_kea_adds_and_removes_lease_with_dhcid(knot: KnotServer, kea: KeaDdns) -> None:
    kea.add_lease("laptop.internal.", "10.0.0.42")
    forward = [line for line in knot.axfr("internal") if line.startswith("laptop.internal.")]
    assert {line.split()[3] for line in forward} == {"A", "DHCID"}
    reverse = [line for line in knot.axfr("10.in-addr.arpa") if line.startswith("42.0.0.10.")]
    assert {line.split()[3] for line in reverse} == {"PTR", "DHCID"}
    kea.remove_lease("laptop.internal.", "10.0.0.42")
    assert not any(line.startswith("laptop.internal.") for line in knot.axfr("internal"))
