"""roles/base: every SSH-managed host (sites' hosts and both hubs)."""

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from roles.base import defaults
from roles.declaration import Reads, Role, RoleData, Subject
from roles.ip_camera.defaults import ONVIF_PORT, RTSP_PORT
from roles.monitoring_agent import defaults as agent_defaults
from roles.monitoring_agent.role import MONITORING_AGENT, AgentData
from roles.monitoring_hub import defaults as mon
from roles.monitoring_hub.role import MONITORING_HUB, MonitoringData
from roles.vpn_spoke.defaults import INTERFACES as SPOKE_INTERFACES
from tcd.model.province import OVERLAY_POOL, Office, PoolName


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Admin(_Part):
    username: str
    title: str
    keys: tuple[str, ...]


class InputRule(_Part):
    proto: str
    port: int
    sources: tuple[str, ...]  # empty: from anywhere
    comment: str


class ForwardRule(_Part):
    sources: tuple[str, ...]
    destinations: tuple[str, ...]


class Masquerade(_Part):
    sources: tuple[str, ...]
    interfaces: tuple[str, ...]


class Listener(_Part):
    """A socket another role opens to the network (TCD-FW-003 accepts it)."""

    proto: str
    port: int
    process: str  # as `ss -p` names it (the kernel's 15-character comm)


class PortForward(_Part):
    """A port of this gateway's tunnel address, forwarded to a host behind it (a hub scrapes
    the host's exporter through it: it has no tunnel address of its own)."""

    interface: str
    address: str
    port: int
    to_address: str
    to_port: int


class ServiceForward(_Part):
    """Forwarded traffic the monitoring needs: these sources to these ports of one address."""

    sources: tuple[str, ...]
    destination: str
    ports: tuple[int, ...]
    comment: str


class ProbeMasquerade(_Part):
    sources: tuple[str, ...]
    destinations: tuple[str, ...]


class Route(_Part):
    to: str
    via: str


class Forward(_Part):
    """A camera service the controller reaches through the gateway's sshd (PermitOpen)."""

    address: str
    port: int


class BaseData(RoleData):
    hostname: str
    timezone: str
    ntp_servers: tuple[str, ...]  # empty on the hub that serves the fleet's time
    ntp_serve_to: tuple[str, ...]
    dns_servers: tuple[str, ...]
    admin_group: str
    admins: tuple[Admin, ...]
    firewall_input: tuple[InputRule, ...]
    firewall_forward: tuple[ForwardRule, ...]
    masquerade: Masquerade | None
    # the provincial hub's probes of the room's cameras leave as this gateway's LAN address: a
    # camera answers its LAN only (it has no route to the tunnels)
    probe_masquerade: ProbeMasquerade | None
    port_forwards: tuple[PortForward, ...]
    service_forwards: tuple[ServiceForward, ...]
    listeners: tuple[Listener, ...]  # the other roles' (base's own are in defaults.LISTENERS)
    forwarding: bool
    routes: tuple[Route, ...]
    ssh_forward_to: tuple[Forward, ...]

    @property
    def sysctl(self) -> dict[str, str]:
        """The kernel settings the role sets (TCD-NET-001), as sysctl.d writes them."""
        return {
            "net.ipv4.ip_forward": "1" if self.forwarding else "0",
            "net.ipv6.conf.all.forwarding": "0",
        }

    @property
    def sysctl_net(self) -> dict[str, str]:
        """The network settings of the host's own namespace (TCD-NET-002)."""
        rp = defaults.RP_FILTER[self.forwarding]
        return defaults.SYSCTL_NET | {
            "net.ipv4.conf.all.rp_filter": rp,
            "net.ipv4.conf.default.rp_filter": rp,
        }

    @classmethod
    def build(cls, subject: Subject) -> "BaseData":
        province = subject.inventory.province
        services = province.services
        nets = _networks(subject)
        ntp = tuple(str(a) for a in services.ntp_servers)
        hub = subject.hub
        serves_ntp = hub is not None and any(
            str(h.underlay_address) in ntp for h in province.hubs if h.office is hub.office
        )
        # the fleet's hosts, and the other hub (whose address is outside the fleet's pools)
        ntp_clients = nets["management"] + nets["overlays"] + nets["site_lans"] + nets["hubs"]
        # SSH: the control node, the hubs, and admins on the management segment or the tunnels
        ssh_sources = nets["control"] + nets["hubs"] + nets["management"] + nets["overlays"]
        rules = [InputRule(proto="tcp", port=22, sources=ssh_sources, comment="ssh (TCD-FW-002)")]
        forward: tuple[ForwardRule, ...] = ()
        masquerade, forwarding, routes, forward_to = None, hub is not None, (), ()
        opened = _monitoring(subject)
        if hub is not None:
            listen = province.hub(hub.office)
            assert listen is not None
            rules.append(
                InputRule(
                    proto="udp", port=listen.listen_port, sources=(), comment="wireguard from sites"
                )
            )
            # reception traffic only: sites (their tunnel address and room LAN) to and from the
            # offices; nothing between two sites (TCD-HUB-002)
            forward = (
                ForwardRule(
                    sources=nets["overlays"] + nets["site_lans"], destinations=nets["offices"]
                ),
            )
        if serves_ntp:
            rules.append(
                InputRule(proto="udp", port=123, sources=ntp_clients, comment="ntp for the fleet")
            )
        if subject.host is not None and subject.site_plan is not None:
            site_plan, plan = subject.site_plan, subject.plan
            behind = tuple(
                f"{h.management_address}/32" for h in site_plan.hosts if not h.is_gateway
            )
            offices = tuple(f"{h.overlay_address}/32" for h in plan.hubs.values())
            offices += tuple(str(n) for h in plan.hubs.values() for n in h.office_networks)
            gateway = site_plan.gateway
            if subject.host.is_gateway:
                if behind:
                    # the site's other hosts reach the offices through this gateway's tunnels,
                    # masqueraded as its tunnel address (so hubs need no route back to them)
                    forward = (ForwardRule(sources=behind, destinations=offices),)
                    masquerade = Masquerade(
                        sources=behind, interfaces=tuple(SPOKE_INTERFACES.values())
                    )
                    forwarding = True
                forward_to = tuple(
                    Forward(address=str(camera.address), port=port)
                    for camera in site_plan.cameras
                    if camera.address is not None
                    for port in (ONVIF_PORT, RTSP_PORT)
                )
                forwarding = forwarding or bool(opened.service_forwards)
            elif gateway is not None:
                routes = tuple(
                    Route(to=net, via=str(gateway.management_address)) for net in offices
                )
        return cls(
            hostname=subject.name,
            timezone=province.province.timezone,
            ntp_servers=() if serves_ntp else ntp,
            ntp_serve_to=ntp_clients if serves_ntp else (),
            dns_servers=tuple(str(a) for a in services.dns_servers),
            admin_group=province.admin_group,
            admins=tuple(
                Admin(username=a.username, title=a.title, keys=tuple(a.ssh_keys))
                for a in province.admins
            ),
            firewall_input=(*rules, *opened.inputs),
            firewall_forward=forward,
            masquerade=masquerade,
            probe_masquerade=opened.probe_masquerade,
            port_forwards=opened.port_forwards,
            service_forwards=opened.service_forwards,
            listeners=opened.listeners,
            forwarding=forwarding,
            routes=routes,
            ssh_forward_to=(*forward_to, *opened.ssh_forward_to),
        )


@dataclass(frozen=True)
class _Opened:
    """What the monitoring roles open on a host, which this role's firewall, sshd and listener
    check must allow: the one place where base knows another role's ports."""

    inputs: tuple[InputRule, ...] = ()
    listeners: tuple[Listener, ...] = ()
    port_forwards: tuple[PortForward, ...] = ()
    service_forwards: tuple[ServiceForward, ...] = ()
    probe_masquerade: ProbeMasquerade | None = None
    ssh_forward_to: tuple[Forward, ...] = ()


def _monitoring(subject: Subject) -> _Opened:
    if subject.host is not None and MONITORING_AGENT.applies_to(subject):
        return _agent(subject, AgentData.build(subject))
    if subject.hub is not None and MONITORING_HUB.applies_to(subject):
        data = MonitoringData.build(subject)
        address, _, port = data.listen.rpartition(":")
        if data.office is Office.CENTRAL:  # on loopback: the controller reads it through sshd
            return _Opened(ssh_forward_to=(Forward(address=address, port=int(port)),))
        return _Opened(
            inputs=(
                InputRule(
                    proto="tcp",
                    port=int(port),
                    sources=data.readers,
                    comment="prometheus, for the central federation and the control node",
                ),
            ),
            listeners=(Listener(proto="tcp", port=int(port), process="prometheus"),),
            ssh_forward_to=(
                Forward(address=address, port=int(port)),
                Forward(address=mon.LOOPBACK, port=mon.ALERTMANAGER_PORT),
            ),
        )
    return _Opened()


def _agent(subject: Subject, agent: AgentData) -> _Opened:
    site_plan = subject.site_plan
    assert site_plan is not None and subject.host is not None
    inputs = (
        InputRule(
            proto="tcp",
            port=agent_defaults.PORT,
            sources=agent.scrapers,
            comment="node exporter, for the hubs (TCD-MON-002)",
        ),
    )
    listeners = (Listener(proto="tcp", port=agent_defaults.PORT, process="prometheus-node"),)
    if not subject.host.is_gateway:
        return _Opened(inputs=inputs, listeners=listeners)
    tunnel = SPOKE_INTERFACES[Office.PROVINCE]
    overlay = str(site_plan.overlay[Office.PROVINCE])
    port_forwards = tuple(
        PortForward(
            interface=tunnel,
            address=overlay,
            port=f.port,
            to_address=f.address,
            to_port=agent_defaults.PORT,
        )
        for f in agent.forwarded
    )
    provincial = f"{subject.plan.hubs[Office.PROVINCE].overlay_address}/32"
    cameras = tuple(f"{c.address}/32" for c in site_plan.cameras if c.address is not None)
    service_forwards = tuple(
        ServiceForward(
            sources=agent.scrapers,
            destination=f"{f.address}/32",
            ports=(agent_defaults.PORT,),
            comment=f"node exporter of {f.host}, for the hubs",
        )
        for f in agent.forwarded
    ) + tuple(
        ServiceForward(
            sources=(provincial,),
            destination=camera,
            ports=(ONVIF_PORT, RTSP_PORT),
            comment="the provincial hub probes the camera",
        )
        for camera in cameras
    )
    masquerade = ProbeMasquerade(sources=(provincial,), destinations=cameras) if cameras else None
    return _Opened(
        inputs=inputs,
        listeners=listeners,
        port_forwards=port_forwards,
        service_forwards=service_forwards,
        probe_masquerade=masquerade,
    )


def _networks(subject: Subject) -> dict[str, tuple[str, ...]]:
    province = subject.inventory.province
    pools = province.address_plan.pools
    hubs = province.hubs
    return {
        "management": (str(pools[PoolName.MANAGEMENT].cidr),),
        "control": tuple(f"{a}/32" for a in province.services.control_nodes),
        "hubs": tuple(f"{h.underlay_address}/32" for h in hubs)
        + tuple(f"{h.overlay_address}/32" for h in hubs),
        "overlays": tuple(str(pools[name].cidr) for name in OVERLAY_POOL.values()),
        "site_lans": (str(pools[PoolName.SITE_LAN].cidr),),
        "offices": tuple(str(n) for h in hubs for n in h.office_networks),
    }


BASE = Role(
    name="base",
    summary="identity, time, admins, sshd, firewall, updates, logs",
    applies_to=lambda s: s.host is not None or s.hub is not None,
    data=BaseData,
    packages=tuple(defaults.PACKAGES),
    reads=Reads(
        sections=(
            *(
                "sshd",
                "sshd_admin",
                "sshd_version",
                "nft",
                "listeners",
                "passwd",
                "group",
                "sudoers_d",
                "sudo",
            ),
            *("authorized_keys", "packages", "apt", "journald", "journal_dir", "journal_files"),
            *("chrony_sources", "chrony_tracking", "timezone", "wg_listen", "suid_sgid"),
            *("sysctl", "sysctl_d", "virt", "core_limit", "login_shell", "login_defs", "pwquality"),
            *("coredump", "pam_session", "admin_homes", "storage_modules"),
            *("audit_rules_d", "audit"),
        ),
        units=(
            *("nftables.service", "chrony.service", "ssh.service", "apt-daily-upgrade.timer"),
            "auditd.service",
        ),
        packages=("unattended-upgrades", "libpam-pwquality", "auditd", "libpam-tmpdir"),
        files=(*defaults.BANNER_FILES, defaults.AUDIT_RULES, defaults.AUDITD_CONF),
    ),
)
