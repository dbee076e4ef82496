"""Reading `nft -j list ruleset`: input chains, their rules, what a rule matches and accepts."""

import json
from typing import Any

import netaddr

from tcd.compliance.host import CheckedHost

Rule = dict[str, Any]


def ruleset(target: CheckedHost) -> list[dict]:
    """The live ruleset, from the host's snapshot."""
    text = target.section("nft")
    try:
        return target.fact("nft", lambda: json.loads(text)["nftables"])
    except ValueError:
        raise AssertionError(f"nft -j list ruleset: {text.strip()[:200]}") from None


def input_chains(nft: list[dict]) -> list[dict]:
    return [o["chain"] for o in nft if "chain" in o and o["chain"].get("hook") == "input"]


def rules_of(nft: list[dict], chain: dict) -> list[Rule]:
    key = (chain["family"], chain["table"], chain["name"])
    return [
        o["rule"]
        for o in nft
        if "rule" in o and (o["rule"]["family"], o["rule"]["table"], o["rule"]["chain"]) == key
    ]


def accepts(rule: Rule) -> bool:
    return any("accept" in e for e in rule["expr"])


def _matches(rule: Rule) -> list[dict]:
    return [e["match"] for e in rule["expr"] if "match" in e]


def unconditional(rule: Rule) -> bool:
    return not _matches(rule)


def housekeeping(rule: Rule) -> bool:
    """Connection state, loopback and ICMP rules: not a service being opened."""
    for match in _matches(rule):
        left = match["left"]
        if "ct" in left or left.get("meta", {}).get("key") in ("iif", "iifname", "l4proto"):
            return True
    return False


def _values(right: Any) -> list[Any]:
    return right["set"] if isinstance(right, dict) and "set" in right else [right]


def ports(rule: Rule) -> set[int] | None:
    """Destination ports a rule matches (None: any port)."""
    found: set[int] | None = None
    for match in _matches(rule):
        if match["left"].get("payload", {}).get("field") == "dport":
            found = found or set()
            for value in _values(match["right"]):
                if isinstance(value, dict) and "range" in value:
                    found |= set(range(value["range"][0], value["range"][1] + 1))
                else:
                    found.add(int(value))
    return found


def sources(rule: Rule) -> netaddr.IPSet | None:
    """Source addresses a rule matches (None: any source)."""
    return _addresses(rule, "saddr")


def destinations(rule: Rule) -> netaddr.IPSet | None:
    """Destination addresses a rule matches (None: any destination)."""
    return _addresses(rule, "daddr")


def _addresses(rule: Rule, field: str) -> netaddr.IPSet | None:
    found: netaddr.IPSet | None = None
    for match in _matches(rule):
        if match["left"].get("payload", {}).get("field") == field:
            found = found or netaddr.IPSet()
            for value in _values(match["right"]):
                if isinstance(value, dict) and "prefix" in value:
                    found.add(f"{value['prefix']['addr']}/{value['prefix']['len']}")
                elif isinstance(value, dict) and "range" in value:
                    found.add(netaddr.IPRange(*value["range"]))
                else:
                    found.add(value)
    return found


def accepting_rules(target: CheckedHost, port: int, allowed: netaddr.IPSet) -> int:
    """How many input rules accept `port` from a source named; AssertionError if a rule accepts
    it from anywhere, or from a source outside `allowed`."""
    rules = ruleset(target)
    found = 0
    for chain in input_chains(rules):
        for rule in rules_of(rules, chain):
            matched = ports(rule)
            if not accepts(rule) or housekeeping(rule) or (matched and port not in matched):
                continue
            where = sources(rule)
            assert where is not None, (
                f"port {port} is accepted from anywhere (rule {rule['handle']})"
            )
            outside = where - allowed
            assert not outside, (
                f"port {port} is accepted from {', '.join(map(str, outside.iter_cidrs()))} "
                f"(rule {rule['handle']})"
            )
            found += matched is not None
    return found
