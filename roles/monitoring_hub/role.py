"""roles/monitoring_hub: Prometheus on the provincial hub (scrapes, probes and alerts on every
deployed site), federated by the central hub's Prometheus."""

from pydantic import BaseModel, ConfigDict

from roles.declaration import Reads, Role, RoleData, Subject
from roles.ip_camera.defaults import ONVIF_PORT, RTSP_PORT
from roles.monitoring_agent import defaults as agent
from roles.monitoring_hub import defaults
from tcd.model.province import Office


class Labels(BaseModel):
    """What every series of a site carries: the central office reads them across provinces."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    site: str  # the admin-unit code
    site_name: str
    wave: str
    former_district: str  # "; " between several


class Target(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str  # the host, gateway or camera
    address: str  # what is scraped or probed: "address:port" or an address
    labels: Labels


class MonitoringData(RoleData):
    office: Office
    province: str  # every series' `province` label, kept through federation
    listen: str  # Prometheus's --web.listen-address
    readers: tuple[str, ...]  # who may reach it besides the hub itself (/32): central, control
    federate_from: str | None  # the central hub's: the provincial Prometheus
    nodes: tuple[Target, ...]  # node exporters, through the tunnels
    gateways: tuple[Target, ...]  # pinged through the tunnel
    cameras: tuple[Target, ...]  # ONVIF and RTSP ports probed through the tunnel
    waves: tuple[str, ...]  # Alertmanager routes one per wave
    scrape_interval: int
    evaluation_interval: int
    alert_after: int
    retention_days: int

    @property
    def packages(self) -> list[str]:
        return defaults.PACKAGES[self.office]

    @property
    def services(self) -> list[str]:
        return defaults.SERVICES[self.office]

    def scraped(self) -> dict[str, set[str]]:
        """job -> the `instance`s Prometheus must scrape for it (TCD-MON-004)."""
        if self.federate_from is not None:
            return {"federate": {self.federate_from}}
        cameras = {c.name for c in self.cameras}
        return {
            "node": {n.name for n in self.nodes},
            "gateway_icmp": {g.name for g in self.gateways},
            "camera_onvif": cameras,
            "camera_rtsp": cameras,
        }

    @classmethod
    def build(cls, subject: Subject) -> "MonitoringData":
        hub = subject.hub
        assert hub is not None
        inventory, plan = subject.inventory, subject.plan
        province = inventory.province
        provincial = plan.hubs[Office.PROVINCE]
        nodes, gateways, cameras = [], [], []
        central = hub.office is Office.CENTRAL
        for code, site_plan in ({} if central else plan.sites).items():
            gateway = site_plan.gateway
            spoke = subject.keys.spokes.get(gateway.name, {}) if gateway else {}
            if gateway is None or Office.PROVINCE not in spoke:
                continue  # not deployed: no tunnel to scrape it through
            site = inventory.sites[code]
            labels = Labels(
                site=str(code),
                site_name=site.name,
                wave=site.wave,
                former_district="; ".join(site.former_districts),
            )
            tunnel = site_plan.overlay[Office.PROVINCE]
            nodes.append(Target(name=gateway.name, address=f"{tunnel}:{agent.PORT}", labels=labels))
            behind = [h for h in site_plan.hosts if not h.is_gateway]
            nodes += [
                Target(name=h.name, address=f"{tunnel}:{port}", labels=labels)
                for port, h in enumerate(behind, start=agent.FORWARDED_PORTS_FROM)
            ]
            gateways.append(Target(name=gateway.name, address=str(tunnel), labels=labels))
            cameras += [
                Target(name=c.name, address=str(c.address), labels=labels)
                for c in site_plan.cameras
                if c.address is not None
            ]
        monitoring = province.monitoring
        readers = tuple(f"{a}/32" for a in province.services.control_nodes)
        if central:
            listen = f"{defaults.LOOPBACK}:{defaults.PROMETHEUS_PORT}"
            federate_from = f"{provincial.underlay_address}:{defaults.PROMETHEUS_PORT}"
            readers = ()
        else:
            listen = f"{hub.underlay_address}:{defaults.PROMETHEUS_PORT}"
            federate_from = None
            readers += tuple(f"{h.underlay_address}/32" for h in plan.hubs.values() if h != hub)
        return cls(
            office=hub.office,
            province=province.province.name,
            listen=listen,
            readers=readers,
            federate_from=federate_from,
            nodes=tuple(nodes),
            gateways=tuple(gateways),
            cameras=tuple(cameras),
            waves=tuple(dict.fromkeys(w.name for w in inventory.waves.waves)),
            scrape_interval=monitoring.scrape_interval,
            evaluation_interval=monitoring.evaluation_interval,
            alert_after=monitoring.alert_after,
            retention_days=monitoring.central_retention_days
            if central
            else monitoring.retention_days,
        )

    @property
    def camera_ports(self) -> tuple[int, int]:
        return (ONVIF_PORT, RTSP_PORT)


MONITORING_HUB = Role(
    name="monitoring_hub",
    summary="Prometheus: the provincial hub scrapes, probes and alerts; the central federates",
    applies_to=lambda s: s.hub is not None,
    data=MonitoringData,
    packages=tuple(dict.fromkeys(p for ps in defaults.PACKAGES.values() for p in ps)),
    reads=Reads(
        sections=("prometheus_targets",),
        units=(defaults.PROMETHEUS, defaults.ALERTMANAGER, defaults.BLACKBOX),
    ),
    after_sites=True,
)
