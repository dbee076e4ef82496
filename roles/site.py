"""The deploys `tcd rollout` and deploys/*.py run: each host's SSH roles (its host data names
them, from the registry), in the registry's order.

A role whose data names every deployed site (`after_sites`: a hub's peers) runs after the sites;
before them it only `prepare()`s (a hub's key, which the sites' tunnel configs name)."""

from collections.abc import Iterator

from pyinfra import host
from pyinfra.api import deploy

from roles.declaration import HostFacts, Reach, Role
from roles.registry import ROLES


def _roles() -> Iterator[Role]:
    """The host's SSH roles, in the registry's order, each at its registry position in
    pyinfra's loop (`host.loop`). The plain CLI tells operations apart by the line numbers of
    their calls alone, and every role's main() is called from one line here: an operation on
    line 75 of one role's deploy.py and one on line 75 of another's were one operation to it,
    numbered per host, and hosts with other roles ordered them otherwise (a cycle in its
    operation order at 95 units). The position makes them two."""
    names = set(HostFacts.of(host.data).roles)
    for each in host.loop(ROLES):
        if each.name in names and each.reach is Reach.SSH:
            yield each


@deploy("Roles")
def before_sites() -> None:
    """Every role of the host, except that an `after_sites` role only prepares."""
    for each in _roles():
        module = each.deploy_module()
        if not each.after_sites:
            module.main()
        elif hasattr(module, "prepare"):
            module.prepare()


@deploy("Roles after the sites")
def after_sites() -> None:
    for each in _roles():
        if each.after_sites:
            each.deploy_module().main()


@deploy("Host")
def everything() -> None:
    """All at once, for the plain pyinfra CLI (deploys/)."""
    before_sites()
    after_sites()
