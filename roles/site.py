"""The deploys `tcd rollout` and deploys/*.py run: each host's SSH roles (its host data names
them, from the registry), in the registry's order.

A role whose data names every deployed site (`after_sites`: a hub's peers) runs after the sites;
before them it only `prepare()`s (a hub's key, which the sites' tunnel configs name)."""

from pyinfra import host
from pyinfra.api import deploy

from roles.declaration import HostFacts, Reach, Role
from roles.registry import role


def _roles() -> list[Role]:
    names = HostFacts.of(host.data).roles
    return [r for r in map(role, names) if r.reach is Reach.SSH]


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
