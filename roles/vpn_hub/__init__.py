"""roles/vpn_hub: one WireGuard interface, one peer per deployed site. Forwarding between
sites and offices (never site to site) is the hub's nftables forward chain (roles/base)."""

from pyinfra import host
from pyinfra.api import deploy

from roles.common import wireguard
from roles.vpn_hub import defaults


@deploy("VPN hub keys")
def vpn_hub_keys() -> None:
    """The hub's private key, first: sites need the hub's public key for their peer entry."""
    wireguard.install(defaults.PACKAGES)
    interface = host.data.tcd_hub["interface"]
    wireguard.private_key(name=f"{interface} private key", path=wireguard.key_path(interface))


@deploy("VPN hub")
def vpn_hub() -> None:
    hub = host.data.tcd_hub
    vpn_hub_keys()
    wireguard.interface(hub["interface"], "etc/wireguard/wg-sites.conf.j2", hub=hub)
