"""roles/vpn_spoke: each site's gateway (its `gateway` host, else its first reception PC)."""

from pydantic import BaseModel, ConfigDict

from roles.declaration import Reads, Role, RoleData, Subject
from roles.vpn_spoke import defaults
from tcd.model.province import Office


class Tunnel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    interface: str
    office: Office
    address: str  # this site's tunnel address (/32)
    hub_public_key: str | None  # None until the hub's key is known
    hub_endpoint: str
    hub_address: str
    office_probe: str  # an office address that must answer through the tunnel
    allowed_ips: tuple[str, ...]


class SpokeData(RoleData):
    tunnels: tuple[Tunnel, ...]

    def tunnel(self, office: Office) -> Tunnel:
        return next(t for t in self.tunnels if t.office is office)

    @classmethod
    def build(cls, subject: Subject) -> "SpokeData":
        assert subject.site_plan is not None
        overlay = subject.site_plan.overlay
        return cls(
            tunnels=tuple(
                Tunnel(
                    interface=defaults.INTERFACES[office],
                    office=office,
                    address=f"{overlay[office]}/32",
                    hub_public_key=subject.keys.hubs.get(office),
                    hub_endpoint=f"{hub.underlay_address}:{hub.listen_port}",
                    hub_address=str(hub.overlay_address),
                    office_probe=str(hub.office_probe),
                    allowed_ips=(
                        f"{hub.overlay_address}/32",
                        *(str(n) for n in hub.office_networks),
                    ),
                )
                for office, hub in subject.plan.hubs.items()
            )
        )


VPN_SPOKE = Role(
    name="vpn_spoke",
    summary="two WireGuard tunnels, to the provincial and to the central office",
    applies_to=lambda s: s.host is not None and s.host.is_gateway,
    data=SpokeData,
    packages=tuple(defaults.PACKAGES),
    reads=Reads(sections=("links", "wg_handshakes", "wg_public", "wg_keyfiles", "now", "reach")),
)
