"""The lab's network: a WAN bridge in a namespace of its own, one namespace per host, and one
for the controller. Nothing is created in the machine's own namespace."""

from pathlib import Path

import netaddr

from tcd.lab.addressing import LAB_UNDERLAY
from tcd.lab.settings import LabSettings
from tcd.lab.system import ip_batch, run

NETNS_DIR = Path("/run/netns")
BRIDGE = "wan0"


def create_wan(settings: LabSettings, controller: str) -> None:
    """The bridge, and the controller's namespace plugged into it at the control node's
    address (the one address sites accept SSH from, besides the hubs)."""
    wan = settings.wan_netns
    run(["ip", "netns", "add", wan])
    ip_batch(
        wan,
        [
            ["link", "set", "lo", "up"],
            ["link", "add", BRIDGE, "type", "bridge"],
            *no_ipv6(BRIDGE),
            ["link", "set", BRIDGE, "up"],
        ],
    )
    create_namespaces(settings, [(settings.controller_netns, controller)], port_prefix="c")


def create_namespaces(
    settings: LabSettings, members: list[tuple[str, str]], port_prefix: str = "h"
) -> None:
    """A namespace per (name, address), its eth0 on the WAN bridge with that lab address."""
    wan_side: list[list[str]] = []
    for index, (netns, _) in enumerate(members):
        run(["ip", "netns", "add", netns])
        port = f"{port_prefix}{index}"
        wan_side += [
            ["link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", netns],
            *no_ipv6(port),
            ["link", "set", port, "master", BRIDGE, "up"],
        ]
    ip_batch(settings.wan_netns, wan_side)
    for netns, address in members:
        ip_batch(
            netns,
            [
                ["link", "set", "lo", "up"],
                ["address", "add", f"{address}/{LAB_UNDERLAY.prefixlen}", "dev", "eth0"],
                *no_ipv6("eth0"),
                ["link", "set", "eth0", "up"],
            ],
        )


def create_office(settings: LabSettings, hub: str, network: str) -> None:
    """An office behind its hub: a namespace holding the office's router address (the first of
    its network, which sites ping through their tunnels), linked to the hub's namespace, where
    the hub's side takes the last address. Packets from sites cross the hub's forward chain."""
    office, hub_netns = settings.office_netns(hub), settings.host_netns(hub)
    net = netaddr.IPNetwork(network)
    router, hub_side = netaddr.IPAddress(net.first + 1), netaddr.IPAddress(net.last - 1)
    run(["ip", "netns", "add", office])
    ip_batch(
        office,
        [
            ["link", "set", "lo", "up"],
            ["link", "add", "eth0", "type", "veth", "peer", "name", "office0", "netns", hub_netns],
            *no_ipv6("eth0"),
            ["address", "add", f"{router}/{net.prefixlen}", "dev", "eth0"],
            ["link", "set", "eth0", "up"],
            ["route", "add", "default", "via", str(hub_side)],
        ],
    )
    ip_batch(
        hub_netns,
        [
            *no_ipv6("office0"),
            ["address", "add", f"{hub_side}/{net.prefixlen}", "dev", "office0"],
            ["link", "set", "office0", "up"],
        ],
    )


def no_ipv6(link: str) -> list[list[str]]:
    """No IPv6 link-local address: every lab address stays in 198.18.0.0/15."""
    return [["link", "set", "dev", link, "addrgenmode", "none"]]


def all_namespaces() -> list[str]:
    """Every named network namespace on the machine."""
    return sorted(p.name for p in NETNS_DIR.iterdir()) if NETNS_DIR.is_dir() else []


def lab_namespaces(settings: LabSettings) -> list[str]:
    """Every namespace of this lab that exists now (by name: works without a state file)."""
    prefix = f"{settings.name}-"
    return [name for name in all_namespaces() if name.startswith(prefix)]


def delete_namespaces(names: list[str]) -> None:
    # deleting a namespace deletes its veth ends, and with them their peers and the bridge
    for name in names:
        run(["ip", "netns", "delete", name], check=False)
