"""The address plan, derived with netaddr from province.yml's pools and each site's code.

A site's block in every pool is fixed by its code alone (index = reserved blocks + code - first
code), so adding or removing a unit never moves another unit's addresses. Inside a site:
  management block  .1 the site's TSLCD router, .2… the hosts in file order (unless pinned)
  site LAN          .1 the gateway's LAN side; cameras and devices take explicit addresses
  overlays          one /32 per site in each office's overlay pool; the hub sits in the
                    reserved blocks at the start of the pool
"""

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

import netaddr

from tcd.loading.inventory import PROVINCE_FILE, Inventory
from tcd.loading.problems import InventoryError, Problem
from tcd.model.province import OVERLAY_POOL, AddressPlan, Office, Pool, PoolName, Province
from tcd.model.site import HostRole, Site

ROUTER_OFFSET = 1  # .1 of the management block: the TSLCD router, never a host
FIRST_HOST_OFFSET = 2


@dataclass(frozen=True)
class HostPlan:
    name: str
    role: HostRole
    site: int
    management_address: netaddr.IPAddress
    is_gateway: bool


@dataclass(frozen=True)
class CameraPlan:
    name: str
    kind: str
    address: netaddr.IPAddress | None


@dataclass(frozen=True)
class SitePlan:
    code: int
    management_block: netaddr.IPNetwork
    lan: netaddr.IPNetwork
    lan_gateway: netaddr.IPAddress
    overlay: dict[Office, netaddr.IPAddress]
    hosts: tuple[HostPlan, ...]
    cameras: tuple[CameraPlan, ...]

    @property
    def gateway(self) -> HostPlan | None:
        return next((host for host in self.hosts if host.is_gateway), None)


@dataclass(frozen=True)
class HubPlan:
    name: str
    office: Office
    underlay_address: netaddr.IPAddress
    overlay_address: netaddr.IPAddress
    overlay_network: netaddr.IPNetwork
    listen_port: int
    office_networks: tuple[netaddr.IPNetwork, ...]

    @property
    def office_probe(self) -> netaddr.IPAddress:
        """The address a site pings to prove the office is reachable through its tunnel: the
        first address of the office's first network (its router, by convention)."""
        return netaddr.IPAddress(self.office_networks[0].first + 1)


@dataclass(frozen=True)
class Plan:
    sites: dict[int, SitePlan]
    hubs: dict[Office, HubPlan]

    def host(self, name: str) -> HostPlan:
        for site in self.sites.values():
            for host in site.hosts:
                if host.name == name:
                    return host
        raise KeyError(f"unknown host {name!r}")


def block_count(pool: Pool) -> int:
    return 2 ** (pool.per_site_prefix - pool.cidr.prefixlen)


def site_block(pool: Pool, index: int) -> netaddr.IPNetwork:
    first = netaddr.IPNetwork((int(pool.cidr.network), pool.per_site_prefix))
    return first.next(index) if index else first


def site_index(plan: AddressPlan, pool: Pool, code: int) -> int:
    return pool.reserved_blocks + code - plan.codes.first


def plan_addresses(inventory: Inventory, sites: Iterable[Site] | None = None) -> Plan:
    """Plan the hubs and the given sites (all by default); raise InventoryError naming every
    overlap, exhaustion or misplaced address with both parties."""
    province = inventory.province
    problems = _check_pools(inventory)
    if problems:
        raise InventoryError(problems)
    hubs = _plan_hubs(inventory, problems)
    planned: dict[int, SitePlan] = {}
    for site in inventory.sites.values() if sites is None else sites:
        site_plan = _plan_site(inventory, province, site, problems)
        if site_plan is not None:
            planned[site.code] = site_plan
    if sites is None:
        problems.extend(_check_unique_addresses(inventory, planned))
    if problems:
        raise InventoryError(problems)
    return Plan(sites=planned, hubs=hubs)


def _check_pools(inventory: Inventory) -> list[Problem]:
    source = inventory.province_source
    plan = inventory.province.address_plan
    problems: list[Problem] = []
    needed = plan.codes.last - plan.codes.first + 1
    for name, pool in plan.pools.items():
        loc = ("address_plan", "pools", name.value)
        if block_count(pool) < pool.reserved_blocks + needed:
            problems.append(
                source.problem(
                    loc,
                    f"pool {name} {pool.cidr} is exhausted: it holds {block_count(pool)} "
                    f"/{pool.per_site_prefix} blocks, codes {plan.codes.first}-{plan.codes.last} "
                    f"need {needed} plus {pool.reserved_blocks} reserved",
                )
            )
        if name in OVERLAY_POOL.values() and pool.per_site_prefix != 32:
            problems.append(
                source.problem((*loc, "per_site_prefix"), "overlay pools give each site a /32")
            )
    named: list[tuple[tuple, str, netaddr.IPNetwork]] = [
        (("address_plan", "pools", name.value, "cidr"), f"pool {name}", pool.cidr)
        for name, pool in plan.pools.items()
    ]
    for h_index, hub in enumerate(inventory.province.hubs):
        named += [
            (("hubs", h_index, "office_networks", n_index), f"{hub.name} office network", network)
            for n_index, network in enumerate(hub.office_networks)
        ]
    for (loc_a, what_a, net_a), (_, what_b, net_b) in combinations(named, 2):
        if (
            net_a in net_b
            or net_b in net_a
            or (net_a.first <= net_b.last and net_b.first <= net_a.last)
        ):
            problems.append(source.problem(loc_a, f"{what_a} {net_a} overlaps {what_b} {net_b}"))
    return problems


def _plan_hubs(inventory: Inventory, problems: list[Problem]) -> dict[Office, HubPlan]:
    source = inventory.province_source
    plan = inventory.province.address_plan
    hubs: dict[Office, HubPlan] = {}
    for h_index, hub in enumerate(inventory.province.hubs):
        pool = plan.pools[OVERLAY_POOL[hub.office]]
        reserved = (
            netaddr.IPRange(pool.cidr.first, site_block(pool, pool.reserved_blocks).first - 1)
            if pool.reserved_blocks
            else None
        )
        if reserved is None or hub.overlay_address not in reserved:
            where = f"{reserved}" if reserved else "(none: set reserved_blocks)"
            problems.append(
                source.problem(
                    ("hubs", h_index, "overlay_address"),
                    f"{hub.overlay_address} is outside the reserved start of pool "
                    f"{OVERLAY_POOL[hub.office]} {pool.cidr}: {where}",
                )
            )
        for name, other in plan.pools.items():
            start = site_block(other, other.reserved_blocks).first
            if start <= int(hub.underlay_address) <= other.cidr.last:
                problems.append(
                    source.problem(
                        ("hubs", h_index, "underlay_address"),
                        f"{hub.underlay_address} lies among the site blocks of pool"
                        f" {name} {other.cidr}",
                    )
                )
        hubs[hub.office] = HubPlan(
            name=hub.name,
            office=hub.office,
            underlay_address=hub.underlay_address,
            overlay_address=hub.overlay_address,
            overlay_network=pool.cidr,
            listen_port=hub.listen_port,
            office_networks=tuple(hub.office_networks),
        )
    return hubs


def _plan_site(
    inventory: Inventory, province: Province, site: Site, problems: list[Problem]
) -> SitePlan | None:
    source = inventory.site_source(site.code)
    plan = province.address_plan
    if not plan.codes.first <= site.code <= plan.codes.last:
        problems.append(
            source.problem(
                ("code",),
                f"code {site.code} is outside the address plan's code range "
                f"{plan.codes.first}-{plan.codes.last} ({PROVINCE_FILE} address_plan.codes)",
            )
        )
        return None
    blocks = {
        name: site_block(pool, site_index(plan, pool, site.code))
        for name, pool in plan.pools.items()
    }
    management, lan = blocks[PoolName.MANAGEMENT], blocks[PoolName.SITE_LAN]
    gateway = site.gateway
    hosts: list[HostPlan] = []
    for index, host in enumerate(site.hosts):
        if host.management_address is not None:
            address = host.management_address
            if address not in management or address in (
                management.network,
                management.broadcast,
                management[ROUTER_OFFSET],
            ):
                problems.append(
                    source.problem(
                        ("hosts", index, "management_address"),
                        f"{address} is outside this site's host addresses in its management block "
                        f"{management} (pool management {plan.pools[PoolName.MANAGEMENT].cidr})",
                    )
                )
                continue
        elif FIRST_HOST_OFFSET + index < management.size - 1:
            address = management[FIRST_HOST_OFFSET + index]
        else:
            problems.append(
                source.problem(
                    ("hosts", index),
                    f"management block {management} is exhausted:"
                    f" no address left for host {host.name}",
                )
            )
            continue
        hosts.append(HostPlan(host.name, host.role, site.code, address, host is gateway))
    cameras: list[CameraPlan] = []
    for index, camera in enumerate(site.cameras):
        if camera.address is not None and (
            camera.address not in lan or camera.address in (lan.network, lan.broadcast, lan[1])
        ):
            problems.append(
                source.problem(
                    ("cameras", index, "address"),
                    f"{camera.address} is outside this site's device addresses in its LAN {lan} "
                    f"(pool site_lan {plan.pools[PoolName.SITE_LAN].cidr}; .1 is the gateway)",
                )
            )
        cameras.append(CameraPlan(camera.name, camera.kind.value, camera.address))
    return SitePlan(
        code=site.code,
        management_block=management,
        lan=lan,
        lan_gateway=lan[1],
        overlay={office: blocks[pool].ip for office, pool in OVERLAY_POOL.items()},
        hosts=tuple(hosts),
        cameras=tuple(cameras),
    )


def _check_unique_addresses(inventory: Inventory, planned: dict[int, SitePlan]) -> list[Problem]:
    """Pinned addresses can still collide with another host's: name both."""
    problems: list[Problem] = []
    owner: dict[netaddr.IPAddress, tuple[int, str]] = {}
    for code, site_plan in planned.items():
        for index, host in enumerate(site_plan.hosts):
            address = host.management_address
            if address in owner:
                other_code, other_name = owner[address]
                problems.append(
                    inventory.site_source(code).problem(
                        ("hosts", index, "management_address"),
                        f"{address} is also the address of {other_name} (site {other_code})",
                    )
                )
            owner[address] = (code, host.name)
        for index, camera in enumerate(site_plan.cameras):
            if camera.address is None:
                continue
            if camera.address in owner:
                other_code, other_name = owner[camera.address]
                problems.append(
                    inventory.site_source(code).problem(
                        ("cameras", index, "address"),
                        f"{camera.address} is also the address of {other_name} (site {other_code})",
                    )
                )
            owner[camera.address] = (code, camera.name)
    return problems
