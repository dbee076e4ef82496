"""The lab's copy of the inventory: every field address moved into 198.18.0.0/15.

The field plan is untouched. Each field pool (and each office network) is given a lab block of
the same size; an address inside a field block keeps its offset in the lab block, so the lab
plan is the field plan shifted, and every derived address (sites, hubs, NTP) follows. Pinned
addresses in site files move the same way. Field addresses outside every pool (the central
hub's endpoint, say) get addresses from a spare block of the lab underlay.
"""

import dataclasses
from collections.abc import Iterable

import netaddr

from tcd.loading import Inventory
from tcd.model.province import PoolName, Province
from tcd.model.site import Site

LAB_RANGE = netaddr.IPNetwork("198.18.0.0/15")
# The simulated WAN: management blocks, hub endpoints, the control node. Hosts see it as one /16.
LAB_UNDERLAY = netaddr.IPNetwork("198.18.0.0/16")
LAB_SPARE = netaddr.IPNetwork("198.18.254.0/24")  # field addresses outside every pool
# Everything that rides inside tunnels or behind gateways: site LANs, overlays, office networks.
LAB_INNER = netaddr.IPNetwork("198.19.0.0/16")


class LabAddressError(ValueError):
    pass


@dataclasses.dataclass
class LabMap:
    """field network -> lab network, and single field addresses -> lab addresses."""

    networks: list[tuple[netaddr.IPNetwork, netaddr.IPNetwork]]
    singles: dict[netaddr.IPAddress, netaddr.IPAddress]

    def address(self, field: netaddr.IPAddress) -> netaddr.IPAddress:
        for field_net, lab_net in self.networks:
            if field in field_net:
                return netaddr.IPAddress(lab_net.first + int(field) - field_net.first)
        if field in self.singles:
            return self.singles[field]
        raise LabAddressError(f"{field} has no place in the lab map")

    def network(self, field: netaddr.IPNetwork) -> netaddr.IPNetwork:
        return netaddr.IPNetwork((int(self.address(field.network)), field.prefixlen))


def _pack(
    networks: Iterable[netaddr.IPNetwork], into: netaddr.IPNetwork
) -> list[netaddr.IPNetwork]:
    """Same-sized, aligned blocks for `networks` inside `into`, largest first (no gaps needed)."""
    wanted = sorted(enumerate(networks), key=lambda item: item[1].prefixlen)
    placed: dict[int, netaddr.IPNetwork] = {}
    cursor = into.first
    for index, network in wanted:
        block = netaddr.IPNetwork((cursor, network.prefixlen)).cidr
        if block.first < cursor:  # realign upwards
            block = block.next()
        if block.last > into.last:
            raise LabAddressError(
                f"the lab cannot fit {network} (/{network.prefixlen}) into {into}"
            )
        placed[index] = block
        cursor = block.last + 1
    return [placed[index] for index in range(len(placed))]


def lab_map(province: Province) -> LabMap:
    pools = province.address_plan.pools
    management = pools[PoolName.MANAGEMENT].cidr
    (lab_management,) = _pack([management], LAB_UNDERLAY)
    inner = [pools[name].cidr for name in pools if name is not PoolName.MANAGEMENT]
    inner += [network for hub in province.hubs for network in hub.office_networks]
    networks = [(management, lab_management), *zip(inner, _pack(inner, LAB_INNER), strict=True)]
    if lab_management.last >= LAB_SPARE.first:  # the spare block sits above
        raise LabAddressError(f"the management pool {management} is too large for the lab underlay")
    singles: dict[netaddr.IPAddress, netaddr.IPAddress] = {}
    spare = iter(LAB_SPARE.iter_hosts())
    strays = [hub.underlay_address for hub in province.hubs]
    services = province.services
    strays += [*services.ntp_servers, *services.dns_servers, *services.control_nodes]
    for address in strays:
        if address not in singles and not any(address in field for field, _ in networks):
            singles[address] = next(spare)
    return LabMap(networks, singles)


# The lab's Prometheus looks every 2 s and alerts after 6 s, so tests wait seconds, not minutes.
LAB_MONITORING = {"scrape_interval": 2, "evaluation_interval": 2, "alert_after": 6}
# ...but only in a lab of up to this many sites. Every host of a lab shares this machine's cores:
# at 95 units, 2 s scrapes (node exporters, blackbox probes, rules) kept 1.4 of 2 cores busy on
# an idle lab, and every rollout and verify measured on it measured that. A bigger lab keeps the
# inventory's (field) intervals.
LAB_FAST_MONITORING_MAX_SITES = 20


def fast_monitoring(site_count: int) -> bool:
    """Whether a lab of `site_count` sites shortens the monitoring intervals (LAB_MONITORING)."""
    return site_count <= LAB_FAST_MONITORING_MAX_SITES


def lab_inventory(
    inventory: Inventory, lab_public_key: str, *, fast: bool = True
) -> tuple[Inventory, LabMap]:
    """The inventory as the lab sees it: lab addresses, and the lab's key for every admin; with
    `fast`, the lab's short monitoring intervals (LAB_MONITORING)."""
    mapping = lab_map(inventory.province)
    province = inventory.province
    plan = province.address_plan
    pools = {
        name: pool.model_copy(update={"cidr": mapping.network(pool.cidr)})
        for name, pool in plan.pools.items()
    }
    hubs = [
        hub.model_copy(
            update={
                "underlay_address": mapping.address(hub.underlay_address),
                "overlay_address": mapping.address(hub.overlay_address),
                "office_networks": [mapping.network(n) for n in hub.office_networks],
            }
        )
        for hub in province.hubs
    ]
    services = province.services.model_copy(
        update={
            "ntp_servers": [mapping.address(a) for a in province.services.ntp_servers],
            "dns_servers": [mapping.address(a) for a in province.services.dns_servers],
            "control_nodes": [mapping.address(a) for a in province.services.control_nodes],
        }
    )
    admins = [admin.model_copy(update={"ssh_keys": [lab_public_key]}) for admin in province.admins]
    lab_province = province.model_copy(
        update={
            "hubs": hubs,
            "address_plan": plan.model_copy(update={"pools": pools}),
            "services": services,
            "admins": admins,
            "monitoring": province.monitoring.model_copy(update=LAB_MONITORING if fast else {}),
        }
    )
    sites = {code: _lab_site(site, mapping) for code, site in inventory.sites.items()}
    return dataclasses.replace(inventory, province=lab_province, sites=sites), mapping


def _lab_site(site: Site, mapping: LabMap) -> Site:
    hosts = [
        host.model_copy(update={"management_address": mapping.address(host.management_address)})
        if host.management_address is not None
        else host
        for host in site.hosts
    ]
    cameras = [
        camera.model_copy(update={"address": mapping.address(camera.address)})
        if camera.address is not None
        else camera
        for camera in site.cameras
    ]
    return site.model_copy(update={"hosts": hosts, "cameras": cameras})
