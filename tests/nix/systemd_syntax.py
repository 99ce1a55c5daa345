"""How systemd reads an ``ExecStart=`` line: the argv the agent would get.

Follows systemd.service(5) "Command lines" and systemd.syntax(7): specifiers
(``%%``, ``%d``) are resolved in the whole line first, then the line is split
into words (double quotes, C escapes), then ``$VAR``/``${VAR}`` are expanded
in each word and ``$$`` becomes ``$``. An unknown specifier is an error here,
as it would be a surprise on the host.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'", "/": "/"}
_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


class SyntaxProblemError(ValueError):
    """The line is not what systemd would run as intended."""


def _specifiers(line: str, credentials: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(line):
        ch = line[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        spec = line[i + 1 : i + 2]
        if spec == "%":
            out.append("%")
        elif spec == "d":
            out.append(credentials)
        else:
            raise SyntaxProblemError(f"specifier %{spec} would be expanded by systemd in {line!r}")
        i += 2
    return "".join(out)


def _words(line: str) -> list[str]:
    words: list[str] = []
    i = 0
    n = len(line)
    while i < n:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            break
        word: list[str] = []
        while i < n and line[i] not in " \t":
            if line[i] != '"':
                word.append(line[i])
                i += 1
                continue
            i += 1  # opening quote
            while True:
                if i >= n:
                    raise SyntaxProblemError(f"unterminated quote in {line!r}")
                ch = line[i]
                if ch == '"':
                    i += 1
                    break
                if ch == "\\":
                    esc = line[i + 1 : i + 2]
                    if esc == "u":
                        word.append(chr(int(line[i + 2 : i + 6], 16)))
                        i += 6
                        continue
                    if esc not in _ESCAPES:
                        raise SyntaxProblemError(f"unknown escape \\{esc} in {line!r}")
                    word.append(_ESCAPES[esc])
                    i += 2
                    continue
                word.append(ch)
                i += 1
        words.append("".join(word))
    return words


def setting_words(value: str) -> list[str]:
    """The words of a path-list setting (``ReadWritePaths=``) or a tmpfiles.d
    line: specifiers resolved (only ``%%`` expected), quotes and escapes
    undone; ``$`` is not special there."""
    return _words(_specifiers(value, credentials="%d"))


def exec_argv(line: str, credentials: str, environ: Mapping[str, str]) -> list[str]:
    """The argv systemd starts for ``ExecStart=line``."""

    def expand(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(2)
        return environ.get(name, "")

    return [_VAR.sub(expand, w) for w in _words(_specifiers(line, credentials))]


def _value(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _section(name: str, settings: Mapping[str, object]) -> list[str]:
    """One unit-file section, as nixpkgs' systemd-lib writes it: a list value
    becomes one line per element."""
    lines = [f"[{name}]"]
    for key, value in settings.items():
        values = value if isinstance(value, list) else [value]
        lines.extend(f"{key}={_value(v)}" for v in values)
    return lines


def unit_file(unit: Mapping[str, object], section: str = "Service") -> str:
    """The unit file NixOS writes for an evaluated `systemd.services.<n>` (or
    `.timers.<n>` with section "Timer"): the [Unit] options it sets, then
    `serviceConfig` (`timerConfig`)."""
    head: dict[str, object] = {"Description": unit["description"]}
    docs = unit.get("documentation")
    if isinstance(docs, list) and docs:
        head["Documentation"] = " ".join(str(d) for d in docs)
    for option, key in (("requires", "Requires"), ("wants", "Wants"), ("after", "After")):
        names = unit.get(option)
        if isinstance(names, list) and names:
            head[key] = " ".join(str(n) for n in names)
    for option, key in (
        ("startLimitBurst", "StartLimitBurst"),
        ("startLimitIntervalSec", "StartLimitIntervalSec"),
    ):
        if unit.get(option) is not None:
            head[key] = unit[option]
    body = unit["serviceConfig" if section == "Service" else "timerConfig"]
    assert isinstance(body, Mapping)
    return "\n".join([*_section("Unit", head), "", *_section(section, body)]) + "\n"
