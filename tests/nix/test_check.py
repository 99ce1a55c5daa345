"""`check` in nix/lib.nix: a real nix-build runs the checker on the rendered document."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.nix.nixrun import (
    HOST_PYTHON,
    lib_expr,
    nix_build,
    nix_eval,
    nix_path,
    nix_str,
    requires_nix,
)

pytestmark = [
    pytest.mark.nix,
    requires_nix,
    pytest.mark.skipif(not Path(HOST_PYTHON).exists(), reason=f"{HOST_PYTHON} is missing"),
]

ROOT = Path(__file__).resolve().parents[2]
GOOD = """{
  internal = {
    NS = [ "ns0.internal." ];
    subdomains.ns0.A = [ "10.0.0.53" ];
    subdomains.dns.CNAME = [ "ns0.internal." ];
  };
  "10.in-addr.arpa" = {
    NS = [ "ns0.internal." ];
    subdomains."53.0.0".PTR = [ "ns0.internal." ];
  };
}"""


def _check_expr(zones: str, extra: str = "") -> str:
    return lib_expr(
        f"lib.check {{ python = {nix_str(HOST_PYTHON)}; {extra} document = lib.render "
        f'{{ managedBy = "routy"; zones = {zones}; }}; }}'
    )


def test_good_document_builds_to_its_json() -> None:
    result = nix_build(_check_expr(GOOD))
    assert result.returncode == 0, result.log
    out = Path(result.out_path)
    assert out.name.endswith("dns-static-records-desired.json")
    rendered = nix_eval(lib_expr(f'lib.renderJSON {{ managedBy = "routy"; zones = {GOOD}; }}'))
    assert out.read_text() == rendered
    assert json.loads(out.read_text())["owner"] == {"prefix": "nix", "managedBy": "routy"}


def test_document_may_be_given_as_json_text() -> None:
    expr = lib_expr(
        f'lib.check {{ python = {nix_str(HOST_PYTHON)}; name = "given-as-text.json"; '
        f'document = lib.renderJSON {{ managedBy = "routy"; zones = {GOOD}; }}; }}'
    )
    result = nix_build(expr)
    assert result.returncode == 0, result.log
    assert Path(result.out_path).name.endswith("given-as-text.json")


BAD = [
    pytest.param(
        '{ internal.subdomains.ns0.A = [ "10.0.0.256" ]; }',
        "address-syntax",
        "zones.internal.subdomains.ns0.A",
        id="address-syntax",
    ),
    pytest.param(
        '{ internal.NS = [ "ns0.internal" ]; internal.subdomains.ns0.A = [ "10.0.0.53" ]; }',
        "trailing-dot",
        "zones.internal.NS",
        id="trailing-dot",
    ),
    pytest.param(
        '{ internal.subdomains.dns = { CNAME = [ "ns0.internal." ]; A = [ "10.0.0.9" ]; }; }',
        "cname-coexistence",
        "zones.internal.subdomains.dns.CNAME",
        id="cname-coexistence",
    ),
]


def _last_lines_before_nix_error(log: str) -> list[str]:
    """The builder's own last lines: everything after our banner, up to Nix's verdict."""
    lines = log.splitlines()
    start = max(
        i for i, line in enumerate(lines) if line.startswith("dns-static-records: checking")
    )
    end = next(i for i, line in enumerate(lines) if line.startswith("error: builder for"))
    return lines[start + 1 : end]


@pytest.mark.parametrize(("zones", "rule", "source"), BAD)
def test_bad_document_fails_the_build_with_the_checkers_message(
    zones: str, rule: str, source: str
) -> None:
    result = nix_build(_check_expr(zones))
    assert result.returncode != 0
    checker_lines = _last_lines_before_nix_error(result.log)
    problems = [line for line in checker_lines if line.startswith(f"error[{rule}]")]
    assert problems, result.log
    assert any(source in line for line in problems), result.log
    # nothing but the checker speaks after the banner: its messages end the log
    assert not any("Traceback" in line for line in checker_lines), result.log


def test_every_problem_is_reported_not_just_the_first() -> None:
    zones = '{ internal.subdomains = { a.A = [ "10.0.0.256" ]; b.A = [ "10.0.0.300" ]; }; }'
    result = nix_build(_check_expr(zones))
    assert result.returncode != 0
    errors = [line for line in result.log.splitlines() if line.startswith("error[address-syntax]")]
    assert len(errors) == 2, result.log


def test_checker_source_holds_only_python_files() -> None:
    path = Path(nix_eval(lib_expr('"${lib.checkerSource}"')))
    files = [p for p in path.rglob("*") if p.is_file()]
    assert path.name.endswith("dns-static-checker")
    assert (path / "__main__.py").is_file()
    assert files
    assert all(p.suffix == ".py" or p.name == "py.typed" for p in files)


# ---- under nixpkgs' testers.testBuildFailure (the flake's check-rejects-bad) ----

EXPECT_FAILURE = Path(__file__).with_name("expect-failure.sh")


#: A stand-in for nixpkgs' `buildPackages.bash`: a package (its output a
#: directory holding bin/bash), which is what testBuildFailure puts in
#: `builder` -- not an executable path.
BASH_PACKAGE = (
    '(derivation { name = "bash-standin"; system = builtins.currentSystem; '
    'builder = "/bin/sh"; '
    'args = [ "-c" "/bin/mkdir -p $out/bin && /bin/ln -s /bin/bash $out/bin/bash" ]; }'
    ' // { meta.mainProgram = "bash"; })'
)


def _under_test_build_failure(zones: str) -> str:
    """`lib.check` wrapped the way testBuildFailure wraps a derivation: builder
    the bash package, `args = [ script (realBuilder or stdenv.shell) ] ++ args`."""
    return lib_expr(
        f"let checked = lib.check {{ python = {nix_str(HOST_PYTHON)}; "
        f'document = lib.render {{ managedBy = "routy"; zones = {zones}; }}; }}; '
        "in checked.overrideAttrs (orig: { "
        f"  builder = {BASH_PACKAGE}; "
        f'  args = [ {nix_path(EXPECT_FAILURE)} (orig.realBuilder or "/bin/bash") ] ++ orig.args; '
        "})"
    )


def test_bad_document_fails_under_test_build_failure_with_the_rule_id() -> None:
    zones = '{ internal.NS = [ "ns0.internal" ]; internal.subdomains.ns0.A = [ "10.0.0.53" ]; }'
    result = nix_build(_under_test_build_failure(zones))
    assert result.returncode == 0, result.log
    out = Path(result.out_path)
    log = (out / "testBuildFailure.log").read_text()
    assert "error[trailing-dot]" in log, log
    assert "zones.internal.NS" in log, log
    # the checker's "invalid records" exit (contract §4), not a shell's
    assert (out / "testBuildFailure.exit").read_text().strip() == "1", log


def test_good_document_fails_test_build_failure() -> None:
    result = nix_build(_under_test_build_failure(GOOD))
    assert result.returncode != 0
    assert "the builder did not fail" in result.log, result.log


MULTI_HOMED = """{
  internal = {
    NS = [ "ns0.internal." ];
    subdomains.ns0.A = [ "10.0.0.53" ];
    subdomains.routy.A = [ "10.0.0.1" ];
  };
  "10.in-addr.arpa" = {
    NS = [ "ns0.internal." ];
    subdomains."53.0.0".PTR = [ "ns0.internal." ];
    subdomains."1.0.0".PTR = [ "routy.internal." ];
    subdomains."1.0.1".PTR = [ "routy.internal." ];
  };
}"""
ACCEPT_MULTI_HOMED = """[ {
  rule = "ptr-mismatch"; zone = "10.in-addr.arpa"; name = "1.0.1"; type = "PTR";
  reason = "routy is multi-homed; its name resolves to 10.0.0.1 only";
} ]"""


def _check_with_exceptions(zones: str, exceptions: str) -> str:
    return lib_expr(
        f"lib.check {{ python = {nix_str(HOST_PYTHON)}; document = lib.render "
        f'{{ managedBy = "routy"; zones = {zones}; exceptions = {exceptions}; }}; }}'
    )


def _checker_output(document: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The checker run on a built document (a successful build may come from
    the store without a log, so its lines are read here, not from the log)."""
    return subprocess.run(
        [sys.executable, "-m", "checker", *args, document],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_reviewed_exception_accepts_a_finding_from_nix_to_output() -> None:
    refused = nix_build(_check_expr(MULTI_HOMED))
    assert refused.returncode != 0
    assert "error[ptr-mismatch] 10.in-addr.arpa: 1.0.1 PTR" in refused.log
    result = nix_build(_check_with_exceptions(MULTI_HOMED, ACCEPT_MULTI_HOMED))
    assert result.returncode == 0, result.log
    doc = json.loads(Path(result.out_path).read_text())
    assert doc["exceptions"] == [
        {
            "rule": "ptr-mismatch",
            "zone": "10.in-addr.arpa",
            "name": "1.0.1",
            "type": "PTR",
            "reason": "routy is multi-homed; its name resolves to 10.0.0.1 only",
            "source": "exceptions[0]",
        }
    ]
    shown = _checker_output(result.out_path)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    accepted = [line for line in shown.stdout.splitlines() if line.startswith("accepted[")]
    assert accepted, shown.stdout
    assert "accepted[ptr-mismatch] 10.in-addr.arpa: 1.0.1 PTR" in accepted[0]
    assert "reason: routy is multi-homed; its name resolves to 10.0.0.1 only" in shown.stdout


def test_stale_exception_is_a_warning_and_fails_strict() -> None:
    stale = '[ { rule = "ptr-missing"; zone = "internal"; name = "gone"; reason = "old"; } ]'
    result = nix_build(_check_with_exceptions(GOOD, stale))
    assert result.returncode == 0, result.log
    assert "warning[exception-stale]" in _checker_output(result.out_path).stdout
    strict = lib_expr(
        f"lib.check {{ python = {nix_str(HOST_PYTHON)}; strict = true; document = lib.render "
        f'{{ managedBy = "routy"; zones = {GOOD}; exceptions = {stale}; }}; }}'
    )
    refused = nix_build(strict)
    assert refused.returncode != 0
    assert "error[exception-stale]" in refused.log


def test_no_exceptions_render_no_field() -> None:
    doc = json.loads(nix_eval(lib_expr(f'lib.renderJSON {{ managedBy = "r"; zones = {GOOD}; }}')))
    assert "exceptions" not in doc
