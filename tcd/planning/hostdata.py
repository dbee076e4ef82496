"""What every role needs to know about one host, derived from the inventory and the plan.

The roles read only this (pyinfra host data); nothing site-specific is written in a role.
WireGuard public keys are the one input that comes from the hosts themselves: `keys` carries
those collected so far (a missing key renders as a placeholder and the tunnel waits for it).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from roles.camera import defaults as camera_defaults
from tcd.loading import Inventory
from tcd.model.province import OVERLAY_POOL, Office, PoolName
from tcd.model.site import HostRole, Site
from tcd.model.survey import CameraKind
from tcd.planning.addresses import Plan, SitePlan

SPOKE_INTERFACE = {Office.PROVINCE: "wg-province", Office.CENTRAL: "wg-central"}
HUB_INTERFACE = "wg-sites"


@dataclass
class PublicKeys:
    """WireGuard public keys read back from hosts (never a private key)."""

    hubs: dict[Office, str] = field(default_factory=dict)
    # gateway host name -> office -> its public key on the tunnel to that office
    spokes: dict[str, dict[Office, str]] = field(default_factory=dict)


def host_data(
    inventory: Inventory,
    plan: Plan,
    sites: Iterable[Site],
    keys: PublicKeys,
    apt_update: bool = True,
) -> dict[str, dict[str, Any]]:
    """pyinfra host data for the hosts of `sites` and both hubs, by host name."""
    data: dict[str, dict[str, Any]] = {}
    for site in sites:
        site_plan = plan.sites[site.code]
        gateway = site_plan.gateway
        behind = [f"{h.management_address}/32" for h in site_plan.hosts if not h.is_gateway]
        offices = [f"{h.overlay_address}/32" for h in plan.hubs.values()]
        offices += [str(n) for h in plan.hubs.values() for n in h.office_networks]
        for host in site_plan.hosts:
            roles = ["base"]
            if host.role is HostRole.RECEPTION_PC:
                roles.append("reception_pc")
            if host.is_gateway:
                roles.append("vpn_spoke")
            base = _base(inventory, host.name, apt_update, hub=False)
            if host.is_gateway and behind:
                # the site's other hosts reach the offices through this gateway's tunnels,
                # masqueraded as its tunnel address (so hubs need no route back to them)
                base["firewall_forward"] = [{"sources": behind, "destinations": offices}]
                base["masquerade"] = {
                    "sources": behind,
                    "interfaces": list(SPOKE_INTERFACE.values()),
                }
                base["forwarding"] = True
            if host.is_gateway:
                base["ssh_forward_to"] = _camera_ports(site_plan)
            elif gateway is not None:
                base["routes"] = [
                    {"to": net, "via": str(gateway.management_address)} for net in offices
                ]
            usb = [
                {"name": c.name, "model": c.model}
                for c in site.cameras
                if c.kind is CameraKind.USB and c.attached_to == host.name
            ]
            if usb:
                roles.append("usb_camera")
            entry: dict[str, Any] = {"tcd_roles": roles, "tcd_base": base}
            if usb:
                entry["tcd_usb_cameras"] = usb
            if "reception_pc" in roles:
                entry["tcd_reception"] = _reception(inventory)
            if host.is_gateway:
                entry["tcd_spoke"] = _spoke(plan, site.code, keys)
            data[host.name] = entry
    for hub in plan.hubs.values():
        data[hub.name] = {
            "tcd_roles": ["base", "vpn_hub"],
            "tcd_base": _base(inventory, hub.name, apt_update, hub=True, office=hub.office),
            "tcd_hub": _hub(inventory, plan, hub.office, keys),
        }
    return data


def _networks(inventory: Inventory) -> dict[str, list[str]]:
    pools = inventory.province.address_plan.pools
    hubs = inventory.province.hubs
    return {
        "management": [str(pools[PoolName.MANAGEMENT].cidr)],
        "control": [f"{a}/32" for a in inventory.province.services.control_nodes],
        "hubs": [f"{h.underlay_address}/32" for h in hubs]
        + [f"{h.overlay_address}/32" for h in hubs],
        "overlays": [str(pools[name].cidr) for name in OVERLAY_POOL.values()],
        "site_lans": [str(pools[PoolName.SITE_LAN].cidr)],
        "offices": [str(n) for h in hubs for n in h.office_networks],
    }


def _base(
    inventory: Inventory, name: str, apt_update: bool, hub: bool, office: Office | None = None
) -> dict:
    province = inventory.province
    services = province.services
    nets = _networks(inventory)
    ntp = [str(a) for a in services.ntp_servers]
    serves_ntp = hub and any(
        str(h.underlay_address) in ntp for h in province.hubs if h.office is office
    )
    # the fleet's hosts, and the other hub (whose address is outside the fleet's pools)
    ntp_clients = nets["management"] + nets["overlays"] + nets["site_lans"] + nets["hubs"]
    # SSH: the control node, the hubs, and admins on the management segment or over the tunnels
    ssh_sources = nets["control"] + nets["hubs"] + nets["management"] + nets["overlays"]
    rules = [{"proto": "tcp", "port": 22, "sources": ssh_sources, "comment": "ssh (TCD-FW-002)"}]
    if hub:
        hub_entry = province.hub(office) if office else None
        assert hub_entry is not None
        rules.append(
            {
                "proto": "udp",
                "port": hub_entry.listen_port,
                "sources": [],
                "comment": "wireguard from sites",
            }
        )
    if serves_ntp:
        rules.append(
            {
                "proto": "udp",
                "port": 123,
                "sources": ntp_clients,
                "comment": "ntp for the fleet",
            }
        )
    forward = []
    if hub:
        # reception traffic only: sites (their tunnel address and room LAN) to and from the
        # offices; nothing between two sites (TCD-HUB-002)
        forward = [
            {"sources": nets["overlays"] + nets["site_lans"], "destinations": nets["offices"]}
        ]
    return {
        "hostname": name,
        "timezone": province.province.timezone,
        "ntp_servers": [] if serves_ntp else ntp,
        "ntp_serve_to": ntp_clients if serves_ntp else [],
        "dns_servers": [str(a) for a in services.dns_servers],
        "admin_group": province.admin_group,
        "admins": [
            {"username": a.username, "title": a.title, "keys": list(a.ssh_keys)}
            for a in province.admins
        ],
        "firewall_input": rules,
        "firewall_forward": forward,
        "masquerade": None,
        "forwarding": hub,
        "routes": [],
        "ssh_forward_to": [],
        "apt_update": apt_update,
    }


def _camera_ports(site_plan: SitePlan) -> list[dict[str, Any]]:
    """Every IP camera service (address, port) the controller reaches through the gateway."""
    return [
        {"address": str(camera.address), "port": port}
        for camera in site_plan.cameras
        if camera.address is not None
        for port in (camera_defaults.ONVIF_PORT, camera_defaults.RTSP_PORT)
    ]


def _reception(inventory: Inventory) -> dict:
    services = inventory.province.services
    return {
        "url": str(services.reception_platform_url),
        "url_origin": f"{services.reception_platform_url.scheme}://{services.reception_platform_url.host}",
        "office_days": list(services.office_hours.days),
        "office_start": services.office_hours.start,
        "office_end": services.office_hours.end,
    }


def _spoke(plan: Plan, code: int, keys: PublicKeys) -> dict:
    site_plan = plan.sites[code]
    tunnels = []
    for office, hub in plan.hubs.items():
        tunnels.append(
            {
                "interface": SPOKE_INTERFACE[office],
                "office": office.value,
                "address": f"{site_plan.overlay[office]}/32",
                "hub_public_key": keys.hubs.get(office),
                "hub_endpoint": f"{hub.underlay_address}:{hub.listen_port}",
                "hub_address": str(hub.overlay_address),
                "office_probe": str(hub.office_probe),
                "allowed_ips": [
                    f"{hub.overlay_address}/32",
                    *(str(n) for n in hub.office_networks),
                ],
            }
        )
    return {"tunnels": tunnels}


def _hub(inventory: Inventory, plan: Plan, office: Office, keys: PublicKeys) -> dict:
    hub = plan.hubs[office]
    peers = []
    for code, site_plan in plan.sites.items():
        gateway = site_plan.gateway
        key = keys.spokes.get(gateway.name, {}).get(office) if gateway else None
        if key is None:
            continue  # not deployed yet: no peer until its key is known
        peers.append(
            {
                "site": code,
                "name": gateway.name,
                "public_key": key,
                "allowed_ips": [f"{site_plan.overlay[office]}/32", str(site_plan.lan)],
            }
        )
    return {
        "interface": HUB_INTERFACE,
        "address": f"{hub.overlay_address}/{hub.overlay_network.prefixlen}",
        "listen_port": hub.listen_port,
        "peers": peers,
        "public_key": keys.hubs.get(office),
    }
