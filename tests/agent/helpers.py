"""Small builders shared by the agent tests: documents, records, snapshots."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dns.name
import dns.rdatatype
import dns.rrset
import dns.zone

from agent.zone_reader import ZoneSnapshot
from checker.check import check_documents
from checker.document import DocumentJSON, validate_shape
from checker.model import Desired

OWNER = {"prefix": "nix", "managedBy": "routy"}
_SOA = "@ 3600 IN SOA ns0.internal. hostmaster.internal. 1 3600 900 1209600 300\n"


def document(
    zones: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    ttl: int = 300,
    managed_by: str = "routy",
) -> dict[str, Any]:
    """A desired-state document (contract §2) from ``{zone: [records]}``."""
    return {
        "version": 1,
        "owner": {"prefix": "nix", "managedBy": managed_by},
        "defaults": {"ttl": ttl},
        "zones": {zone: {"records": [dict(r) for r in records]} for zone, records in zones.items()},
    }


def rec(name: str, rtype: str, data: str, ttl: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "type": rtype, "data": data}
    if ttl is not None:
        out["ttl"] = ttl
    out["source"] = f"test.{name}.{rtype}"
    return out


def too_big_for_one_message(name: str) -> list[dict[str, Any]]:
    """Records at `name` (A, AAAA and TXT RRsets, ~68 KB to add) that
    together need more than one UPDATE message, while each RRset alone stays
    within the checker's ``rrset-size`` rule (a later change of it fits)."""
    return [
        *(rec(name, "A", f"10.9.{i // 250}.{i % 250 + 1}") for i in range(1500)),
        *(rec(name, "AAAA", f"fd00::{i + 1:x}") for i in range(1000)),
        *(rec(name, "TXT", f'"{i:03d}{"x" * 250}" "{i}"') for i in range(60)),
    ]


def desired(doc: Mapping[str, Any]) -> Desired:
    shaped: DocumentJSON = validate_shape(json.loads(json.dumps(doc)), "test.json")
    report = check_documents([("test.json", shaped)])
    assert report.ok, [p.to_text() for p in report.problems]
    return report.desireds[0]


def write_document(path: Path, doc: Mapping[str, Any]) -> Path:
    path.write_text(json.dumps(doc, indent=2))
    return path


def snapshot(origin: str, text: str, serial: int = 1) -> ZoneSnapshot:
    """A snapshot of ``origin`` holding SOA + the RRs of zone-file ``text``."""
    zone_name = dns.name.from_text(origin)
    zone = dns.zone.from_text(_SOA + text, origin=zone_name, relativize=False, check_origin=False)
    rrsets: dict[tuple[dns.name.Name, dns.rdatatype.RdataType], dns.rrset.RRset] = {}
    for name, node in zone.nodes.items():
        for rdataset in node.rdatasets:
            rrsets[(name, rdataset.rdtype)] = dns.rrset.from_rdata_list(
                name, rdataset.ttl, list(rdataset)
            )
    return ZoneSnapshot(zone_name, serial, rrsets)


class AgentRun:
    """Runs ``dns-static-agent`` in-process against a knotd, capturing output."""

    def __init__(self, server: str, port: int, key_file: Path, capsys: Any) -> None:
        self.server = server
        self.port = port
        self.key_file = key_file
        self.capsys = capsys

    def __call__(
        self, command: str, desired: Path | None, *extra: str, after_read: Any = None
    ) -> tuple[int, str, str]:
        from agent.cli import main

        argv = [command]
        if desired is not None:
            argv += ["--desired", str(desired)]
        argv += ["--server", self.server, "--port", str(self.port)]
        argv += ["--key-file", str(self.key_file), *extra]
        self.capsys.readouterr()
        code = main(argv, after_read=after_read)
        out, err = self.capsys.readouterr()
        return code, out, err
