"""The names at which an ExternalDNS registry TXT record claims a name. Pure.

Shared by the checker (``rrset-size`` counts the prerequisites that pin these
names in every later change of an RRset) and the agent (which pins them:
`agent.external_dns`, `agent.planner`). The layout rules are described in
`agent.external_dns`; this module holds only the forward mapping, stdlib only.
"""

from __future__ import annotations

TEMPLATE = "%{record_type}"
#: Type tokens ExternalDNS puts into registry names (its supported types and
#: a few more, so that a guess errs towards claiming).
TYPE_TOKENS: tuple[str, ...] = ("a", "aaaa", "cname", "ns", "mx", "srv", "naptr", "txt", "ptr")


def in_zone(name: str, zone: str) -> bool:
    """Whether `name` is `zone` or below it (lower-case text, no final dot)."""
    return name == zone or name.endswith("." + zone)


def join(host: str, domain: str) -> str:
    """`host` + "." + `domain`, or `host` alone for the empty domain."""
    return f"{host}.{domain}" if domain else host


def valid(name: str) -> bool:
    """Whether `name` (text, no final dot) is a domain name: no empty label,
    labels of at most 63 octets, at most 253 in all (RFC 1035 §2.3.4)."""
    labels = name.split(".")
    return len(name) <= 253 and "" not in labels and max(map(len, labels)) <= 63


def registry_names(
    prefix: str, suffix: str, wildcard_replacement: str, name: str, zone: str
) -> list[str]:
    """Every name at which a registry TXT record claims `name` under the
    layout (`prefix`, `suffix`, `wildcard_replacement`: ExternalDNS's
    ``--txt-*`` flags, lower case).

    `name`, `zone` and the results are lower-case absolute names without the
    final dot; only names at or below `zone` are returned (a name outside the
    zone cannot be a prerequisite). Covers every type token, the legacy form
    without it, both ways ExternalDNS splits the host off (first label, or all
    left of the zone with ``--domain-filter``) and the wildcard replacement.
    """
    splits = [name.partition(".")[::2]]
    if name.endswith("." + zone) and splits[0][1] != zone:  # (a child of the apex: the same)
        splits.append((name[: -len(zone) - 1], zone))
    plain_prefix = prefix.replace(TEMPLATE, "")
    plain_suffix = suffix.replace(TEMPLATE, "")
    templated = TEMPLATE in prefix or TEMPLATE in suffix
    found: dict[str, None] = {}
    for host, domain in splits:
        hosts = [host]
        if wildcard_replacement and (host == "*" or host.startswith("*.")):
            hosts.append(wildcard_replacement + host[1:])
        for bare in hosts:
            found[join(plain_prefix + bare + plain_suffix, domain)] = None
            for token in TYPE_TOKENS:
                typed = f"{token}-{bare}"
                found[join(plain_prefix + typed + plain_suffix, domain)] = None
                if templated:
                    typed_prefix = prefix.replace(TEMPLATE, token)
                    typed_suffix = suffix.replace(TEMPLATE, token)
                    found[join(typed_prefix + bare + typed_suffix, domain)] = None
    return [candidate for candidate in found if in_zone(candidate, zone) and valid(candidate)]
