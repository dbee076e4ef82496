"""What a verify run checks: the selected hosts and IP cameras and both hubs, what the inventory
expects of each (the same host data the roles were deployed with), and how to reach them."""

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tcd.compliance
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


def verify_plan(target: Target, sites: list[Site]) -> tuple[dict[str, Any], list[HostControls]]:
    """The suite's input (JSON-ready) and, per host, the controls that must each get a result."""
    plan, records = target.managed_hosts(sites)
    data = target.host_data(plan, target.load_keys())
    baseline = target.inventory.baseline

    def promised(entry: HostData) -> HostControls:
        controls = tuple(c for c in baseline.controls if c.role in entry.facts.roles)
        facts = entry.facts
        return HostControls(facts.name, facts.site, facts.site_name, controls)

    hosts: list[dict[str, Any]] = []
    for record in records:
        entry = data[record.name]
        hosts.append(
            {"name": record.name, "ssh_host": target.ssh_host(record), "data": entry.as_json()}
        )
    cameras = ip_cameras(plan, data, sites)
    for item in cameras:
        gateway = dataclasses.asdict(target.gateway(item.gateway))
        hosts.append(
            {
                "name": item.camera.name,
                "camera": {"address": str(item.camera.address), "gateway": gateway},
                "data": data[item.camera.name].as_json(),
            }
        )
    suite = {
        "target": target.name,
        "ssh_config": str(target.ssh_config) if target.ssh_config else None,
        "hosts": hosts,
    }
    if cameras:
        # the suite opens the vault itself (with the password from the same environment):
        # no camera secret is ever written into the plan
        vault = target.camera_vault()
        suite["camera_vault"] = {
            "path": str(vault.path),
            "fallback": _str(target.vault_password_fallback),
        }
    names = [r.name for r in records] + [c.camera.name for c in cameras]
    return suite, [promised(data[name]) for name in names]


def _str(path: Path | None) -> str | None:
    return None if path is None else str(path)
