"""roles/vpn_spoke: the site's two tunnels, to the provincial and to the central office.

wg-quick brings each interface up: with the kernel module where the host has it, with
wireguard-go otherwise (wg-quick falls back on its own). Reads its SpokeData (role.py).
"""

from pyinfra import host
from pyinfra.api import deploy

from roles.common import wireguard
from roles.vpn_spoke import defaults
from roles.vpn_spoke.role import VPN_SPOKE


@deploy("VPN spoke")
def main() -> None:
    wireguard.install(defaults.PACKAGES)
    for tunnel in VPN_SPOKE.data_of(host.data).tunnels:
        interface = tunnel.interface
        key = wireguard.private_key(
            name=f"{interface} private key", path=wireguard.key_path(interface)
        )
        hub = wireguard.Peer(
            label=f"{tunnel.office} hub",
            allowed_ips=tunnel.allowed_ips,
            endpoint=tunnel.hub_endpoint,
            keepalive=defaults.KEEPALIVE_SECONDS,
        )
        wireguard.interface(
            interface,
            "etc/wireguard/spoke.conf.j2",
            {tunnel.hub_public_key or defaults.PLACEHOLDER_KEY: hub},
            key=key,
            address=tunnel.address,
            tunnel=tunnel,
            keepalive=defaults.KEEPALIVE_SECONDS,
            placeholder_key=defaults.PLACEHOLDER_KEY,
        )
