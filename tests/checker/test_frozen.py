"""Model and RDATA value objects are frozen, slotted dataclasses with one
construction path: assigning or deleting a field raises FrozenInstanceError
(an AttributeError), and what a document builds equals what the constructors
build."""

from __future__ import annotations

import copy
import ipaddress
import pickle
from dataclasses import FrozenInstanceError
from typing import Any

import pytest

from checker.model import Record, build_desired
from checker.names import DomainName, ParsedName, parse_name
from checker.rdata import T_A, T_AAAA, Address, Target, parse_rdata

ZONE = DomainName((b"internal",))


def _doc() -> Any:
    return {
        "version": 1,
        "owner": {"prefix": "nix", "managedBy": "test"},
        "zones": {
            "internal": {
                "records": [
                    {"name": "h1", "type": "A", "data": "10.0.0.1", "source": "s"},
                    {"name": "h1", "type": "AAAA", "data": "fd00::1", "source": "s"},
                    {"name": "www", "type": "CNAME", "data": "h1", "source": "s"},
                    {"name": "h2", "type": "A", "data": " 10.0.0.2 ", "ttl": 60},
                ]
            }
        },
    }


def _records() -> tuple[Record, ...]:
    desired, problems = build_desired(_doc(), "doc.json")
    assert not problems
    return desired.records


def _assert_frozen(obj: object, fields: tuple[str, ...]) -> None:
    for field in fields:
        value = getattr(obj, field)
        with pytest.raises(FrozenInstanceError):
            setattr(obj, field, value)
        with pytest.raises(AttributeError):
            delattr(obj, field)
        assert getattr(obj, field) == value
    # Python 3.11's frozen slotted dataclasses raise TypeError here (CPython
    # gh-90055), later versions AttributeError: either way nothing is added.
    with pytest.raises((AttributeError, TypeError)):
        obj.extra = 1  # type: ignore[attr-defined]
    params = getattr(type(obj), "__dataclass_params__")  # noqa: B009
    assert params.frozen
    assert not hasattr(obj, "__dict__")


RECORD_FIELDS = (
    "zone",
    "owner",
    "rtype",
    "ttl",
    "rdata",
    "source",
    "document",
    "managed_by",
    "written_name",
    "written_data",
)


def test_record_is_frozen() -> None:
    records = _records()
    assert len(records) == 4
    for record in records:
        assert type(record) is Record
        _assert_frozen(record, RECORD_FIELDS)
    built = Record(*(getattr(records[0], f) for f in RECORD_FIELDS))
    assert built == records[0]
    assert hash(built) == hash(records[0])
    _assert_frozen(built, RECORD_FIELDS)


def test_domain_name_is_frozen() -> None:
    for name in (ZONE, parse_name("a.b", ZONE).name, parse_name("x.y.", ZONE).name):
        assert type(name) is DomainName
        name.to_text()
        _assert_frozen(name, ("labels",))
    assert parse_name("a.b", ZONE).name == DomainName((b"a", b"b", b"internal"))


def test_parsed_name_is_frozen() -> None:
    for text in ("@", "a.b", "x.y.", "weird\\.label"):
        parsed = parse_name(text, ZONE)
        assert type(parsed) is ParsedName
        _assert_frozen(parsed, ("name", "absolute", "written"))
    _assert_frozen(ParsedName(ZONE, True, "internal."), ("name", "absolute", "written"))


def test_address_is_frozen() -> None:
    for rtype, text in ((T_A, "10.0.0.1"), (T_A, " 10.0.0.1 "), (T_AAAA, "fd00::1")):
        rdata = parse_rdata(rtype, text, ZONE)
        assert type(rdata) is Address
        _assert_frozen(rdata, ("key",))
    built = Address.of(ipaddress.IPv4Address("10.0.0.1"))
    assert built == parse_rdata(T_A, "10.0.0.1", ZONE)
    _assert_frozen(built, ("key",))


def test_target_is_frozen() -> None:
    records = _records()
    target = records[2].rdata
    assert type(target) is Target
    _assert_frozen(target, ("target",))
    built = Target(parse_name("h1", ZONE))
    assert built == target
    _assert_frozen(built, ("target",))


def test_frozen_objects_copy_and_pickle() -> None:
    for obj in (*_records(), ZONE, parse_name("a", ZONE), _records()[0].rdata):
        assert copy.copy(obj) == obj
        assert copy.deepcopy(obj) == obj
        assert pickle.loads(pickle.dumps(obj)) == obj
