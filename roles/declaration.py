"""What a role says about itself, once, in its own folder (`roles/<name>/role.py`).

Everything else is derived from these declarations (`roles/registry.py` lists them): which
hosts get which roles and the host data each reads (`tcd.planning.hostdata`), the deploys
`tcd rollout` and `deploys/*.py` run (`roles/site.py`), the roles a control of
`inventory/baseline.yml` may name, the lab image's packages, and what the compliance suite reads
from a host to judge it (`tcd/compliance/`).

No pyinfra here: `tcd readiness` and the inventory loader read the registry without paying for
pyinfra's import; a role's pyinfra deploy is in `roles/<name>/deploy.py`, imported when run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple, dataclass
from enum import StrEnum
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from tcd.loading import Inventory
    from tcd.model.site import Site
    from tcd.planning.addresses import CameraPlan, HostPlan, HubPlan, Plan, SitePlan
    from tcd.planning.keys import PublicKeys


class Reach(StrEnum):
    """How the controller reaches what the role configures."""

    SSH = "ssh"  # a host: a pyinfra deploy over SSH, checked with testinfra
    ONVIF = "onvif"  # an IP camera: from the controller over ONVIF, through its gateway


@dataclass(frozen=True)
class Subject:
    """One thing roles apply to — a site's host, a hub or an IP camera — with what a role needs
    to decide whether it applies and to build its host data."""

    name: str
    inventory: Inventory
    plan: Plan
    keys: PublicKeys
    apt_update: bool  # False in a lab: hosts have no internet, the image holds every package
    site: Site | None = None
    site_plan: SitePlan | None = None
    host: HostPlan | None = None  # a site's SSH-managed host (PC or gateway)
    hub: HubPlan | None = None
    camera: CameraPlan | None = None


class RoleData(BaseModel):
    """A role's host data: what its deploy and its checks read, built from the inventory and
    the plan. Roles and checks read attributes; the suite gets it back from JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def build(cls, subject: Subject) -> Self:
        raise NotImplementedError(cls.__name__)


class HostFacts(BaseModel):
    """What every role may read about the host it runs on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    site: int | None  # None for a hub
    site_name: str
    roles: tuple[str, ...]  # names of registered roles, in the registry's order
    apt_update: bool

    KEY: ClassVar[str] = "tcd_host"  # its pyinfra host data key

    @classmethod
    def of(cls, host_data: Any) -> HostFacts:
        """From pyinfra's `host.data`."""
        return getattr(host_data, cls.KEY)


@dataclass(frozen=True)
class Reads:
    """What the compliance suite reads from a host to judge the role's controls, in the one
    SSH round trip of `tcd/compliance/collect.sh`: its sections (by name), and the systemd units,
    packages and files those sections report on."""

    sections: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    files: tuple[str, ...] = ()

    def __or__(self, other: Reads) -> Reads:
        """Both roles' reads, each item once, in order."""
        pairs = zip(astuple(self), astuple(other), strict=True)
        return Reads(*(tuple(dict.fromkeys(a + b)) for a, b in pairs))


D = TypeVar("D", bound=RoleData)


@dataclass(frozen=True)
class Role(Generic[D]):
    name: str  # its folder under roles/, its `role:` in baseline.yml
    summary: str
    applies_to: Callable[[Subject], bool]  # which hosts (or cameras) get it
    data: type[D]
    packages: tuple[str, ...] = ()  # what it installs (the lab image has them all)
    reads: Reads = Reads()
    reach: Reach = Reach.SSH
    # its host data names every deployed site (a hub's peers): it runs after the sites, and
    # `prepare()` (if the deploy module has one) runs before them
    after_sites: bool = False

    @property
    def data_key(self) -> str:
        """The pyinfra host data key its data goes under."""
        return f"tcd_{self.name}"

    def data_of(self, host_data: Any) -> D:
        """Its data from pyinfra's `host.data`."""
        return getattr(host_data, self.data_key)

    def deploy_module(self) -> ModuleType:
        """`roles/<name>/deploy.py`: `main()` (and `prepare()` for an `after_sites` role)."""
        return import_module(f"{__package__}.{self.name}.deploy")
