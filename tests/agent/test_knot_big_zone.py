"""A 1,000-record apply into a zone of 100,000 records, against Knot's default
settings (tcp-io-timeout 500 ms). No timing assertions: it must complete."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.agent.helpers import AgentRun, document, rec, write_document
from tests.fixtures.knot import KnotFactory

pytestmark = pytest.mark.knot


def test_thousand_records_into_a_hundred_thousand_record_zone(
    knot_factory: KnotFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = [
        f"dyn{i} 300 A 10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}" for i in range(100_000)
    ]
    knot = knot_factory(extra_records={"internal": foreign})
    records = [rec("@", "NS", "ns0.internal.", 3600)]
    records += [rec(f"static{i}", "A", f"10.200.{i >> 8}.{i & 255}") for i in range(1000)]
    path = write_document(tmp_path / "d.json", document({"internal": records}))
    run = AgentRun(knot.server, knot.port, knot.key_file("keymgr"), capsys)
    code, out, err = run("apply", path)
    assert code == 0, err
    assert "applied (1000 add, 0 delete, 0 update, 1 adopt)" in out
    lines = knot.axfr("internal")
    # SOA, NS, ns0 glue, the foreign records, ours, their markers, the adopted NS's marker
    assert len(lines) == 3 + 100_000 + 1000 + 1000 + 1
    assert sum(ln.startswith("dyn") for ln in lines) == 100_000
    serial = knot.serial("internal")
    assert run("plan", path)[0] == 0
    assert knot.serial("internal") == serial
