"""ExternalDNS layout strings the registry names cannot be built from
(non-ASCII, spaces, escapes, empty or over-long labels) are refused where
the document is read -- the checker's unusable input (exit 2), the agent's
bad input (exit 1), one line naming the key, nothing sent -- and likewise
as ``classify --txt-*`` flags (usage, exit 2); good ones still work
against a real knotd."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from checker.document import layout_text_fault
from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.checker.helpers import run_checker
from tests.fixtures.knot import KnotServer

NS = rec("@", "NS", "ns0.internal.", 3600)
NS0 = rec("ns0", "A", "10.0.0.53", 3600)
BAD = [
    ("prefix", "é."),
    ("prefix", "a b."),
    ("prefix", "x\\."),
    ("prefix", "\\"),
    ("prefix", '"a"b.'),
    ("prefix", "@."),
    ("prefix", ".k8s"),
    ("prefix", "k8s..x."),
    ("prefix", "x" * 70 + "."),
    ("suffix", "-é"),
    ("suffix", "-x."),
    ("wildcardReplacement", "é"),
    ("wildcardReplacement", "a.b"),
]
GOOD = [
    ("prefix", "k8s."),
    ("prefix", "%{record_type}-abc-."),
    ("prefix", "UP_x-"),
    ("suffix", "-edns"),
    ("suffix", ".%{record_type}"),
    ("wildcardReplacement", "wild_card-1"),
]


@pytest.mark.parametrize(("key", "text"), BAD)
def test_bad_layout_text_is_named(key: str, text: str) -> None:
    assert layout_text_fault(key, text) is not None


@pytest.mark.parametrize(("key", "text"), GOOD)
def test_good_layout_text_passes(key: str, text: str) -> None:
    assert layout_text_fault(key, text) is None


@pytest.mark.parametrize(("key", "text"), BAD[:1] + BAD[-1:])
def test_the_checker_calls_a_bad_layout_unusable_input(tmp_path: Path, key: str, text: str) -> None:
    doc = document({"internal": [NS, NS0]})
    doc["externalDns"] = {"layouts": [{key: text}]}
    done = run_checker(tmp_path, json.dumps(doc))
    assert done.returncode == 2, done.stderr
    assert f"externalDns.layouts[0].{key}" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture
def agent(knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> AgentRun:
    return AgentRun(knot.server, knot.port, knot.key_file("bind"), capsys)


@pytest.mark.knot
@pytest.mark.parametrize(("key", "text"), BAD[:4] + BAD[-2:])
def test_apply_refuses_a_bad_layout_before_any_io(
    knot: KnotServer, agent: AgentRun, tmp_path: Path, key: str, text: str
) -> None:
    doc = document({"internal": [NS, NS0, rec("forge", "A", "10.0.0.1")]})
    doc["externalDns"] = {"layouts": [{key: text}]}
    serial = knot.serial("internal")
    code, _, err = agent("apply", write_document(tmp_path / "d.json", doc))
    assert code == 1, err  # the agent's bad input (contract: exit codes of plan and apply)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert f"externalDns.layouts[0].{key}" in lines[0]
    assert "Traceback" not in err
    assert "unexpected" not in err
    assert knot.serial("internal") == serial


@pytest.mark.knot
def test_apply_with_good_layouts_works(knot: KnotServer, agent: AgentRun, tmp_path: Path) -> None:
    doc = document(
        {"internal": [NS, NS0, rec("forge", "A", "10.0.0.1"), rec("*.w", "A", "10.0.0.2")]}
    )
    doc["externalDns"] = {"layouts": [{k: t} for k, t in GOOD]}
    code, _, err = agent("apply", write_document(tmp_path / "d.json", doc))
    assert code == 0, err


@pytest.mark.parametrize(
    ("flag", "text"),
    [("--txt-prefix", "é."), ("--txt-suffix", "-x\\."), ("--txt-wildcard-replacement", "a b")],
)
def test_classify_refuses_bad_txt_flags_before_any_io(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, text: str
) -> None:
    key = tmp_path / "k.key"
    key.write_text("hmac-sha256:update:" + base64.b64encode(b"x" * 32).decode() + "\n")
    offline = AgentRun("127.0.0.1", 9, key, capsys)  # port 9: any I/O would fail with 1
    code, out, err = offline("classify", None, "--zone", "internal", f"{flag}={text}")
    assert code == 2, err
    assert out == ""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {flag} ")
