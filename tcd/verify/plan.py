"""What a verify run checks: the selected hosts and IP cameras and both hubs, what the inventory
expects of each (the same host data the roles were deployed with), and how to reach them."""

from dataclasses import dataclass
from pathlib import Path

import tcd.compliance
from tcd.compliance.plan import CameraAccess, SuiteHost, SuitePlan, VaultAccess
from tcd.model.baseline import Control
from tcd.model.site import Site
from tcd.planning.hostdata import HostData
from tcd.rollout.cameras import ip_cameras
from tcd.target import Target

SUITE_DIR = Path(tcd.compliance.__file__).parent


class VerifyError(Exception):
    pass


@dataclass(frozen=True)
class HostControls:
    """One host (or camera) under check and the controls its roles promise."""

    host: str
    site: int | None  # None for a hub
    site_name: str
    controls: tuple[Control, ...]


def verify_plan(target: Target, sites: list[Site]) -> tuple[SuitePlan, list[HostControls]]:
    """The suite's input and, per host, the controls that must each get a result."""
    plan, records = target.managed_hosts(sites)
    data = target.host_data(plan, target.load_keys())
    baseline = target.inventory.baseline

    def promised(entry: HostData) -> HostControls:
        controls = tuple(c for c in baseline.controls if c.role in entry.facts.roles)
        facts = entry.facts
        return HostControls(facts.name, facts.site, facts.site_name, controls)

    hosts = [
        SuiteHost(
            name=record.name,
            data=data[record.name].as_json(),
            ssh_host=target.ssh_host(record),
        )
        for record in records
    ]
    cameras = ip_cameras(plan, data, sites)
    hosts += [
        SuiteHost(
            name=item.camera.name,
            data=data[item.camera.name].as_json(),
            camera=CameraAccess(
                address=str(item.camera.address), gateway=target.gateway(item.gateway)
            ),
        )
        for item in cameras
    ]
    vault = None
    if cameras:
        # the suite opens the vault itself (with the password from the same environment):
        # no camera secret is ever written into the plan
        path = target.camera_vault().path
        vault = VaultAccess(path=str(path), fallback=_str(target.vault_password_fallback))
    suite = SuitePlan(
        target=target.name,
        ssh_config=_str(target.ssh_config),
        hosts=tuple(hosts),
        camera_vault=vault,
    )
    return suite, [promised(data[host.name]) for host in hosts]


def _str(path: Path | None) -> str | None:
    return None if path is None else str(path)
