"""roles/monitoring_agent: every site host, scraped by the provincial hub over the tunnels."""

from pydantic import BaseModel, ConfigDict

from roles.declaration import Reads, Role, RoleData, Subject
from roles.monitoring_agent import defaults
from roles.vpn_spoke.defaults import INTERFACES as SPOKE_INTERFACES


class Forwarded(BaseModel):
    """A port of the gateway's provincial tunnel address, forwarded to a host behind it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    port: int
    host: str
    address: str  # the host's management address


class AgentData(RoleData):
    listen: tuple[str, ...]  # "address:port" the exporter listens on
    scrapers: tuple[str, ...]  # the hubs' overlay addresses (/32): the only sources allowed
    units: tuple[str, ...]  # the roles' systemd units the exporter reports on
    interfaces: tuple[str, ...]  # the tunnels whose handshakes are exported (a gateway's)
    forwarded: tuple[Forwarded, ...]  # a gateway's, to the site's other hosts

    @property
    def unit_include(self) -> str:
        """The systemd collector's --collector.systemd.unit-include (a regular expression
        matched against whole unit names)."""
        return "|".join(u.replace(".", "\\.") for u in self.units)

    @classmethod
    def build(cls, subject: Subject) -> "AgentData":
        # the registry imports every role, this one too
        from roles.registry import roles_of  # noqa: PLC0415

        host, site_plan = subject.host, subject.site_plan
        assert host is not None and site_plan is not None
        plan = subject.plan
        scrapers = tuple(f"{hub.overlay_address}/32" for hub in plan.hubs.values())
        units = [u for r in roles_of(subject) for u in r.reads.units]
        if host.is_gateway:
            listen = tuple(f"{site_plan.overlay[o]}:{defaults.PORT}" for o in plan.hubs)
            behind = [h for h in site_plan.hosts if not h.is_gateway]
            forwarded = tuple(
                Forwarded(port=defaults.FORWARDED_PORTS_FROM + i, host=h.name,
                          address=str(h.management_address))
                for i, h in enumerate(behind)
            )  # fmt: skip
            interfaces = tuple(SPOKE_INTERFACES[o] for o in plan.hubs)
            units += [f"wg-quick@{i}.service" for i in interfaces]
        else:
            listen = (f"{host.management_address}:{defaults.PORT}",)
            forwarded, interfaces = (), ()
        return cls(
            listen=listen,
            scrapers=scrapers,
            units=tuple(dict.fromkeys(units)),
            interfaces=interfaces,
            forwarded=forwarded,
        )


MONITORING_AGENT = Role(
    name="monitoring_agent",
    summary="node exporter on the tunnel addresses, scraped by the hubs only",
    applies_to=lambda s: s.host is not None,
    data=AgentData,
    packages=tuple(defaults.PACKAGES),
    reads=Reads(
        sections=("listeners", "nft", "node_metrics"),
        units=(defaults.SERVICE, f"{defaults.WG_METRICS}.timer"),
    ),
)
