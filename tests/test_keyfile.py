"""Key files in the three forms of contract §5; bad files fail with one line, no secret."""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path

import dns.name
import dns.tsig
import pytest

from agent.errors import KeyFileError
from agent.keyfile import TsigKey, load_key_file, parse_key_text

SECRET_B64 = "ZAET8v5m9x+EWnE1RMtocHiIFrMQ9pIYObEhRxV6LfM="
SECRET = base64.b64decode(SECRET_B64)

BIND = f"""// written by tsig-keygen
key "update" {{
\talgorithm hmac-sha256;
\tsecret "{SECRET_B64}";
}};
"""
KEYMGR = f"""# hmac-sha256:update:{SECRET_B64}
key:
  - id: update
    algorithm: hmac-sha256
    secret: {SECRET_B64}
"""
ONE_LINE = f"hmac-sha256:update:{SECRET_B64}\n"


def _write(tmp_path: Path, text: str, name: str = "key") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("text", [BIND, KEYMGR, ONE_LINE], ids=["bind", "keymgr", "one-line"])
def test_three_forms_give_the_same_key(tmp_path: Path, text: str) -> None:
    key = load_key_file(_write(tmp_path, text))
    assert key == TsigKey(dns.name.from_text("update"), dns.tsig.HMAC_SHA256, SECRET)
    dnspython_key = key.to_dnspython()
    assert dnspython_key.name == dns.name.from_text("update")
    assert dnspython_key.algorithm == dns.tsig.HMAC_SHA256
    assert dnspython_key.secret == SECRET


def test_name_secret_short_form_means_hmac_sha256() -> None:
    key = parse_key_text(f"update:{SECRET_B64}")
    assert key.algorithm == dns.tsig.HMAC_SHA256
    assert key.algorithm_text == "hmac-sha256"


@pytest.mark.parametrize(
    ("alg", "expected"),
    [
        ("hmac-md5", dns.tsig.HMAC_MD5),
        ("HMAC-SHA1", dns.tsig.HMAC_SHA1),
        ("hmac-sha224", dns.tsig.HMAC_SHA224),
        ("hmac-sha384", dns.tsig.HMAC_SHA384),
        ("hmac-sha512", dns.tsig.HMAC_SHA512),
    ],
)
def test_other_hmac_algorithms(alg: str, expected: dns.name.Name) -> None:
    assert parse_key_text(f"{alg}:k:{SECRET_B64}").algorithm == expected


def test_bind_variants_quoted_unquoted_comments_and_slashes_in_secret() -> None:
    secret = base64.b64encode(b"\xff\xff\xff" * 11).decode()  # contains '//'
    assert "//" in secret
    text = f"""# comment
/* block
   comment */
key update {{ algorithm "hmac-sha512"; secret "{secret}"; }}; // trailing
"""
    key = parse_key_text(text)
    assert key.name == dns.name.from_text("update")
    assert key.algorithm == dns.tsig.HMAC_SHA512
    assert key.secret == b"\xff\xff\xff" * 11


def test_keymgr_quoted_values() -> None:
    text = f'key:\n  - id: "update"\n    algorithm: \'hmac-sha256\'\n    secret: "{SECRET_B64}"\n'
    assert parse_key_text(text).secret == SECRET


def test_repr_and_str_hide_the_secret() -> None:
    key = parse_key_text(ONE_LINE)
    for text in (repr(key), str(key), f"{key}", f"{key!r}"):
        assert SECRET_B64 not in text
        assert repr(SECRET) not in text
        assert "update" in text
    assert "hidden" in repr(key)


BAD_FILES = {
    "unknown-format": f"this is not a key {SECRET_B64}\nsecond line\n",
    "bad-base64": "hmac-sha256:update:" + SECRET_B64[:-2] + "!!",
    "bad-base64-bind": BIND.replace(SECRET_B64, SECRET_B64 + "#?"),
    "unsupported-algorithm": f"gss-tsig:update:{SECRET_B64}",
    "unsupported-algorithm-yaml": KEYMGR.replace("algorithm: hmac-sha256", "algorithm: rot13"),
    "two-keys-yaml": KEYMGR
    + f"  - id: other\n    algorithm: hmac-sha256\n    secret: {SECRET_B64}\n",
    "two-keys-bind": BIND + BIND.replace('"update"', '"other"'),
    "missing-secret-bind": 'key "update" { algorithm hmac-sha256; };',
    "missing-secret-yaml": "key:\n  - id: update\n    algorithm: hmac-sha256\n",
    "empty": "",
    "only-comments": f"# hmac-sha256:update:{SECRET_B64}\n",
    "four-fields": f"hmac-sha256:update:x:{SECRET_B64}",
    "unterminated-quote": f'key "update" {{ algorithm hmac-sha256; secret "{SECRET_B64}; }};',
    "empty-secret": "hmac-sha256:update:",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_fail_with_one_line_and_no_secret(
    tmp_path: Path, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = _write(tmp_path, BAD_FILES[name])
    with pytest.raises(KeyFileError) as info:
        load_key_file(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    assert SECRET_B64 not in message
    assert SECRET_B64[:12] not in message
    assert SECRET_B64 not in caplog.text
    assert info.value.exit_code == 1


def test_several_keys_names_them(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match=r"2 keys \(update, other\)"):
        load_key_file(_write(tmp_path, BAD_FILES["two-keys-bind"]))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="does not exist"):
        load_key_file(tmp_path / "nope")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="directory"):
        load_key_file(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of mode")
def test_unreadable_file(tmp_path: Path) -> None:
    path = _write(tmp_path, ONE_LINE)
    path.chmod(0)
    with pytest.raises(KeyFileError, match="permission denied"):
        load_key_file(path)


def test_successful_load_logs_no_secret(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    load_key_file(_write(tmp_path, KEYMGR))
    assert "update" in caplog.text
    assert SECRET_B64 not in caplog.text


def test_tsigkey_validates() -> None:
    with pytest.raises(ValueError, match="absolute"):
        TsigKey(dns.name.from_text("k", origin=None), dns.tsig.HMAC_SHA256, SECRET)
    with pytest.raises(ValueError, match="empty"):
        TsigKey(dns.name.from_text("k"), dns.tsig.HMAC_SHA256, b"")
    with pytest.raises(ValueError, match="unsupported"):
        TsigKey(dns.name.from_text("k"), dns.name.from_text("gss-tsig"), SECRET)
