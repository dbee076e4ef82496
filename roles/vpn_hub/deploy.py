"""roles/vpn_hub: one WireGuard interface, one peer per deployed site. Forwarding between
sites and offices (never site to site) is the hub's nftables forward chain (roles/base)."""

from pyinfra import host
from pyinfra.api import deploy

from roles.common import wireguard
from roles.vpn_hub import defaults
from roles.vpn_hub.role import VPN_HUB


@deploy("VPN hub keys")
def prepare() -> None:
    """The hub's private key, first: sites need the hub's public key for their peer entry."""
    wireguard.install(defaults.PACKAGES)
    interface = VPN_HUB.data_of(host.data).interface
    wireguard.private_key(name=f"{interface} private key", path=wireguard.key_path(interface))


@deploy("VPN hub")
def main() -> None:
    hub = VPN_HUB.data_of(host.data)
    prepare()
    peers = {
        p.public_key: wireguard.Peer(label=f"{p.name} (site {p.site})", allowed_ips=p.allowed_ips)
        for p in hub.peers
    }
    wireguard.interface(
        hub.interface,
        "etc/wireguard/wg-sites.conf.j2",
        peers,
        address=hub.address,
        listen_port=hub.listen_port,
        hub=hub,
    )
