"""The publish state file and which owners retire (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.errors import InputError
from agent.published_owners import Published, read_state, retirements, write_state, zone_key


def p(owner: str, zone: str = "internal", prefix: str = "nix") -> Published:
    return Published(owner, zone, prefix)


@pytest.mark.parametrize(
    ("previous", "current", "retired"),
    [
        pytest.param([], [p("a")], [], id="first-run"),
        pytest.param([p("a"), p("b")], [p("a")], [p("b")], id="host-removed"),
        pytest.param(
            [p("a"), p("a", "10.in-addr.arpa")],
            [p("a")],
            [p("a", "10.in-addr.arpa")],
            id="zone-left",
        ),
        # the old prefix's markers are found only under it: retire them (t11 item 7)
        pytest.param(
            [p("a", prefix="old")],
            [p("a", prefix="nix")],
            [p("a", prefix="old")],
            id="prefix-changed",
        ),
        pytest.param([p("a")], [], [p("a")], id="all-gone"),
    ],
)
def test_retirements(
    previous: list[Published], current: list[Published], retired: list[Published]
) -> None:
    assert retirements(previous, current) == retired


pairs = st.lists(
    st.builds(Published, st.sampled_from("abc"), st.sampled_from(["x", "y"]), st.just("nix"))
)


@given(pairs, pairs)
def test_a_current_pair_never_retires(previous: list[Published], current: list[Published]) -> None:
    retired = retirements(previous, current)
    assert not set(retired) & set(current)
    assert set(retired) <= set(previous)


@given(pairs, pairs)
def test_every_recorded_triple_is_kept_or_retired(
    previous: list[Published], current: list[Published]
) -> None:
    assert set(previous) <= set(current) | set(retirements(previous, current))


def test_state_round_trip_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "state.json"
    assert read_state(path) == []
    write_state(path, [p("b"), p("a", "Internal."), p("a", "10.in-addr.arpa")])
    assert sorted(read_state(path)) == [p("a", "10.in-addr.arpa"), p("a"), p("b")]
    assert zone_key("Internal.") == "internal"


def test_one_owner_under_two_prefixes_keeps_both(tmp_path: Path) -> None:
    # while the old prefix's markers are retired, both are recorded
    path = tmp_path / "state.json"
    write_state(path, [p("a", prefix="nix"), p("a", prefix="dns"), p("a", "10.in-addr.arpa")])
    assert sorted(read_state(path)) == sorted(
        [p("a", prefix="nix"), p("a", prefix="dns"), p("a", "10.in-addr.arpa")]
    )


def test_a_version_1_state_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(
        '{"version": 1, "owners": {"a": {"prefix": "nix", "zones": ["internal", "x"]}}}'
    )
    assert sorted(read_state(path)) == [p("a"), p("a", "x")]


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"version": 3, "published": []}',
        '{"version": 2, "owners": {}}',
        '{"version": 2, "published": [{"prefix": "nix", "zones": ["internal"]}]}',
        '{"version": 1}',
        '{"version": 1, "owners": {"a": {"prefix": "nix", "zones": "internal"}}}',
    ],
)
def test_a_damaged_state_file_is_one_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(text)
    with pytest.raises(
        InputError, match=r"publish state file .* nothing applied\. Fix it, or remove"
    ):
        read_state(path)
