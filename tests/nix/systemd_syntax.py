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


class SyntaxProblem(ValueError):
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
            raise SyntaxProblem(f"specifier %{spec} would be expanded by systemd in {line!r}")
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
                    raise SyntaxProblem(f"unterminated quote in {line!r}")
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
                        raise SyntaxProblem(f"unknown escape \\{esc} in {line!r}")
                    word.append(_ESCAPES[esc])
                    i += 2
                    continue
                word.append(ch)
                i += 1
        words.append("".join(word))
    return words


def exec_argv(line: str, credentials: str, environ: Mapping[str, str]) -> list[str]:
    """The argv systemd starts for ``ExecStart=line``."""

    def expand(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(2)
        return environ.get(name, "")

    return [_VAR.sub(expand, w) for w in _words(_specifiers(line, credentials))]
