"""ExternalDNS's TXT registry layouts: which names one registry TXT record claims. Pure.

ExternalDNS (``registry/txt``, ``registry/mapper`` ``AffixNameMapper``) keeps
its ownership of an endpoint ``<name>`` of type ``<T>`` in a TXT record named

    host, domain = <name> split at its first dot
                   (with --domain-filter: host = everything left of the zone)
    host  = R             if host is "*" and --txt-wildcard-replacement=R
    host  = t + "-" + host  unless prefix or suffix holds %{record_type}
    name  = P(t) + host + S(t) + "." + domain

where ``t`` is the lower-case type, ``P``/``S`` are ``--txt-prefix`` and
``--txt-suffix`` (mutually exclusive; ``%{record_type}`` inside them becomes
``t``). Versions before 0.18 also wrote the *legacy* form without the type,
``P + host + S + "." + domain``: with neither prefix nor suffix that is the
record's own name. Defaults: no prefix, no suffix, no wildcard replacement.

`readings` inverts that mapping for one configured `Layout`; `any_readings`
is the fail-safe for a marker that fits no configured layout: every name it
could stand for under any prefix, suffix, type token or wildcard
replacement -- except the zone apex, which `apex_types` covers: there a
marker claims only the types it can name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from checker import registry_names as _names
from checker.document import DocumentJSON
from checker.registry_names import in_zone as _in_zone
from checker.registry_names import join as _join
from checker.registry_names import registry_names as _registry_names

TEMPLATE = _names.TEMPLATE
#: Type tokens ExternalDNS puts into registry names (`checker.registry_names`).
TYPE_TOKENS = _names.TYPE_TOKENS

#: A reading: a claimed name (lower-case text, no final dot) and the type the
#: marker names, or None for a legacy marker (any type at the name).
Reading = tuple[str, str | None]


@dataclass(frozen=True, slots=True)
class Layout:
    """One ExternalDNS instance's registry settings (its ``--txt-*`` flags)."""

    prefix: str = ""
    suffix: str = ""
    wildcard_replacement: str = ""

    def __post_init__(self) -> None:
        if self.prefix and self.suffix:
            raise ValueError("an ExternalDNS layout has a prefix or a suffix, not both")

    @classmethod
    def of(cls, prefix: str = "", suffix: str = "", wildcard_replacement: str = "") -> Layout:
        """A layout with ExternalDNS's own normalisation (lower-case affixes)."""
        return cls(prefix.lower(), suffix.lower(), wildcard_replacement.lower())

    def describe(self) -> str:
        """The layout as ExternalDNS flags, e.g. ``--txt-prefix=k8s.``."""
        flags = []
        if self.prefix:
            flags.append(f"--txt-prefix={self.prefix}")
        if self.suffix:
            flags.append(f"--txt-suffix={self.suffix}")
        if self.wildcard_replacement:
            flags.append(f"--txt-wildcard-replacement={self.wildcard_replacement}")
        return " ".join(flags) or "no prefix/suffix (ExternalDNS's default)"


#: ExternalDNS's defaults: what a document without ``externalDns`` means.
DEFAULT_LAYOUTS: tuple[Layout, ...] = (Layout(),)


def _strip_type(host: str) -> Iterator[Reading]:
    """``a-forge.apps`` -> ``(forge.apps, "a")``: the new format's type token."""
    token, dash, rest = host.partition("-")
    if dash and rest and not rest.startswith(".") and token in TYPE_TOKENS:
        yield rest, token


def readings(layout: Layout, marker: str, zone: str) -> list[Reading]:
    """What the registry TXT record at `marker` claims under `layout`.

    `marker` and `zone` are lower-case absolute names without the final dot.
    Only readings at or below `zone` are returned. Legacy readings carry the
    type None.
    """
    out: list[Reading] = []
    if not layout.suffix:
        out.extend(_prefix_readings(layout.prefix, marker))
    else:
        out.extend(_suffix_readings(layout.suffix, marker, zone))
    replacement = layout.wildcard_replacement
    if replacement:
        for name, rtype in list(out):
            first, dot, rest = name.partition(".")
            if first == replacement:
                out.append((_join("*", rest) if dot else "*", rtype))
    return [(name, rtype) for name, rtype in out if _in_zone(name, zone)]


def _prefix_readings(prefix: str, marker: str) -> Iterator[Reading]:
    plain = prefix
    if TEMPLATE in prefix:
        for token in TYPE_TOKENS:
            typed = prefix.replace(TEMPLATE, token)
            if marker.startswith(typed) and len(marker) > len(typed):
                yield marker[len(typed) :], token
        plain = prefix.replace(TEMPLATE, "")
    if marker.startswith(plain) and len(marker) > len(plain):
        rest = marker[len(plain) :]
        yield rest, None
        yield from _strip_type(rest)


def _suffix_readings(suffix: str, marker: str, zone: str) -> Iterator[Reading]:
    splits: list[tuple[str, str]] = []  # (host with its suffix, domain)
    dots = suffix.count(".")
    parts = marker.split(".", 1 + dots)
    if len(parts) > 1 + dots:
        splits.append((".".join(parts[: 1 + dots]), parts[1 + dots]))
    elif len(parts) == 1 + dots:
        splits.append((marker, ""))
    if marker.endswith("." + zone):  # --domain-filter: the host is all left of the zone
        splits.append((marker[: -len(zone) - 1], zone))
    affixes: list[tuple[str, str | None]] = []
    if TEMPLATE in suffix:
        affixes += [(suffix.replace(TEMPLATE, token), token) for token in TYPE_TOKENS]
        affixes.append((suffix.replace(TEMPLATE, ""), None))
    else:
        affixes.append((suffix, None))
    for with_suffix, domain in splits:
        for affix, token in affixes:
            if not with_suffix.endswith(affix) or len(with_suffix) <= len(affix):
                continue
            host = with_suffix[: -len(affix)] if affix else with_suffix
            if token is not None:
                yield _join(host, domain), token
                continue
            yield _join(host, domain), None
            for bare, typed in _strip_type(host):
                yield _join(bare, domain), typed


def registry_names(layout: Layout, name: str, zone: str) -> list[str]:
    """Every name at which a registry TXT record claims `name` under `layout`:
    the inverse of `readings`, used to pin those names in UPDATE prerequisites
    (`checker.registry_names.registry_names`, which the checker's
    ``rrset-size`` counts too); `readings` maps each result back to `name`
    (a tested property)."""
    return _registry_names(layout.prefix, layout.suffix, layout.wildcard_replacement, name, zone)


def any_readings(marker: str, zone: str, wildcards: bool = True) -> set[str]:
    """Every name below `zone` that the registry TXT record at `marker` could
    stand for under *any* layout ExternalDNS documents: any prefix cut off its
    front, any suffix cut off the end of a label (spanning further labels),
    a type token, a wildcard replacement. Never the apex itself.

    Both arguments lower-case absolute names without the final dot; the result
    holds such names. `wildcards=False` skips the wildcard readings (when no
    name of interest is a wildcard).
    """
    if not marker.endswith("." + zone):
        return set()
    rel = marker[: -len(zone) - 1]
    cuts: set[str] = {rel}
    for start in range(1, len(rel)):  # a prefix of any length (dots included)
        rest = rel[start:]
        if not rest.startswith("."):
            cuts.add(rest)
    ends = [i for i, char in enumerate(rel) if char == "."] + [len(rel)]
    for end in ends:  # a suffix ending at a label's end, starting anywhere before it
        for start in range(1, end):
            if rel[start - 1] != ".":
                cuts.add(rel[:start] + rel[end:])
    names: set[str] = set()
    for cut in cuts:
        if not cut or cut.startswith(".") or ".." in cut:
            continue
        names.add(cut)
        for bare, _ in _strip_type(cut):
            names.add(bare)
    if wildcards:
        for name in list(names):
            _, dot, rest = name.partition(".")
            names.add(_join("*", rest) if dot else "*")
            names.add("*." + name)
    return {f"{name}.{zone}" for name in names if name}


def apex_types(marker: str, zone: str) -> frozenset[str]:
    """The types (lower-case tokens) the registry TXT record at `marker`
    could claim at the zone apex under a layout nobody configured.

    ExternalDNS names the record of the apex ``<zone>`` of type ``t`` as
    ``P(t) + <zone>`` when its prefix ``P`` ends in a dot, so any marker in
    the zone could stand for the apex. A type token in the marker's relative
    name (``a-abc-`` -> ``a``) is the type it names; without one it may be a
    legacy record, which claims every type ExternalDNS writes. Both
    arguments lower-case names without the final dot; empty if `marker` is
    not below `zone`."""
    if not marker.endswith("." + zone):
        return frozenset()
    rel = marker[: -len(zone) - 1]
    tokens = frozenset(part for part in re.split(r"[-._]", rel) if part in TYPE_TOKENS)
    return tokens or frozenset(TYPE_TOKENS)


def layouts_of(document: DocumentJSON) -> tuple[Layout, ...]:
    """The document's ``externalDns.layouts`` (shape-checked by
    `checker.document`); ExternalDNS's defaults when the key is absent."""
    section = document.get("externalDns")
    if section is None:
        return DEFAULT_LAYOUTS
    return tuple(
        Layout.of(
            layout.get("prefix", ""),
            layout.get("suffix", ""),
            layout.get("wildcardReplacement", ""),
        )
        for layout in section["layouts"]
    )
