"""Reaching a camera: an SSH port forward through its site's gateway.

Cameras sit on the reception room's LAN behind the gateway, which the controller already reaches
over SSH; their ONVIF and RTSP ports are forwarded to loopback ports on the controller for the
time of the work, so no camera port is ever opened towards the WAN or the tunnels.

`tcd status` reaches the provincial hub's Prometheus the same way, through the hub.
"""

import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

LOOPBACK = "127.0.0.1"
READY_TIMEOUT = 15.0


class ForwardError(RuntimeError):
    pass


@dataclass(frozen=True)
class Gateway:
    """How `ssh` reaches the host forwards go through (a site's gateway, or a hub): options (a
    lab's -F ssh_config) and destination."""

    name: str
    ssh_options: tuple[str, ...]
    destination: str


def _free_ports(count: int) -> list[int]:
    """Loopback ports free right now (the kernel picks them; ssh binds them a moment later)."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((LOOPBACK, 0))
        return [sock.getsockname()[1] for sock in sockets]


@contextmanager
def forwarded(
    gateway: Gateway, address: str, ports: Sequence[int], ready_timeout: float = READY_TIMEOUT
) -> Iterator[dict[int, int]]:
    """{remote port: loopback port} while the block runs; the ssh process ends with it.
    ForwardError if ssh is not logged in within `ready_timeout` seconds."""
    local = _free_ports(len(ports))
    pairs = zip(local, ports, strict=True)
    tunnels = [arg for lp, rp in pairs for arg in ("-L", _spec(lp, address, rp))]
    argv = [
        "ssh",
        *gateway.ssh_options,
        # a connection of its own: a shared master would outlive us with our forwards on it
        *("-o", "ControlMaster=no", "-o", "ControlPath=none"),
        *("-o", "ExitOnForwardFailure=yes", "-N"),
        *tunnels,
        gateway.destination,
    ]
    ssh = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        _wait_listening(ssh, local[0], gateway.name, ready_timeout)
        yield dict(zip(ports, local, strict=True))
    finally:
        ssh.terminate()
        try:
            ssh.wait(5)
        except subprocess.TimeoutExpired:
            ssh.kill()
            ssh.wait()
        if ssh.stderr:
            ssh.stderr.close()


def _spec(local: int, address: str, remote: int) -> str:
    return ":".join((LOOPBACK, str(local), address, str(remote)))


def _wait_listening(ssh: subprocess.Popen[str], port: int, gateway: str, timeout: float) -> None:
    """ssh opens its local listeners only once logged in: a connect that succeeds means the
    forward works as far as the gateway."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ssh.poll() is not None:
            said = (ssh.stderr.read() if ssh.stderr else "").strip().splitlines()
            reason = said[-1] if said else f"ssh exited with {ssh.returncode}"
            raise ForwardError(f"no SSH port forward through {gateway}: {reason}")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise ForwardError(f"no SSH port forward through {gateway} within {timeout:g} s")
