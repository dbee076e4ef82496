"""Debian packages a role installs."""

from pyinfra import host
from pyinfra.api.operation import OperationMeta
from pyinfra.operations import apt

from roles.declaration import HostFacts


def install(name: str, packages: list[str], **options: object) -> OperationMeta:
    """`packages` installed, apt's lists refreshed first where the target has a mirror to reach
    (a lab host has none: its image holds every role's packages)."""
    update = HostFacts.of(host.data).apt_update
    return apt.packages(name=name, packages=packages, update=update, **options)
