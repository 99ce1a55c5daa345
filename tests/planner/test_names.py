"""Owner names as keys and text (agent.names): the same answers as dnspython's
own `Name` methods, for every label a zone can hold (escapes included)."""

from __future__ import annotations

import dns.name
import dns.rdatatype
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.names import NameMap, name_key, relative_text, text
from agent.ownership import RRsetKeys

# labels of any octets: letters of both cases, digits and every escaped byte
_LABEL = st.binary(min_size=1, max_size=12) | st.from_regex(rb"\A[A-Za-z0-9-]{1,12}\Z")
_NAMES = st.lists(_LABEL, min_size=0, max_size=4).map(lambda ls: dns.name.Name((*ls, b"")))
_ZONES = st.sampled_from(["internal.", "Lan.Test.", "."]).map(dns.name.from_text)


@given(_NAMES, st.booleans())
def test_text_is_to_text(name: dns.name.Name, omit: bool) -> None:
    assert text(name, omit) == name.to_text(omit)


@given(st.lists(_LABEL, min_size=1, max_size=4))
def test_text_of_relative_names(labels: list[bytes]) -> None:
    name = dns.name.Name(labels)
    assert text(name) == name.to_text()


@given(_NAMES, _ZONES)
def test_relative_text_is_relativize(name: dns.name.Name, zone: dns.name.Name) -> None:
    below = dns.name.Name((*name.labels[:-1], *zone.labels))
    for candidate in (name, below, zone):
        if candidate == zone:
            expected = "@"
        elif candidate.is_subdomain(zone):
            expected = candidate.relativize(zone).to_text()
        else:
            expected = candidate.to_text()
        assert relative_text(candidate, zone) == expected


@given(_NAMES)
def test_keys_ignore_case_as_names_do(name: dns.name.Name) -> None:
    upper = dns.name.Name(tuple(label.upper() for label in name.labels))
    assert (name == upper) == (name_key(name) == name_key(upper))
    names = NameMap([(name, 1)])
    assert upper in names
    assert names[upper] == 1
    keys = RRsetKeys([(name, dns.rdatatype.A)])
    assert (upper, dns.rdatatype.A) in keys
    assert (upper, dns.rdatatype.AAAA) not in keys


def test_a_map_made_for_some_names_refuses_others() -> None:
    www, mail = dns.name.from_text("www.internal."), dns.name.from_text("mail.internal.")
    names = NameMap.keyed({name_key(www): (www, None)}, scope={name_key(www)})
    assert www in names
    with pytest.raises(LookupError):
        _ = mail in names
