"""The seed's migration, end to end: nothing the user had may be lost.

A zone that grew by hand (`knotc zone-set`-style records), with Kea DHCP-DDNS
leases and ExternalDNS endpoints beside it, is classified; the static
candidates are pasted as Nix, rendered by nix/lib.nix, checked, planned and
applied. The first apply may only *adopt* (add markers): every RR the zone
held before is still there, byte for byte, and a second plan is in sync.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.kea import KeaDdns
from tests.fixtures.knot import KnotServer
from tests.fixtures.writers import Writers
from tests.nix.nixrun import lib_expr, nix_eval, nix_path, requires_nix

pytestmark = [pytest.mark.knot, pytest.mark.kea, pytest.mark.nix, requires_nix]

REPO = Path(__file__).resolve().parents[1]
ZONES = ("internal", "10.in-addr.arpa", "s3.garage.internal")

# What an operator typed over the years (TTLs as a zone file would have them).
HAND_MADE = {
    "internal": [
        "@ 3600 NS ns1.internal.",
        "ns1 3600 A 10.1.0.53",
        "routy 300 A 10.0.0.1",
        "dns 300 CNAME ns0.internal.",
        "@ 300 MX 10 mail.internal.",
        "mail 300 A 10.0.0.25",
        '@ 300 TXT "v=spf1 mx -all"',
        '_dmarc 300 TXT "v=DMARC1; p=reject; rua=mailto:postmaster@internal"',
        "_sip._tcp 300 SRV 0 5 5060 routy.internal.",
        '@ 300 CAA 0 issue "letsencrypt.org"',
        "*.apps 300 A 10.1.0.7",
    ],
    "10.in-addr.arpa": [
        "53.0.0 300 PTR ns0.internal.",
        "53.0.1 300 PTR ns1.internal.",
        "1.0.0 300 PTR routy.internal.",
    ],
}


def _agent(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent", *args], capture_output=True, text=True, check=False
    )


def _zones(knot: KnotServer) -> dict[str, set[str]]:
    """Every RR of every zone, SOA left out (its serial moves)."""
    return {zone: {line for line in knot.axfr(zone) if "\tSOA\t" not in line} for zone in ZONES}


def test_classify_paste_render_check_apply_adopts_and_loses_nothing(
    knot: KnotServer, kea: KeaDdns, writers: Writers, tmp_path: Path
) -> None:
    for zone, lines in HAND_MADE.items():
        knot.add_records(zone, lines)
    kea.add_lease("laptop.internal.", "10.0.0.42")
    kea.add_lease("printer.internal.", "10.0.0.15")
    writers.external_dns("internal", "forge", data=("10.1.0.5",), resource="ingress/forgejo/forge")
    writers.external_dns("internal", "argocd", data=("10.1.0.5",), marker_format="old")
    before = _zones(knot)
    server = knot.agent_options("bind")

    # 1. classify each zone and paste the static candidates as Nix
    snippets = {}
    for zone in ZONES:
        out = _agent("classify", *server, "--zone", zone, "--format", "nix")
        assert out.returncode == 0, out.stderr
        path = tmp_path / f"{zone}.nix"
        path.write_text(out.stdout)
        snippets[zone] = path
    pasted = "; ".join(f'"{zone}" = import {nix_path(p)}' for zone, p in snippets.items())

    # 2. render with nix/lib.nix, as the module does, and check it
    document = nix_eval(lib_expr(f'lib.render {{ zones = {{ {pasted}; }}; managedBy = "routy"; }}'))
    names = {r["name"] for r in document["zones"]["internal"]["records"]}
    assert {"laptop", "printer", "forge", "argocd"}.isdisjoint(names), "foreign names pasted"
    assert {"routy", "dns", "mail", "_sip._tcp", "*.apps", "@"} <= names
    desired = tmp_path / "desired.json"
    desired.write_text(json.dumps(document))
    check = subprocess.run(
        [sys.executable, "-m", "checker", str(desired)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr

    # 3. plan: adoption only, no conflicts, nothing else
    plan = _agent("plan", "--desired", str(desired), *server, "--json")
    assert plan.returncode == 4, plan.stderr
    zones = json.loads(plan.stdout)["zones"]
    for zone in zones:
        assert zone["conflicts"] == [], zone["conflicts"]
        assert {c["action"] for c in zone["changes"]} <= {"adopt"}, zone["changes"]
    assert sum(len(z["changes"]) for z in zones) >= len(HAND_MADE["internal"])

    # 4. apply, with a backup; every RR that was there is still there
    backups = tmp_path / "backups"
    applied = _agent("apply", "--desired", str(desired), *server, "--backup-dir", str(backups))
    assert applied.returncode == 0, applied.stderr
    after = _zones(knot)
    for zone in ZONES:
        assert before[zone] <= after[zone], before[zone] - after[zone]
        added = after[zone] - before[zone]
        assert all('\tTXT\t"heritage=nix,managed-by=routy,type=' in rr for rr in added), added
    # every zone got markers, so every zone was backed up first
    assert sorted(p.name.split("-2")[0] for p in backups.iterdir()) == sorted(ZONES)

    # 5. in sync now; and the DHCP leases still come and go untouched
    again = _agent("plan", "--desired", str(desired), *server)
    assert again.returncode == 0, again.stdout + again.stderr
    kea.remove_lease("laptop.internal.", "10.0.0.42")
    assert not any(rr.startswith("laptop.internal.") for rr in knot.axfr("internal"))
    assert _agent("plan", "--desired", str(desired), *server).returncode == 0


# scanner: hostname only; 10.0.0.17: address only; printer: both
KEA_RESERVATIONS = REPO / "tests" / "agent_support" / "kea" / "reservations-dhcp4.conf"


def test_classify_nix_snippet_passes_the_checker_as_pasted(
    knot: KnotServer, tmp_path: Path
) -> None:
    """Kea reservations and hand-made data at a marker name: the snippets of
    both zones, pasted as they are, render and pass dns-static-check."""
    knot.add_records(
        "internal",
        [
            "@ 3600 NS ns1.internal.",
            "ns1 3600 A 10.1.0.53",
            "routy 300 A 10.0.0.1",
            "scanner 300 A 10.0.0.16",  # hostname-only reservation
            "camera 300 A 10.0.0.17",  # address-only reservation: the client names itself
            "printer 300 A 10.0.0.15",
            'nix.printer 3600 TXT "printer note"',  # hand-made, at a marker name
        ],
    )
    knot.add_records(
        "10.in-addr.arpa",
        [
            "1.0.0 300 PTR routy.internal.",
            "16.0.0 300 PTR scanner.internal.",
            "17.0.0 300 PTR camera.internal.",
            "15.0.0 300 PTR printer.internal.",
        ],
    )
    server = knot.agent_options("bind")
    kea = ["--kea-config", str(KEA_RESERVATIONS), "--managed-by", "routy"]
    pasted = []
    for zone in ("internal", "10.in-addr.arpa"):
        out = _agent("classify", *server, *kea, "--zone", zone, "--format", "nix")
        assert out.returncode == 0, out.stderr
        path = tmp_path / f"{zone}.nix"
        path.write_text(out.stdout)
        pasted.append(f'"{zone}" = import {nix_path(path)}')

    document = nix_eval(
        lib_expr(f'lib.render {{ zones = {{ {"; ".join(pasted)}; }}; managedBy = "routy"; }}')
    )
    desired = tmp_path / "desired.json"
    desired.write_text(json.dumps(document))
    check = subprocess.run(
        [sys.executable, "-m", "checker", str(desired)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "error[" not in check.stdout + check.stderr
    # what Kea may write stayed out
    names = {
        zone: {r["name"] for r in document["zones"][zone]["records"]}
        for zone in ("internal", "10.in-addr.arpa")
    }
    assert {"ns1", "routy"} <= names["internal"]
    assert {"scanner", "camera", "printer", "nix.printer"}.isdisjoint(names["internal"])
    assert "1.0.0" in names["10.in-addr.arpa"]
    assert {"15.0.0", "16.0.0", "17.0.0"}.isdisjoint(names["10.in-addr.arpa"])
    # the record at the marker name is listed apart, for the user to rename
    snippet = (tmp_path / "internal.nix").read_text()
    assert '#   nix.printer.internal. 3600 TXT "printer note"' in snippet
