"""Which roles each host (and IP camera) gets, and the host data each of its roles reads: both
from the role registry (roles/registry.py), built from the inventory and the plan.

Roles, checks, verify and rollout read these models' attributes. WireGuard public keys are the
one input that comes from the hosts themselves: `keys` carries those collected so far (a missing
key renders as a placeholder and the tunnel waits for it).
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from roles.declaration import HostFacts, Role, RoleData, Subject
from roles.registry import role, roles_of
from tcd.loading import Inventory
from tcd.model.site import Site
from tcd.planning.addresses import Plan
from tcd.planning.keys import PublicKeys

D = TypeVar("D", bound=RoleData)


@dataclass(frozen=True)
class HostData:
    """One host's (or camera's) roles and each role's data."""

    facts: HostFacts
    roles: dict[str, RoleData]  # by role name, in deploy order

    def of(self, wanted: Role[D]) -> D:
        return cast(D, self.roles[wanted.name])

    def has(self, wanted: Role) -> bool:
        return wanted.name in self.roles

    def pyinfra(self) -> dict[str, Any]:
        """As pyinfra's host data: the facts and one key per role (`Role.data_of` reads it)."""
        return {HostFacts.KEY: self.facts} | {role(n).data_key: d for n, d in self.roles.items()}

    def as_json(self) -> dict[str, Any]:
        return {
            "facts": self.facts.model_dump(mode="json"),
            "roles": {name: data.model_dump(mode="json") for name, data in self.roles.items()},
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "HostData":
        return cls(
            facts=HostFacts.model_validate(raw["facts"]),
            roles={n: role(n).data.model_validate(d) for n, d in raw["roles"].items()},
        )


def subjects(
    inventory: Inventory, plan: Plan, sites: Iterable[Site], keys: PublicKeys, apt_update: bool
) -> Iterator[Subject]:
    """Every host and camera of `sites`, then both hubs."""
    common = {"inventory": inventory, "plan": plan, "keys": keys, "apt_update": apt_update}
    for site in sites:
        site_plan = plan.sites[site.code]
        where = {"site": site, "site_plan": site_plan, **common}
        for host in site_plan.hosts:
            yield Subject(name=host.name, host=host, **where)
        for camera in site_plan.cameras:
            yield Subject(name=camera.name, camera=camera, **where)
    for hub in plan.hubs.values():
        yield Subject(name=hub.name, hub=hub, **common)


def host_data(
    inventory: Inventory,
    plan: Plan,
    sites: Iterable[Site],
    keys: PublicKeys,
    apt_update: bool = True,
) -> dict[str, HostData]:
    """The host data of every host and camera of `sites` and both hubs that gets a role."""
    found: dict[str, HostData] = {}
    for subject in subjects(inventory, plan, sites, keys, apt_update):
        roles = roles_of(subject)
        if not roles:
            continue  # a USB camera: its role is on the PC it is plugged into
        facts = HostFacts(
            name=subject.name,
            site=subject.site.code if subject.site else None,
            site_name=subject.site.name if subject.site else "hub",
            roles=tuple(r.name for r in roles),
            apt_update=apt_update,
        )
        found[subject.name] = HostData(facts, {r.name: r.data.build(subject) for r in roles})
    return found
