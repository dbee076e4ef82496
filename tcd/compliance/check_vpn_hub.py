"""roles/vpn_hub on both hubs: peers exactly the inventory's deployed sites, no site-to-site
forwarding, the private key only on the hub."""

import netaddr
import pytest

from roles.base.role import BASE
from roles.vpn_hub.role import VPN_HUB
from tcd.compliance import nft
from tcd.compliance.host import CheckedHost
from tcd.compliance.wgkeys import check_key
from tcd.text import counted

ROLE = VPN_HUB  # the role whose hosts this module checks
control = pytest.mark.control


@control("TCD-HUB-001")
def test_peers_match_inventory(target: CheckedHost) -> None:
    hub = target.of(ROLE)
    live: dict[str, list[str]] = {}
    for line in target.lines("wg_allowed"):
        interface, key, ips = line.split("\t")
        if interface == hub.interface:
            live[key] = sorted(ips.split())
    wanted = {p.public_key: sorted(p.allowed_ips) for p in hub.peers}
    names = {p.public_key: p.name for p in hub.peers}
    unknown = sorted(set(live) - set(wanted))
    missing = sorted(names[k] for k in set(wanted) - set(live))
    wrong = sorted(names[k] for k in set(wanted) & set(live) if live[k] != wanted[k])
    assert not unknown, (
        f"{counted(len(unknown), 'peer')} not in the inventory: {', '.join(unknown)}"
    )
    assert not missing, f"peers missing for {', '.join(missing)}"
    assert not wrong, f"allowed IPs differ from the plan for {', '.join(wrong)}"


@control("TCD-HUB-002")
def test_no_site_to_site_forwarding(target: CheckedHost) -> None:
    forward = target.of(BASE).firewall_forward
    sites = netaddr.IPSet(s for rule in forward for s in rule.sources)
    rules = nft.ruleset(target)
    chains = [o["chain"] for o in rules if "chain" in o and o["chain"].get("hook") == "forward"]
    assert chains, "no forward chain: the ruleset is empty or not loaded"
    for chain in chains:
        assert chain.get("policy") == "drop", f"forward chain policy is {chain.get('policy')}"
        for rule in nft.rules_of(rules, chain):
            if not nft.accepts(rule) or nft.housekeeping(rule):
                continue
            source, destination = nft.sources(rule), nft.destinations(rule)
            assert source is not None and destination is not None, (
                f"forward rule {rule['handle']} accepts from or to anywhere"
            )
            assert not (source & sites and destination & sites), (
                f"forward rule {rule['handle']} lets sites reach other sites"
            )


@control("TCD-HUB-003")
def test_private_key_stays_private(target: CheckedHost) -> None:
    hub = target.of(ROLE)
    public = check_key(target, hub.interface)
    assert public == hub.public_key, f"{hub.interface} runs with a key the sites don't know"
