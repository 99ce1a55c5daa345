"""Immutable value classes without the cost of frozen dataclasses.

A value class keeps its fields in ``__slots__`` of a plain base class and
refuses assignment and deletion (like a frozen dataclass, it raises
:class:`dataclasses.FrozenInstanceError`, an AttributeError). Constructors set
the fields through the slot descriptors; the hot loops instead fill a
*draft*: a mutable sibling class with the same slots, which becomes the value
class once complete (``draft.__class__ = Value``). Drafts never escape the
function that builds them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import FrozenInstanceError
from typing import Any, NoReturn


def frozen_setattr(self: object, name: str, value: object) -> NoReturn:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def frozen_delattr(self: object, name: str) -> NoReturn:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def slot_setter(cls: type, field: str) -> Callable[[object, Any], None]:
    """The function that sets ``field`` of an instance of ``cls``, bypassing
    the class's refusal (for constructors)."""
    setter: Callable[[object, Any], None] = getattr(cls, field).__set__
    return setter
