"""roles/vpn_spoke: the site's two tunnels, to the provincial and to the central office.

wg-quick brings each interface up: with the kernel module where the host has it, with
wireguard-go otherwise (wg-quick falls back on its own). Reads host.data.tcd_spoke.
"""

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.operations import apt, files, systemd

from roles.common import wireguard
from roles.common.files import template
from roles.vpn_spoke import defaults


def key_path(interface: str) -> str:
    return f"{defaults.KEY_DIR}/{interface}.key"


@deploy("VPN spoke")
def vpn_spoke() -> None:
    apt.packages(
        name="WireGuard", packages=defaults.PACKAGES, update=host.data.tcd_base["apt_update"]
    )
    files.directory(name=defaults.KEY_DIR, path=defaults.KEY_DIR, mode="700")
    for tunnel in host.data.tcd_spoke["tunnels"]:
        interface = tunnel["interface"]
        key = wireguard.private_key(name=f"{interface} private key", path=key_path(interface))
        conf = template(
            "etc/wireguard/spoke.conf.j2",
            f"{defaults.KEY_DIR}/{interface}.conf",
            mode="600",
            tunnel=tunnel,
            key_path=key_path(interface),
            keepalive=defaults.KEEPALIVE_SECONDS,
            placeholder_key=defaults.PLACEHOLDER_KEY,
        )
        unit = f"wg-quick@{interface}"
        systemd.service(name=f"{interface} up", service=unit, running=True, enabled=True)
        systemd.service(
            name=f"{interface} restarted",
            service=unit,
            restarted=True,
            _if=lambda conf=conf, key=key: conf.did_change() or key.did_change(),
        )
