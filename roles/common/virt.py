"""Whether the host is a container: a lab host is a systemd-nspawn container sharing the
machine's kernel, where what belongs to that kernel (kernel-wide sysctls, loaded modules, the
audit socket, the clock) is not the host's to set. Every container condition of the roles reads
this one fact (docs/hardening.md)."""

from pyinfra import host
from pyinfra.facts.server import Command


def container() -> str:
    """What `systemd-detect-virt --container` says: "none" on a real host."""
    return host.get_fact(Command, "systemd-detect-virt --container || true") or "none"
