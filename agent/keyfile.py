"""TSIG key files: the three forms of contract §5, and a key that keeps its secret.

Accepted forms (one key per file):

* nsupdate/BIND::

      key "update" {
          algorithm hmac-sha256;
          secret "c2VjcmV0...";
      };

* Knot ``keymgr -t update hmac-sha256`` output (a comment line, then YAML)::

      # hmac-sha256:update:c2VjcmV0...
      key:
        - id: update
          algorithm: hmac-sha256
          secret: c2VjcmV0...

* one line ``hmac-sha256:update:c2VjcmV0...`` (as ``kdig -y`` takes it). The
  short ``update:c2VjcmV0...`` means hmac-sha256, the default of ``kdig -y``
  and ``knsupdate -y``.

Decisions:

* A file holding several keys is an error, not a choice: picking one silently
  could sign with the wrong key (and another host's rights).
* Algorithms: the HMAC family Knot and dnspython share (hmac-md5, hmac-sha1,
  hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512). Anything else
  (gss-tsig, truncated variants) is an error.
* No message ever quotes the file's content: a parse error names the file and
  the line number only, since any line may hold the secret.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import dns.name
import dns.tsig

from agent.errors import KeyFileError

log = logging.getLogger(__name__)

#: Algorithm spellings we accept (lower case) -> dnspython's algorithm name.
_ALGORITHMS: dict[str, dns.name.Name] = {
    "hmac-md5": dns.tsig.HMAC_MD5,
    "hmac-md5.sig-alg.reg.int": dns.tsig.HMAC_MD5,
    "hmac-sha1": dns.tsig.HMAC_SHA1,
    "hmac-sha224": dns.tsig.HMAC_SHA224,
    "hmac-sha256": dns.tsig.HMAC_SHA256,
    "hmac-sha384": dns.tsig.HMAC_SHA384,
    "hmac-sha512": dns.tsig.HMAC_SHA512,
}
_SUPPORTED = ", ".join(sorted(k for k in _ALGORITHMS if "." not in k))
_DEFAULT_ALGORITHM = "hmac-sha256"


@dataclass(frozen=True, repr=False)
class TsigKey:
    """A TSIG key. Its secret never appears in ``repr``/``str``."""

    name: dns.name.Name
    algorithm: dns.name.Name
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not self.name.is_absolute():
            raise ValueError("TSIG key name must be absolute")
        if self.algorithm not in _ALGORITHMS.values():
            raise ValueError(f"unsupported TSIG algorithm {self.algorithm}")
        if not self.secret:
            raise ValueError("TSIG secret is empty")

    def __repr__(self) -> str:
        return f"TsigKey(name={self.name}, algorithm={self.algorithm}, secret=<hidden>)"

    def __str__(self) -> str:
        return f"TSIG key {self.name.to_text(omit_final_dot=True)} ({self.algorithm_text})"

    @property
    def algorithm_text(self) -> str:
        """The algorithm as Knot spells it, e.g. ``hmac-sha256``."""
        if self.algorithm == dns.tsig.HMAC_MD5:
            return "hmac-md5"
        return self.algorithm.to_text(omit_final_dot=True).lower()

    def to_dnspython(self) -> dns.tsig.Key:
        """The key as dnspython's `dns.tsig.Key`, for `Message.use_tsig`."""
        return dns.tsig.Key(self.name, self.secret, self.algorithm)


def load_key_file(path: str | Path) -> TsigKey:
    """Read one TSIG key from `path` in any of the three accepted forms.

    Raises `KeyFileError` (one line, never the secret) if the file cannot be
    read, has an unknown form, holds no key or several keys, or the key has a
    bad name, algorithm or base64 secret.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"key file {path} does not exist; check --key-file") from None
    except PermissionError:
        raise KeyFileError(
            f"key file {path} is not readable by this user (permission denied); "
            "run as a user that may read it or fix its owner/mode"
        ) from None
    except IsADirectoryError:
        raise KeyFileError(f"key file {path} is a directory, not a key file") from None
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise KeyFileError(f"key file {path} is not UTF-8 text") from None
    key = parse_key_text(text, source=str(path))
    log.debug("loaded %s from %s (secret present)", key, path)
    return key


def parse_key_text(text: str, source: str = "key file") -> TsigKey:
    """Parse key-file text; `source` names it in error messages."""
    lines = [ln.strip() for ln in text.splitlines()]
    content = [ln for ln in lines if ln and not ln.startswith("#")]
    if not content:
        raise KeyFileError(f"{source} holds no key (empty or only comments)")
    if re.match(r"key\s*:", content[0]):
        entries = _parse_keymgr_yaml(lines, source)
    elif re.search(r'(^|[\s;])key\s+"?[^\s"{]+"?\s*\{', text):
        entries = _parse_bind(text, source)
    elif len(content) == 1 and ":" in content[0] and not re.search(r"\s", content[0]):
        entries = [_parse_one_line(content[0], source)]
    else:
        raise KeyFileError(
            f"{source}: unknown key file format; expected a BIND 'key \"name\" {{...}};' "
            "block, keymgr -t YAML output, or one line 'hmac-sha256:name:secret'"
        )
    if not entries:
        raise KeyFileError(f"{source} holds no key")
    if len(entries) > 1:
        names = ", ".join(e[0] for e in entries)
        raise KeyFileError(
            f"{source} holds {len(entries)} keys ({names}); "
            "put exactly the one key this agent should use in the file"
        )
    name, algorithm, secret = entries[0]
    return _make_key(name, algorithm, secret, source)


_Entry = tuple[str, str, str]  # (name, algorithm, secret text)


def _parse_one_line(line: str, source: str) -> _Entry:
    parts = line.split(":")
    if len(parts) == 3:
        return parts[1], parts[0], parts[2]
    if len(parts) == 2:
        return parts[0], _DEFAULT_ALGORITHM, parts[1]
    raise KeyFileError(
        f"{source}: a one-line key must be 'algorithm:name:secret' (or 'name:secret'), "
        f"found {len(parts)} ':'-separated fields"
    )


def _unquote_yaml(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    # a trailing comment after whitespace
    return re.sub(r"\s+#.*$", "", value)


def _parse_keymgr_yaml(lines: list[str], source: str) -> list[_Entry]:
    entries: list[dict[str, str]] = []
    in_key_section = False
    for lineno, line in enumerate(lines, start=1):
        if not line or line.startswith("#"):
            continue
        if re.fullmatch(r"key\s*:", line):
            in_key_section = True
            continue
        if not in_key_section:
            raise KeyFileError(f"{source} line {lineno}: expected 'key:' section")
        item = re.fullmatch(r"-\s*(.*)", line)
        if item:
            entries.append({})
            line = item.group(1)
            if not line:
                continue
        field_match = re.fullmatch(r"([A-Za-z-]+)\s*:\s*(.*)", line)
        if field_match is None or not entries:
            raise KeyFileError(f"{source} line {lineno}: not a key field ('id: ...' etc.)")
        entries[-1][field_match.group(1).lower()] = _unquote_yaml(field_match.group(2))
    result: list[_Entry] = []
    for number, entry in enumerate(entries, start=1):
        missing = [f for f in ("id", "algorithm", "secret") if not entry.get(f)]
        if missing:
            raise KeyFileError(f"{source}: key #{number} lacks {', '.join(missing)}")
        result.append((entry["id"], entry["algorithm"], entry["secret"]))
    return result


# BIND tokens: quoted strings, comments, punctuation, bare words.
_BIND_TOKEN = re.compile(
    r'"(?P<quoted>[^"]*)"|(?P<comment>#[^\n]*|//[^\n]*|/\*.*?\*/)|(?P<punct>[{};])|(?P<word>[^\s{};"]+)',
    re.DOTALL,
)


def _parse_bind(text: str, source: str) -> list[_Entry]:
    tokens: list[str] = []
    pos = 0
    for match in _BIND_TOKEN.finditer(text):
        if text[pos : match.start()].strip():
            raise KeyFileError(f"{source}: unterminated quote or stray text in BIND key block")
        pos = match.end()
        if match.group("comment") is not None:
            continue
        if match.group("quoted") is not None:
            tokens.append("\0" + match.group("quoted"))  # mark as quoted
        else:
            tokens.append(match.group(0))
    if text[pos:].strip():
        raise KeyFileError(f"{source}: unterminated quote or stray text in BIND key block")

    def bare(tok: str) -> str:
        return tok[1:] if tok.startswith("\0") else tok

    entries: list[_Entry] = []
    i = 0
    while i < len(tokens):
        if tokens[i] != "key" or i + 2 >= len(tokens) or tokens[i + 2] != "{":
            raise KeyFileError(f"{source}: expected 'key \"name\" {{' in BIND key block")
        name = bare(tokens[i + 1])
        i += 3
        fields: dict[str, str] = {}
        while i < len(tokens) and tokens[i] != "}":
            if i + 2 >= len(tokens) or tokens[i + 2] != ";":
                raise KeyFileError(
                    f"{source}: key {name}: expected 'algorithm X;' and 'secret \"...\";'"
                )
            fields[tokens[i].lower()] = bare(tokens[i + 1])
            i += 3
        if i + 1 >= len(tokens) or tokens[i + 1] != ";":
            raise KeyFileError(f"{source}: key {name}: block must end with '}};'")
        i += 2
        missing = [f for f in ("algorithm", "secret") if not fields.get(f)]
        if missing:
            raise KeyFileError(f"{source}: key {name} lacks {' and '.join(missing)}")
        entries.append((name, fields["algorithm"], fields["secret"]))
    return entries


def _make_key(name: str, algorithm: str, secret_text: str, source: str) -> TsigKey:
    alg = _ALGORITHMS.get(algorithm.strip().lower().rstrip("."))
    if alg is None:
        raise KeyFileError(
            f"{source}: TSIG algorithm {algorithm!r} is not supported; use one of {_SUPPORTED}"
        )
    try:
        key_name = dns.name.from_text(name.strip())
    except Exception:  # noqa: BLE001  (dnspython raises several name errors)
        raise KeyFileError(f"{source}: {name!r} is not a valid TSIG key name") from None
    compact = re.sub(r"\s+", "", secret_text)
    try:
        secret = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError(
            f"{source}: the secret of key {key_name.to_text(omit_final_dot=True)} "
            "is not valid base64"
        ) from None
    if not secret:
        raise KeyFileError(f"{source}: the secret of key {name} is empty")
    return TsigKey(name=key_name, algorithm=alg, secret=secret)
