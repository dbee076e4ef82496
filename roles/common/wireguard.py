"""WireGuard on the host: keys are born there and only public keys are ever read back."""

from dataclasses import dataclass

from pyinfra import host
from pyinfra.api import FactBase, operation
from pyinfra.api.operation import OperationMeta
from pyinfra.facts.files import File
from pyinfra.operations import files, server, systemd

from roles.common import packages as debian
from roles.common.files import template
from roles.common.units import service

KEY_DIR = "/etc/wireguard"


def key_path(interface: str) -> str:
    return f"{KEY_DIR}/{interface}.key"


def install(packages: list[str]) -> None:
    """The tools, and the key folder only root may read."""
    debian.install("WireGuard", packages)
    files.directory(name=KEY_DIR, path=KEY_DIR, mode="700")


class WireGuardPublicKey(FactBase):
    """The public key of the private key file at `path`, or None if there is no key yet."""

    def command(self, path: str) -> str:
        return f"if [ -f {path} ]; then wg pubkey < {path}; fi"

    def requires_command(self, path: str) -> str:
        return "wg"

    def process(self, output: list[str]) -> str | None:
        return output[0].strip() if output and output[0].strip() else None


class WireGuardPeers(FactBase):
    """`wg show IFACE dump` as {peer public key: [allowed ips]}; {} if the interface is down."""

    def command(self, interface: str) -> str:
        return f"wg show {interface} dump 2>/dev/null || true"

    def requires_command(self, interface: str) -> str:
        return "wg"

    def process(self, output: list[str]) -> dict[str, list[str]]:
        peers: dict[str, list[str]] = {}
        # first line is the interface itself; peer lines have 8 tab-separated fields
        for line in output[1:]:
            fields = line.split("\t")
            if len(fields) == 8:
                peers[fields[0]] = [] if fields[3] == "(none)" else fields[3].split(",")
        return peers


class PeersAnswering(FactBase):
    """Which of `addresses` answer a ping, each tried for up to `seconds` (a first handshake
    waits for traffic: the ping is that traffic). The addresses are tried at the same time:
    one behind a tunnel whose first handshake is lost answers after WireGuard's next try, 5 s
    later, and one after the other a gateway's two tunnels waited twice. Their answers do not
    mix: each line is shorter than what a pipe writes at once."""

    def command(self, addresses: list[str], seconds: int = 20) -> str:
        tries = " ".join(str(i) for i in range(seconds))
        probes = " ".join(
            f"(for i in {tries}; do ping -c 1 -W 1 {a} >/dev/null 2>&1 && echo {a} && break;"
            " done) &"
            for a in addresses
        )
        return f"{probes} wait"

    def process(self, output: list[str]) -> list[str]:
        return [line.strip() for line in output if line.strip()]


class LinkState(FactBase):
    """'up', 'down' (exists, administratively down) or 'absent'."""

    def command(self, interface: str) -> str:
        return f"ip -o link show dev {interface} 2>/dev/null || true"

    def process(self, output: list[str]) -> str:
        if not output:
            return "absent"
        flags = output[0].split("<", 1)[1].split(">", 1)[0].split(",") if "<" in output[0] else []
        return "up" if "UP" in flags else "down"


class InterfaceSettings(FactBase):
    """What a running interface took from its config's [Interface] section: its IPv4 addresses
    and its listen port ({"addresses": [...], "listen_port": int | None})."""

    def command(self, interface: str) -> str:
        return (
            f"ip -o -4 address show dev {interface} 2>/dev/null || true; "
            f"echo port $(wg show {interface} listen-port 2>/dev/null)"
        )

    def requires_command(self, interface: str) -> str:
        return "wg"

    def process(self, output: list[str]) -> dict[str, object]:
        addresses = [line.split()[3] for line in output if " inet " in line]
        port = next((line.split()[1:] for line in output if line.startswith("port")), [])
        return {"addresses": addresses, "listen_port": int(port[0]) if port else None}


@operation()
def private_key(path: str):
    """Generate a private key at `path` (mode 0600) if there is none; an existing key's owner
    and mode are set back to root 0600 (TCD-VPN-005). The key itself is never read."""
    found = host.get_fact(File, path=path)
    if not found:
        yield f"umask 077 && wg genkey > {path}.tmp && mv {path}.tmp {path}"
    elif (found["user"], found["group"], found["mode"]) != ("root", "root", 600):
        yield f"chown root:root {path} && chmod 600 {path}"
    else:
        host.noop(f"{path} exists, root 0600")


@dataclass(frozen=True)
class Peer:
    """A peer as the interface's config declares it (what a runtime edit is set back to)."""

    label: str  # who it is, for the summary: a site's gateway, an office's hub
    allowed_ips: tuple[str, ...]
    endpoint: str | None = None
    keepalive: int | None = None


def interface(
    name: str,
    src: str,
    peers: dict[str, Peer],
    key: OperationMeta | None = None,
    *,
    address: str,
    listen_port: int | None = None,
    **context: object,
) -> None:
    """One wg-quick interface: its config (no private key in it), up at boot, its running peers
    (public key -> Peer) kept to the config's. Restarted only when its freshly made key, its
    address or its listen port (in the config, or on the running interface) changed, or its
    link went down: a config whose peers alone changed (a hub's new site) is applied to the
    running interface, because a restart would cut every other site's tunnel on that hub until
    its next handshake (up to two minutes)."""
    conf = template(src, f"{KEY_DIR}/{name}.conf", mode="600", key_path=key_path(name), **context)
    unit = f"wg-quick@{name}"
    up = service(f"{name} up", unit)
    # a link set down or deleted by hand leaves the unit active but the tunnel (and its routes)
    # gone; a unit that was not running is started above instead
    link = host.get_fact(LinkState, interface=name)
    if link != "up" and not up.will_change:
        systemd.service(
            name=f"{name} restarted (its link was {link})", service=unit, restarted=True
        )
    live = host.get_fact(InterfaceSettings, interface=name) if link == "up" else None
    same = live is not None and live["addresses"] == [address]
    if same and listen_port is not None:
        same = live["listen_port"] == listen_port
    # running with another address or port than its config (changed, or set by hand): restart
    drifted = live is not None and not same
    systemd.service(
        name=f"{name} restarted",
        service=unit,
        restarted=True,
        _if=lambda: (
            drifted or (conf.did_change() and not same) or (key is not None and key.did_change())
        ),
    )
    if link == "up" and (same or not conf.will_change):
        _peers_as_configured(name, peers)


def _peers_as_configured(name: str, peers: dict[str, Peer]) -> None:
    """The running interface's peers made the config's: one added or changed in the config,
    or removed, added or changed at runtime (`wg set … peer … remove`) while the file stayed,
    each set with `wg set` (never `wg syncconf`, which would want the private key in its
    input)."""
    running = host.get_fact(WireGuardPeers, interface=name) or {}
    for public_key, peer in peers.items():
        live = running.get(public_key)
        if live is not None and sorted(live) == sorted(peer.allowed_ips):
            continue
        command = [f"wg set {name} peer {public_key} allowed-ips {','.join(peer.allowed_ips)}"]
        if peer.endpoint:
            command.append(f"endpoint {peer.endpoint}")
        if peer.keepalive:
            command.append(f"persistent-keepalive {peer.keepalive}")
        what = "re-added" if live is None else "allowed IPs set back"
        server.shell(name=f"{name}: peer {peer.label} {what}", commands=[" ".join(command)])
    for public_key in sorted(set(running) - set(peers)):
        server.shell(
            name=f"{name}: peer {public_key} removed (not in its config)",
            commands=[f"wg set {name} peer {public_key} remove"],
        )
