"""roles/vpn_hub: the provincial and the central hub."""

from pydantic import BaseModel, ConfigDict

from roles.declaration import Reads, Role, RoleData, Subject
from roles.vpn_hub import defaults


class Peer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    site: int
    name: str  # the site's gateway
    public_key: str
    allowed_ips: tuple[str, ...]


class HubData(RoleData):
    interface: str
    address: str
    listen_port: int
    peers: tuple[Peer, ...]  # every site whose gateway's key is known
    public_key: str | None

    @classmethod
    def build(cls, subject: Subject) -> "HubData":
        hub = subject.hub
        assert hub is not None
        peers = []
        for code, site_plan in subject.plan.sites.items():
            gateway = site_plan.gateway
            spoke = subject.keys.spokes.get(gateway.name, {}) if gateway else {}
            key = spoke.get(hub.office)
            if gateway is None or key is None:
                continue  # not deployed yet: no peer until its key is known
            peers.append(
                Peer(
                    site=code,
                    name=gateway.name,
                    public_key=key,
                    allowed_ips=(f"{site_plan.overlay[hub.office]}/32", str(site_plan.lan)),
                )
            )
        return cls(
            interface=defaults.INTERFACE,
            address=f"{hub.overlay_address}/{hub.overlay_network.prefixlen}",
            listen_port=hub.listen_port,
            peers=tuple(peers),
            public_key=subject.keys.hubs.get(hub.office),
        )


VPN_HUB = Role(
    name="vpn_hub",
    summary="one WireGuard interface, one peer per deployed site",
    applies_to=lambda s: s.hub is not None,
    data=HubData,
    packages=tuple(defaults.PACKAGES),
    reads=Reads(sections=("wg_allowed", "wg_public", "wg_keyfiles", "nft")),
    after_sites=True,
)
