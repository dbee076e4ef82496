"""roles/vpn_spoke: the site's two tunnels, to the provincial and to the central office.

wg-quick brings each interface up: with the kernel module where the host has it, with
wireguard-go otherwise (wg-quick falls back on its own). Reads host.data.tcd_spoke.
"""

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.operations import systemd

from roles.common import wireguard
from roles.common.files import template
from roles.vpn_spoke import defaults


@deploy("VPN spoke")
def vpn_spoke() -> None:
    wireguard.install(defaults.PACKAGES)
    for tunnel in host.data.tcd_spoke["tunnels"]:
        interface = tunnel["interface"]
        key = wireguard.private_key(
            name=f"{interface} private key", path=wireguard.key_path(interface)
        )
        conf = template(
            "etc/wireguard/spoke.conf.j2",
            f"{wireguard.KEY_DIR}/{interface}.conf",
            mode="600",
            tunnel=tunnel,
            key_path=wireguard.key_path(interface),
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
