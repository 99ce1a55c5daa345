"""`classify --kea-config`: Kea's configuration syntax as Kea itself accepts it
(the files under kea/ pass `kea-dhcp4 -t` / `kea-dhcp6 -t`), reserved names
filed under DHCP (issue 11)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import dns.name
import dns.rdatatype
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.classify import classify_snapshot
from agent.cli import main
from agent.kea_config import (
    KeaConfigError,
    KeaReserved,
    kea_reserved,
    load_kea_config,
    read_reservations,
    reserved_names,
    strip_comments,
)
from tests.agent_support.snapshots import SOA_LINE, snapshot_from_text
from tests.fixtures.knot import KnotServer, require_tool

KEA = Path(__file__).resolve().parent / "kea"
V4 = KEA / "kea-dhcp4.conf"
V6 = KEA / "kea-dhcp6.conf"
RESERVATIONS_V4 = KEA / "reservations-dhcp4.conf"
RESERVATIONS_V6 = KEA / "reservations-dhcp6.conf"


def _names(*paths: Path) -> set[str]:
    return {name.to_text() for name in reserved_names(read_reservations(list(paths)))}


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ('{"a": 1} # hash comment', {"a": 1}),
        ('{"a": 1} // slash comment', {"a": 1}),
        ('{/* block\n "b": 2, */ "a": 1}', {"a": 1}),
        ('{"a": "x # y // z /* w */"}', {"a": "x # y // z /* w */"}),
        ('{"a": "quote \\" # still string"}', {"a": 'quote " # still string'}),
        ('{"a": [1, 2, ], "b": {"c": 3, }, }', {"a": [1, 2], "b": {"c": 3}}),
        ('{"a": ", ]"}', {"a": ", ]"}),
    ],
)
def test_strip_comments(text: str, data: Any) -> None:
    assert json.loads(strip_comments(text)) == data


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_plain_json_reads_unchanged(value: Any) -> None:
    """Whatever strings hold (comment markers, commas, brackets) is data."""
    assert json.loads(strip_comments(json.dumps(value))) == value


def test_comment_keeps_error_positions() -> None:
    text = '{\n/* one\ntwo */\n"a": 1,\n"b" 2}'
    with pytest.raises(json.JSONDecodeError) as info:
        json.loads(strip_comments(text))
    assert info.value.lineno == 5


@pytest.mark.parametrize(
    ("daemon", "path"),
    [
        ("kea-dhcp4", V4),
        ("kea-dhcp6", V6),
        ("kea-dhcp4", RESERVATIONS_V4),
        ("kea-dhcp6", RESERVATIONS_V6),
    ],
)
def test_kea_itself_accepts_the_test_files(daemon: str, path: Path, tmp_path: Path) -> None:
    """The syntax we read is Kea's: Kea's own config check passes on these files."""
    tool = require_tool(daemon, f"{daemon}-server")
    env = dict(os.environ, KEA_PIDFILE_DIR=str(tmp_path), KEA_LOCKFILE_DIR=str(tmp_path))
    # Kea resolves <?include?> against its working directory
    proc = subprocess.run(
        [tool, "-t", path.name], cwd=KEA, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_dhcp4_reservations_with_suffixes() -> None:
    assert _names(V4) == {
        # global, qualified with the global suffix
        "printer.internal.",
        "15.0.0.10.in-addr.arpa.",
        # subnet
        "nas.internal.",
        "20.0.0.10.in-addr.arpa.",
        # fully qualified (trailing dot): as written
        "tv.media.internal.",
        "21.0.0.10.in-addr.arpa.",
        # comment markers inside a string are data, not comments
        "url-in-string.internal.",
        # shared network: its own suffix
        "scope.lab.internal.",
        "7.0.9.10.in-addr.arpa.",
    }


def test_dhcp6_reservations_subnet_suffix_and_include() -> None:
    names = _names(V6)
    assert "ns6.v6.internal." in names
    assert "phone.internal." in names  # from the included file
    assert any(n.endswith("ip6.arpa.") and n.startswith("3.5.0.0.") for n in names)


def test_dotted_name_without_trailing_dot_is_reserved_both_ways(tmp_path: Path) -> None:
    path = tmp_path / "kea.conf"
    path.write_text(
        '{"Dhcp4": {"ddns-qualifying-suffix": "internal", "reservations": '
        '[{"hw-address": "aa:bb:cc:dd:ee:ff", "hostname": "cam.garden"}]}}'
    )
    assert _names(path) == {"cam.garden.internal.", "cam.garden."}


def test_kea_shipped_example_configs_read() -> None:
    """Debian's kea-dhcp4/6 packages ship heavily commented example files."""
    shipped = [Path("/etc/kea/kea-dhcp4.conf"), Path("/etc/kea/kea-dhcp6.conf")]
    if not all(p.exists() for p in shipped):
        pytest.skip("Kea's example configuration files are not installed")
    names = _names(*shipped)
    assert "special-snowflake." in names
    assert "foo.example.com." in names


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"Dhcp4": {"subnet4": [ }}', "line 1 column"),
        ('{"Dhcp4": {} /* never closed', "never closed"),
        ('{"DhcpDdns": {}}', "no Dhcp4 or Dhcp6"),
        ("[]", "no Dhcp4 or Dhcp6"),
    ],
)
def test_unusable_files_are_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "kea.conf"
    path.write_text(text)
    with pytest.raises(KeaConfigError, match=message):
        load_kea_config(path)


def test_missing_file_and_include(tmp_path: Path) -> None:
    with pytest.raises(KeaConfigError, match="cannot read Kea configuration"):
        load_kea_config(tmp_path / "absent.conf")
    path = tmp_path / "kea.conf"
    path.write_text('{"Dhcp4": {<?include "gone.json"?>}}')
    with pytest.raises(KeaConfigError, match=r"gone\.json"):
        load_kea_config(path)


COMMENTED_INCLUDES = """\
// <?include "/nonexistent/kea-slash.json"?>
{
  "Dhcp4": {
    # <?include "/nonexistent/kea-hash.json"?>
    /* an old layout:
       <?include "/nonexistent/kea-block.json"?> */
    "interfaces-config": { "interfaces": [ ] },
    "ddns-qualifying-suffix": "internal",
    "reservations": [
      { "hw-address": "aa:bb:cc:dd:ee:01", "hostname": "cam",
        "user-context": { "note": "<?include \\"/nonexistent/in-a-string.json\\"?>" } }
    ]
  }
}
"""


def test_commented_out_includes_are_ignored_as_kea_does(tmp_path: Path) -> None:
    """Kea's lexer strips comments before it sees a directive, and a directive
    inside a string is data: the file loads, no include is read."""
    path = tmp_path / "kea-dhcp4.conf"
    path.write_text(COMMENTED_INCLUDES)
    config = load_kea_config(path)
    note = config["Dhcp4"]["reservations"][0]["user-context"]["note"]
    assert note == '<?include "/nonexistent/in-a-string.json"?>'
    assert _names(path) == {"cam.internal."}


def test_kea_itself_ignores_commented_out_includes(tmp_path: Path) -> None:
    tool = require_tool("kea-dhcp4", "kea-dhcp4-server")
    path = tmp_path / "kea-dhcp4.conf"
    path.write_text(COMMENTED_INCLUDES)
    env = dict(os.environ, KEA_PIDFILE_DIR=str(tmp_path), KEA_LOCKFILE_DIR=str(tmp_path))
    proc = subprocess.run(
        [tool, "-t", str(path)], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_an_include_in_a_comment_of_an_included_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "hosts.json").write_text(
        '// <?include "/nonexistent/deeper.json"?>\n'
        '{ "hw-address": "aa:bb:cc:dd:ee:02", "hostname": "tv" } # <?include "x"?>\n'
    )
    path = tmp_path / "kea-dhcp4.conf"
    path.write_text(
        '{"Dhcp4": {"ddns-qualifying-suffix": "internal",\n'
        ' "reservations": [ <?include "hosts.json"?> ]}}'
    )
    assert _names(path) == {"tv.internal."}


def _reserved() -> KeaReserved:
    """scanner: hostname only; 10.0.0.17, fd00::17: address only; printer: both."""
    return kea_reserved(read_reservations([RESERVATIONS_V4, RESERVATIONS_V6]))


def _categories(zone_text: str, origin: str, reserved: KeaReserved) -> dict[tuple[str, str], str]:
    snapshot = snapshot_from_text(SOA_LINE.format(serial=1) + "\n" + zone_text, origin)
    return {
        (e.name.to_text(), dns.rdatatype.to_text(e.rdtype)): e.category.value
        for e in classify_snapshot(snapshot, "nix", reserved=reserved)
        if e.rdtype != dns.rdatatype.SOA
    }


def test_ptr_to_a_reserved_host_name_is_dhcp() -> None:
    """Kea writes a hostname-only host's PTR at whatever address it leases:
    a PTR pointing at the reserved name belongs with its forward name."""
    zone = "16.0.0 PTR scanner.internal.\n1.0.0 PTR routy.internal.\n"
    got = _categories(zone, "10.in-addr.arpa.", _reserved())
    assert got == {
        ("16.0.0.10.in-addr.arpa.", "PTR"): "dhcp",
        ("1.0.0.10.in-addr.arpa.", "PTR"): "static-candidate",
    }


def test_address_of_a_reservation_without_hostname_is_dhcp() -> None:
    """Without a reserved hostname the client names itself: any A/AAAA at
    the reserved address (and its PTR) is Kea's to write."""
    zone = (
        "camera A 10.0.0.17\ncam6 AAAA fd00::17\nboth A 10.0.0.17\nboth A 10.0.0.90\n"
        "alias A 10.0.0.15\nrouty A 10.0.0.1\n"
    )
    reserved = _reserved()
    got = _categories(zone, "internal.", reserved)
    assert got == {
        ("camera.internal.", "A"): "dhcp",
        ("cam6.internal.", "AAAA"): "dhcp",
        ("both.internal.", "A"): "dhcp",
        # a reservation with a hostname: Kea writes only that name
        ("alias.internal.", "A"): "static-candidate",
        ("routy.internal.", "A"): "static-candidate",
    }
    snapshot = snapshot_from_text(SOA_LINE.format(serial=1) + "\n" + zone, "internal.")
    [camera] = [
        e
        for e in classify_snapshot(snapshot, "nix", reserved=reserved)
        if e.name.to_text() == "camera.internal."
    ]
    assert "10.0.0.17 is reserved in Kea" in camera.detail
    assert "hw-address aa:bb:cc:dd:ee:17, address only" in camera.detail
    reverse = _categories("17.0.0 PTR camera.internal.\n", "10.in-addr.arpa.", reserved)
    assert reverse == {("17.0.0.10.in-addr.arpa.", "PTR"): "dhcp"}


@pytest.mark.knot
def test_classify_files_reserved_hosts_under_dhcp(
    knot: KnotServer, capsys: pytest.CaptureFixture[str]
) -> None:
    knot.add_records("internal", ["printer 600 A 10.0.0.15", "legacy 600 A 10.0.0.99"])
    knot.add_records("10.in-addr.arpa", ["15.0.0 600 PTR printer.internal."])
    common = knot.agent_options("bind")

    def classify(zone: str, *extra: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["classify", *common, "--zone", zone, *extra])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, err = classify("internal", "--format", "json", "--kea-config", str(V4))
    assert code == 0, err
    rows = {(row["name"], row["type"]): row for row in json.loads(out)}
    assert rows[("printer.internal.", "A")]["category"] == "dhcp"
    assert "reserved in Kea" in rows[("printer.internal.", "A")]["detail"]
    assert "hw-address aa:bb:cc:dd:ee:01" in rows[("printer.internal.", "A")]["detail"]
    assert rows[("legacy.internal.", "A")]["category"] == "static-candidate"
    # the Nix snippet leaves the reserved host out
    code, out, _ = classify("internal", "--format", "nix", "--kea-config", str(V4))
    assert code == 0
    assert "legacy" in out
    assert "printer" not in out
    # both files at once; the reverse name of the reserved address too
    code, out, _ = classify("10.in-addr.arpa", "--kea-config", str(V4), "--kea-config", str(V6))
    assert code == 0
    dhcp = out.split("== DHCP")[1].split("==")[0]
    assert "15.0.0.10.in-addr.arpa." in dhcp
    # without --kea-config the hand-made printer is a static candidate
    code, out, _ = classify("internal", "--format", "nix")
    assert "printer" in out


@pytest.mark.knot
def test_bad_kea_file_fails_before_reading_the_zone(
    knot: KnotServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "kea.conf"
    bad.write_text('{"Dhcp4": {"subnet4": [ }}')
    code = main(
        ["classify", *knot.agent_options("bind"), "--zone", "internal", "--kea-config", str(bad)]
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert "kea.conf is not a Kea configuration (line 1 column" in err


def test_names_are_absolute() -> None:
    for name in reserved_names(read_reservations([V4, V6])):
        assert name.is_absolute()
        assert isinstance(name, dns.name.Name)
