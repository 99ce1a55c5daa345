"""ExternalDNS registry names, inverted (agent.external_dns): table and property
tests against the forward mapping `RegistryLayout.txt_name` (after ExternalDNS's
``AffixNameMapper.ToTXTName``)."""

from __future__ import annotations

import dns.name
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.external_dns import Layout, any_readings, layouts_of, readings, registry_names
from agent.ownership import analyse, is_external_dns
from checker.document import InputError, validate_shape
from checker.model import Owner
from tests.agent.helpers import snapshot
from tests.fixtures.writers import RegistryLayout

ZONE = "lan.test"
TYPES = ["A", "AAAA", "CNAME", "MX", "SRV", "TXT", "NS"]

label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
names = st.one_of(
    st.just("@"),
    st.lists(label, min_size=1, max_size=3).map(".".join),
    st.lists(label, min_size=1, max_size=2).map(lambda ls: "*." + ".".join(ls)),
)
affix = st.sampled_from(
    ["", "k8s.", "edns-", "%{record_type}-", "%{record_type}-abc-.", "k8s.%{record_type}.", "x"]
)
suffix = st.sampled_from(["-edns", "-.%{record_type}", "%{record_type}", "-x.y"])


@st.composite
def layouts(draw: st.DrawFn) -> RegistryLayout:
    if draw(st.booleans()):
        return RegistryLayout(
            prefix=draw(affix),
            wildcard_replacement=draw(st.sampled_from(["", "any", "wild"])),
        )
    return RegistryLayout(
        suffix=draw(suffix),
        wildcard_replacement=draw(st.sampled_from(["", "any"])),
        zone_aware=draw(st.booleans()),
    )


def absolute(name: str) -> str:
    return ZONE if name == "@" else f"{name}.{ZONE}"


def marker_abs(txt: str) -> str:
    return ZONE if txt == "@" else txt.rstrip(".") if txt.endswith(".") else f"{txt}.{ZONE}"


@settings(max_examples=400, deadline=None)
@given(layouts(), names, st.sampled_from(TYPES), st.booleans())
def test_configured_layout_reads_back_the_name(
    layout: RegistryLayout, name: str, rtype: str, legacy: bool
) -> None:
    txt = layout.txt_name(name, None if legacy else rtype, ZONE)
    if txt.endswith("."):
        return  # outside the zone (e.g. the apex without a dotted prefix): not in our AXFR
    mine = Layout.of(layout.prefix, layout.suffix, layout.wildcard_replacement)
    claimed = {n for n, _ in readings(mine, marker_abs(txt), ZONE)}
    assert absolute(name) in claimed, (txt, claimed)


@settings(max_examples=400, deadline=None)
@given(layouts(), names, st.sampled_from(TYPES), st.booleans())
def test_registry_names_hold_every_name_external_dns_writes_and_only_claiming_ones(
    layout: RegistryLayout, name: str, rtype: str, legacy: bool
) -> None:
    """The names a change's prerequisites pin (t11 #2): every registry name
    ExternalDNS writes for `name` under the layout, and each of them claims it."""
    mine = Layout.of(layout.prefix, layout.suffix, layout.wildcard_replacement)
    pinned = registry_names(mine, absolute(name), ZONE)
    txt = layout.txt_name(name, None if legacy else rtype, ZONE)
    if not txt.endswith(".") and ".." not in txt:  # in the zone, and a domain name
        assert marker_abs(txt) in pinned, (txt, pinned)
    for registry in pinned:
        assert registry == ZONE or registry.endswith("." + ZONE)
        assert all(0 < len(part) <= 63 for part in registry.split("."))
        claimed = {n for n, _ in readings(mine, registry, ZONE)}
        assert absolute(name) in claimed, (registry, claimed)


@settings(max_examples=400, deadline=None)
@given(layouts(), names, st.sampled_from(TYPES), st.booleans())
def test_fail_safe_covers_every_layout_but_never_the_apex(
    layout: RegistryLayout, name: str, rtype: str, legacy: bool
) -> None:
    txt = layout.txt_name(name, None if legacy else rtype, ZONE)
    if txt.endswith("."):
        return
    guessed = any_readings(marker_abs(txt), ZONE)
    assert ZONE not in guessed
    if name != "@":
        assert absolute(name) in guessed, (txt, sorted(guessed))


@pytest.mark.parametrize(
    ("layout", "marker", "claimed"),
    [
        (Layout(), "a-forge.lan.test", {"forge.lan.test", "a-forge.lan.test"}),
        (Layout(), "forge.lan.test", {"forge.lan.test"}),
        (Layout.of(prefix="k8s."), "k8s.a-forge.lan.test", {"forge.lan.test", "a-forge.lan.test"}),
        (Layout.of(prefix="K8S."), "k8s.forge.lan.test", {"forge.lan.test"}),
        (Layout.of(prefix="k8s."), "k8s.lan.test", {"lan.test"}),  # legacy apex marker
        (Layout.of(prefix="%{record_type}-abc-."), "cname-abc-.www.lan.test", {"www.lan.test"}),
        (
            Layout.of(suffix="-edns"),
            "a-forge-edns.lan.test",
            {"forge.lan.test", "a-forge.lan.test"},
        ),
        (Layout.of(suffix="-.%{record_type}"), "www-.cname.lan.test", {"www.lan.test"}),
        (
            Layout.of(prefix="k8s.", wildcard_replacement="any"),
            "k8s.a-any.apps.lan.test",
            {"any.apps.lan.test", "a-any.apps.lan.test", "*.apps.lan.test"},
        ),
        (Layout.of(prefix="k8s."), "a-forge.lan.test", set()),  # not this layout's
    ],
)
def test_readings_table(layout: Layout, marker: str, claimed: set[str]) -> None:
    assert {n for n, _ in readings(layout, marker, ZONE)} == claimed


def test_fail_safe_never_claims_the_apex_by_stripping_a_label() -> None:
    for marker in ("a-forge.lan.test", "k8s.lan.test", "forge.lan.test", "x.y.lan.test"):
        assert ZONE not in any_readings(marker, ZONE)
    assert "y.lan.test" in any_readings("x.y.lan.test", ZONE)


def test_layout_refuses_prefix_and_suffix() -> None:
    with pytest.raises(ValueError, match="not both"):
        Layout("a", "b")


def _doc(external: object) -> dict[str, object]:
    return {
        "version": 1,
        "owner": {"prefix": "nix", "managedBy": "routy"},
        "externalDns": external,
        "zones": {},
    }


def test_document_layouts() -> None:
    shaped = validate_shape(
        _doc({"layouts": [{"prefix": "K8S."}, {"suffix": "-e", "wildcardReplacement": "any"}]}),
        "d.json",
    )
    assert layouts_of(shaped) == (Layout("k8s."), Layout("", "-e", "any"))
    del shaped["externalDns"]
    assert layouts_of(shaped) == (Layout(),)


@pytest.mark.parametrize(
    ("external", "message"),
    [
        ([], "must be an object"),
        ({"layouts": {}}, "must be an object"),
        ({"layouts": [{"prefx": "k8s."}]}, "unknown key"),
        ({"layouts": [{"prefix": 1}]}, "must be a string"),
        ({"layouts": [{"prefix": "a", "suffix": "b"}]}, "only one of them"),
    ],
)
def test_document_layouts_rejected(external: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        validate_shape(_doc(external), "d.json")


@pytest.mark.parametrize(
    "text",
    [
        "heritage=external-dns,external-dns/owner=a",
        '"heritage=external-dns,external-dns/owner=a"',
        "Heritage=External-DNS,external-dns/owner=a",
    ],
)
def test_registry_text_is_read_as_external_dns_reads_it(text: str) -> None:
    assert is_external_dns(text)


def test_two_instances_with_their_own_layouts() -> None:
    zone_snapshot = snapshot(
        "lan.test.",
        "forge 300 A 10.0.0.40\n"
        'k8s.a-forge 300 TXT "heritage=external-dns,external-dns/owner=a"\n'
        "www 300 CNAME forge.lan.test.\n"
        'cname-www-edns 300 TXT "heritage=external-dns,external-dns/owner=b"\n'
        "mine 300 A 10.0.0.7\n",
    )
    layouts = (Layout("k8s."), Layout(suffix="-edns"))
    own = analyse(zone_snapshot, Owner("nix", "routy"), layouts)
    assert {n.to_text() for n in own.external_dns} >= {"forge.lan.test.", "www.lan.test."}
    assert "mine.lan.test." not in {n.to_text() for n in own.external_dns}
    assert own.unfit_markers == ()
    own = analyse(zone_snapshot, Owner("nix", "routy"), (Layout("k8s."),))
    assert [m.to_text() for m in own.unfit_markers] == ["cname-www-edns.lan.test."]
    assert "www.lan.test." in {n.to_text() for n in own.external_dns}


def test_a_plan_keeps_claims_for_its_names_only_and_refuses_other_questions() -> None:
    """A plan's analysis answers as the zone-wide one for the desired names and
    the names we own, reads every marker for `unfit_markers`, and raises for a
    name it was not asked about (never "not claimed")."""
    zone_snapshot = snapshot(
        "lan.test.",
        "forge 300 A 10.0.0.40\n"
        'a-forge 300 TXT "heritage=external-dns,external-dns/owner=a"\n'
        "other 300 A 10.0.0.41\n"
        'a-other 300 TXT "heritage=external-dns,external-dns/owner=a"\n'
        'k8s.a-odd 300 TXT "heritage=external-dns,external-dns/owner=c"\n'
        "odd 300 A 10.0.0.42\n"
        "mine 300 A 10.0.0.7\n"
        'nix.mine 300 TXT "heritage=nix,managed-by=routy,type=A"\n',
    )
    owner = Owner("nix", "routy")
    wide = analyse(zone_snapshot, owner)
    desired = [dns.name.from_text(n) for n in ("forge.lan.test.", "new.lan.test.", "odd.lan.test.")]
    planned = analyse(zone_snapshot, owner, desired_names=desired, planned_names_only=True)
    mine = dns.name.from_text("mine.lan.test.")
    for name in (*desired, mine):
        assert (name in planned.external_dns) == (name in wide.external_dns)
        assert (name in planned.external_dns_guessed) == (name in wide.external_dns_guessed)
    assert dns.name.from_text("odd.lan.test.") in planned.external_dns_guessed
    assert planned.unfit_markers == wide.unfit_markers
    assert set(planned.markers) == set(wide.markers)
    with pytest.raises(LookupError):
        _ = dns.name.from_text("other.lan.test.") in planned.external_dns
    assert dns.name.from_text("other.lan.test.") in wide.external_dns
