"""The planner spells names without dnspython where no escape is needed."""

from __future__ import annotations

import dns.name
from hypothesis import given
from hypothesis import strategies as st

from agent.planner import _text_of

LABEL = st.binary(min_size=1, max_size=20) | st.text('aZ09-_*.\\ "', min_size=1, max_size=12).map(
    lambda text: text.encode()
)


@given(st.lists(LABEL, min_size=0, max_size=4))
def test_text_of_spells_names_as_dnspython_does(labels: list[bytes]) -> None:
    name = dns.name.Name((*labels, b""))
    assert _text_of(name) == name.to_text(omit_final_dot=True).lower()
