"""Golden tests for `render` in nix/lib.nix, evaluated by the real nix-instantiate."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.nix.nixrun import NixError, lib_expr, nix_eval, records, render, requires_nix

pytestmark = [pytest.mark.nix, requires_nix]

SEED_ZONES = """{
  "internal" = {
    NS = [ "ns0.internal." "ns1.internal." "ns2.internal." ];
    subdomains = {
      ns0.A = [ "10.0.0.53" ];
      ns1.A = [ "10.1.0.53" ];
      ns2.A = [ "10.2.0.53" ];
      routy.A = [ "10.0.0.1" ];
      dns.CNAME = [ "ns0.internal." ];
    };
  };
  "10.in-addr.arpa" = {
    NS = [ "ns0.internal." "ns1.internal." "ns2.internal." ];
    subdomains = {
      "53.0.0".PTR = [ "ns0.internal." ];
      "53.0.1".PTR = [ "ns1.internal." ];
      "53.0.2".PTR = [ "ns2.internal." ];
    };
  };
  "s3.garage.internal" = {
    NS = [ "ns0.internal." "ns1.internal." "ns2.internal." ];
  };
}"""


def _rec(name: str, rtype: str, data: str, source: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": rtype, "data": data, "source": source, **extra}


def _ns(zone_src: str) -> list[dict[str, Any]]:
    return [_rec("@", "NS", f"ns{i}.internal.", f"zones.{zone_src}.NS") for i in range(3)]


def test_seed_three_zones() -> None:
    doc = render(SEED_ZONES)
    assert doc == {
        "version": 1,
        "owner": {"prefix": "nix", "managedBy": "routy"},
        "defaults": {"ttl": 300},
        "zones": {
            "internal": {
                "records": [
                    *_ns("internal"),
                    _rec("dns", "CNAME", "ns0.internal.", "zones.internal.subdomains.dns.CNAME"),
                    _rec("ns0", "A", "10.0.0.53", "zones.internal.subdomains.ns0.A"),
                    _rec("ns1", "A", "10.1.0.53", "zones.internal.subdomains.ns1.A"),
                    _rec("ns2", "A", "10.2.0.53", "zones.internal.subdomains.ns2.A"),
                    _rec("routy", "A", "10.0.0.1", "zones.internal.subdomains.routy.A"),
                ]
            },
            "10.in-addr.arpa": {
                "records": [
                    *_ns('"10.in-addr.arpa"'),
                    *(
                        _rec(
                            f"53.0.{i}",
                            "PTR",
                            f"ns{i}.internal.",
                            f'zones."10.in-addr.arpa".subdomains."53.0.{i}".PTR',
                        )
                        for i in range(3)
                    ),
                ]
            },
            "s3.garage.internal": {"records": _ns('"s3.garage.internal"')},
        },
    }


def test_owner_and_defaults_are_passed_through() -> None:
    doc = nix_eval(
        lib_expr('lib.render { zones = { }; managedBy = "web1"; ownerPrefix = "nx"; ttl = 60; }')
    )
    assert doc == {
        "version": 1,
        "owner": {"prefix": "nx", "managedBy": "web1"},
        "defaults": {"ttl": 60},
        "zones": {},
    }


def test_zone_keys_are_passed_through() -> None:
    doc = render('{ "Internal." = { }; "s3.garage.internal" = { }; }')
    assert doc["zones"] == {"Internal.": {"records": []}, "s3.garage.internal": {"records": []}}


# Every type in both forms. The attrset form is what dns.nix's types produce
# (class = "IN", ttl = null) or its combinators (bare attrsets).
STRING_FORMS = [
    ("A", '"10.0.0.1"', "10.0.0.1"),
    ("AAAA", '"fd00::1"', "fd00::1"),
    ("CNAME", '"ns0.internal."', "ns0.internal."),
    ("NS", '"ns0.internal."', "ns0.internal."),
    ("PTR", '"ns0.internal."', "ns0.internal."),
    ("TXT", '"hello world"', '"hello world"'),
    # no string form in dns.nix: raw RDATA is passed on for the checker
    ("MX", '"10 mail.internal."', "10 mail.internal."),
    ("CAA", '"0 issue \\"ca.example.\\""', '0 issue "ca.example."'),
]

ATTRSET_FORMS = [
    ("A", '{ address = "10.0.0.1"; }', "10.0.0.1"),
    ("AAAA", '{ address = "fd00::1"; class = "IN"; ttl = null; }', "fd00::1"),
    ("CNAME", '{ cname = "ns0.internal."; class = "IN"; ttl = null; }', "ns0.internal."),
    ("NS", '{ nsdname = "ns0.internal."; }', "ns0.internal."),
    ("PTR", '{ ptrdname = "ns0.internal."; class = "IN"; ttl = null; }', "ns0.internal."),
    ("TXT", '{ data = "hello world"; class = "IN"; ttl = null; }', '"hello world"'),
    ("MX", '{ preference = 10; exchange = "mail.internal."; }', "10 mail.internal."),
    (
        "CAA",
        '{ issuerCritical = false; tag = "issue"; value = "letsencrypt.org"; }',
        '0 issue "letsencrypt.org"',
    ),
    (
        "CAA",
        '{ issuerCritical = true; tag = "iodef"; value = "mailto:a@b.c"; '
        'class = "IN"; ttl = null; }',
        '128 iodef "mailto:a@b.c"',
    ),
]


@pytest.mark.parametrize(("rtype", "item", "data"), STRING_FORMS + ATTRSET_FORMS)
def test_every_type_at_a_subdomain(rtype: str, item: str, data: str) -> None:
    got = records(f"{{ internal.subdomains.host.{rtype} = [ {item} ]; }}")
    assert got == [_rec("host", rtype, data, f"zones.internal.subdomains.host.{rtype}")]


@pytest.mark.parametrize(("rtype", "item", "data"), ATTRSET_FORMS)
def test_every_type_at_the_apex(rtype: str, item: str, data: str) -> None:
    got = records(f"{{ internal.{rtype} = [ {item} ]; }}")
    assert got == [_rec("@", rtype, data, f"zones.internal.{rtype}")]


def test_srv_owner_at_apex_and_subdomain_with_defaults() -> None:
    got = records(
        """{ internal = {
          SRV = [ { service = "sip"; proto = "tcp"; port = 5060; target = "sip.internal."; } ];
          subdomains.office.SRV = [
            { service = "xmpp-server"; proto = "tcp"; priority = 5; weight = 0; port = 5269;
              target = "chat.internal."; class = "IN"; ttl = 600; }
          ];
        }; }"""
    )
    assert got == [
        _rec("_sip._tcp", "SRV", "0 100 5060 sip.internal.", "zones.internal.SRV"),
        _rec(
            "_xmpp-server._tcp.office",
            "SRV",
            "5 0 5269 chat.internal.",
            "zones.internal.subdomains.office.SRV",
            ttl=600,
        ),
    ]


def test_dkim_and_dmarc_become_txt_at_their_owners() -> None:
    got = records(
        """{ internal = {
          DKIM = [ { selector = "mail"; p = "KEY"; } ];
          DMARC = [ { p = "reject"; rua = [ "mailto:a@internal" ]; } ];
        }; }"""
    )
    assert got == [
        _rec(
            "mail._domainkey",
            "TXT",
            '"v=DKIM1; k=rsa; p=KEY; s=*;"',
            "zones.internal.DKIM",
        ),
        _rec(
            "_dmarc",
            "TXT",
            '"v=DMARC1; p=reject; adkim=r; aspf=r; fo=0; pct=100; rf=afrf; ri=86400; '
            'rua=mailto:a@internal;"',
            "zones.internal.DMARC",
        ),
    ]


def test_unsupported_types_reach_the_checker() -> None:
    got = records('{ internal.subdomains.x = { HINFO = [ "PC Linux" ]; DS = [ ]; }; }')
    assert got == [_rec("x", "HINFO", "PC Linux", "zones.internal.subdomains.x.HINFO")]


def test_names_in_string_form_are_passed_through_as_written() -> None:
    # the missing trailing dot is the checker's to catch, not render's to fix
    got = records('{ internal.NS = [ "ns0.internal" ]; internal.subdomains.a.CNAME = [ "b" ]; }')
    assert [r["data"] for r in got] == ["ns0.internal", "b"]


# ---- TTLs ------------------------------------------------------------------


def test_ttl_per_record_node_and_inherited() -> None:
    got = records(
        """{ internal = {
          ttl = 120;
          NS = [ "ns0.internal." { nsdname = "ns1.internal."; ttl = 60; } ];
          subdomains = {
            a.A = [ { address = "10.0.0.1"; ttl = null; class = "IN"; } ];
            b = { ttl = 30; A = [ "10.0.0.2" ]; subdomains.c.A = [ "10.0.0.3" ]; };
          };
        }; }"""
    )
    assert [(r["name"], r.get("ttl")) for r in got] == [
        ("@", 120),
        ("@", 60),
        ("a", 120),
        ("b", 30),
        ("c.b", 30),
    ]


def test_no_ttl_means_the_document_default() -> None:
    got = render('{ internal.subdomains.a.A = [ { address = "10.0.0.1"; ttl = null; } ]; }')
    assert got["defaults"] == {"ttl": 300}
    assert "ttl" not in got["zones"]["internal"]["records"][0]


# ---- TXT ---------------------------------------------------------------------


def _txt(text_expr: str) -> str:
    got = records(f"{{ internal.TXT = [ {text_expr} ]; }}")
    data: str = got[0]["data"]
    return data


@pytest.mark.parametrize(
    ("nix", "data"),
    [
        ('"v=spf1 -all"', '"v=spf1 -all"'),
        ('""', '""'),
        ('"say \\"hi\\""', '"say \\"hi\\""'),
        ('"back\\\\slash"', '"back\\\\slash"'),
        ('"semi;colon (paren) $dollar @at"', '"semi;colon (paren) $dollar @at"'),
        ('"tab\\there"', '"tab\\009here"'),
        ('"line\\nbreak\\r"', '"line\\010break\\013"'),
        ('"caf\u00e9"', '"caf\\195\\169"'),
        ('"\u2603 \U0001f600"', '"\\226\\152\\131 \\240\\159\\152\\128"'),
        ('{ data = "k=v"; }', '"k=v"'),
    ],
)
def test_txt_quoting_and_escaping(nix: str, data: str) -> None:
    assert _txt(nix) == data


@pytest.mark.parametrize(
    ("length", "pieces"),
    [(254, [254]), (255, [255]), (256, [255, 1]), (510, [255, 255]), (600, [255, 255, 90])],
)
def test_txt_split_into_255_octet_strings(length: int, pieces: list[int]) -> None:
    text = "".join(chr(ord("a") + i % 26) for i in range(length))
    data = _txt(json.dumps(text))
    parts = data.split(" ")
    assert [len(p) - 2 for p in parts] == pieces
    assert all(p.startswith('"') and p.endswith('"') for p in parts)
    assert "".join(p[1:-1] for p in parts) == text


def test_txt_split_counts_octets_before_escaping() -> None:
    # 254 plain octets then a 2-octet UTF-8 character: the split falls
    # inside it, and each half is escaped on its own
    data = _txt(json.dumps("a" * 254 + "\u00e9", ensure_ascii=False))
    assert data == '"' + "a" * 254 + '\\195" "\\169"'


# ---- names, keys and sources -------------------------------------------------


def test_dotted_and_nested_subdomain_keys() -> None:
    got = records(
        """{ internal.subdomains = {
          "a.b".A = [ "10.0.0.1" ];
          x.subdomains.y.subdomains.z.A = [ "10.0.0.2" ];
          "*".subdomains.w.A = [ "10.0.0.3" ];
        }; }"""
    )
    assert [(r["name"], r["source"]) for r in got] == [
        ("w.*", 'zones.internal.subdomains."*".subdomains.w.A'),
        ("a.b", 'zones.internal.subdomains."a.b".A'),
        ("z.y.x", "zones.internal.subdomains.x.subdomains.y.subdomains.z.A"),
    ]


def test_sources_quote_keys_a_nix_user_would_quote() -> None:
    got = records(
        '{ "s3.garage.internal".subdomains = '
        '{ "in".A = [ "10.0.0.1" ]; my-host.A = [ "10.0.0.2" ]; }; }',
        zone="s3.garage.internal",
    )
    assert [r["source"] for r in got] == [
        'zones."s3.garage.internal".subdomains."in".A',
        'zones."s3.garage.internal".subdomains.my-host.A',
    ]


def test_order_is_deterministic_whatever_the_declaration_order() -> None:
    a = render(
        '{ internal = { subdomains.b.A = [ "10.0.0.2" ]; subdomains.a.A = [ "10.0.0.1" ]; }; }'
    )
    b = render(
        '{ internal = { subdomains.a.A = [ "10.0.0.1" ]; subdomains.b.A = [ "10.0.0.2" ]; }; }'
    )
    assert a == b
    assert [r["name"] for r in a["zones"]["internal"]["records"]] == ["a", "b"]


def test_list_order_within_one_rrset_is_kept() -> None:
    got = records('{ internal.NS = [ "z.internal." "a.internal." "m.internal." ]; }')
    assert [r["data"] for r in got] == ["z.internal.", "a.internal.", "m.internal."]


def test_render_json_is_the_documents_json() -> None:
    expr = lib_expr(
        'let args = { managedBy = "routy"; zones.internal.subdomains.a.A = [ "10.0.0.1" ]; }; '
        "in builtins.fromJSON (lib.renderJSON args) == lib.render args"
    )
    assert nix_eval(expr) is True


# ---- structural mistakes fail evaluation, naming the attribute path ------------


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        ("{ internal.MX = [ { preference = 10; } ]; }", "zones.internal.MX: a MX record needs"),
        (
            '{ internal.subdomains.x.SRV = [ { service = "a"; proto = "tcp"; } ]; }',
            "zones.internal.subdomains.x.SRV: a SRV record needs",
        ),
        ('{ internal.A = "10.0.0.1"; }', "zones.internal.A: expected a list of A records"),
        ("{ internal.A = [ 42 ]; }", "zones.internal.A: a A record must be a string or an attrset"),
    ],
)
def test_structural_mistakes_name_the_path(zones: str, message: str) -> None:
    with pytest.raises(NixError) as err:
        render(zones)
    assert message in err.value.output


# ---- autoPtr --------------------------------------------------------------------


AUTO_PTR_ZONES = """{
  internal.subdomains = {
    ns0.A = [ "10.0.0.53" ];
    ns0.AAAA = [ "fd00::53" ];
    web.A = [ { address = "10.0.0.80"; ttl = 60; } ];
    alias.A = [ "10.0.0.80" ];
    outside.A = [ "192.168.1.1" ];
  };
  "10.in-addr.arpa".subdomains."53.0.0".PTR = [ "dns.internal." ];
  "0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa" = { };
}"""


def test_auto_ptr_fills_reverse_zones_once_per_address() -> None:
    doc = render(AUTO_PTR_ZONES, extra="autoPtr = true;")
    assert doc["zones"]["10.in-addr.arpa"]["records"] == [
        # an explicit PTR wins over the generated one
        _rec("53.0.0", "PTR", "dns.internal.", 'zones."10.in-addr.arpa".subdomains."53.0.0".PTR'),
        # the first declaration of an address wins (alias < web in order)
        _rec("80.0.0", "PTR", "alias.internal.", "zones.internal.subdomains.alias.A (autoPtr)"),
    ]
    assert doc["zones"]["0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa"]["records"] == [
        _rec(
            "3.5" + ".0" * 14,
            "PTR",
            "ns0.internal.",
            "zones.internal.subdomains.ns0.AAAA (autoPtr)",
        )
    ]
    # no zone covers 192.168.1.1: nothing is invented
    assert set(doc["zones"]) == {
        "internal",
        "10.in-addr.arpa",
        "0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa",
    }


def test_auto_ptr_is_off_by_default() -> None:
    doc = render(AUTO_PTR_ZONES)
    assert len(doc["zones"]["10.in-addr.arpa"]["records"]) == 1


@pytest.mark.parametrize(
    ("address", "name"),
    [
        ("10.0.0.1", "1.0.0.10.in-addr.arpa"),
        ("::1", ".".join(["1"] + ["0"] * 31) + ".ip6.arpa"),
        (
            "2001:DB8::ff00:42:8329",
            "9.2.3.8.2.4.0.0.0.0.f.f.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
        ),
        ("::ffff:1.2.3.4", "4.0.3.0.2.0.1.0.f.f.f.f" + ".0" * 20 + ".ip6.arpa"),
        (
            "1:2:3:4:5:6:7::",
            "0.0.0.0" + ".7.0.0.0.6.0.0.0.5.0.0.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.ip6.arpa",
        ),
        ("10.0.0.256", None),
        ("10.0.0", None),
        ("1::2::3", None),
        ("1:2:3:4:5:6:7:8:9", None),
        ("not an address", None),
    ],
)
def test_reverse_name(address: str, name: str | None) -> None:
    assert nix_eval(lib_expr(f"lib.reverseName {json.dumps(address)}")) == name


def test_external_dns_layouts_rendered_for_the_agent() -> None:
    """Issue 9: ExternalDNS's registry settings reach the document; absent, the
    key is left out (the agent assumes ExternalDNS's defaults)."""
    assert "externalDns" not in render("{ }")
    doc = render(
        "{ }",
        'externalDnsLayouts = [ { prefix = "k8s."; } '
        '{ suffix = "-%{record_type}"; wildcardReplacement = "any"; } ];',
    )
    assert doc["externalDns"] == {
        "layouts": [
            {"prefix": "k8s.", "suffix": "", "wildcardReplacement": ""},
            {"prefix": "", "suffix": "-%{record_type}", "wildcardReplacement": "any"},
        ]
    }
