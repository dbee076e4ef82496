"""Whether the host is a container: a lab host is a systemd-nspawn container sharing the
machine's kernel, where what belongs to that kernel (kernel-wide sysctls, loaded modules, the
audit socket, the clock) is not the host's to set. Every container condition of the roles reads
this one fact (docs/hardening.md)."""

from pyinfra import host
from pyinfra.api.operation import OperationMeta
from pyinfra.facts.server import Command

from roles.common.files import template
from roles.common.units import own_dropins


def container() -> str:
    """What `systemd-detect-virt --container` says: "none" on a real host."""
    return host.get_fact(Command, "systemd-detect-virt --container || true") or "none"


def container_dropin(unit: str, dropin: str) -> list[OperationMeta]:
    """`dropin` (full path; its template mirrors it) written for `unit` in a container only, and
    every other drop-in of `unit` removed: the operations whose change needs a daemon-reload."""
    virt = container()
    ours = [template(f"{dropin[1:]}.j2", dropin, virt=virt)] if virt != "none" else []
    return ours + own_dropins(unit, [dropin] if ours else [])
