"""What a verify run checks: the selected hosts and both hubs, what the inventory expects of
each (the same host data the roles were deployed with), and how to reach them."""

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tcd.model.baseline import Control
from tcd.model.site import Site
from tcd.paths import REPO_ROOT
from tcd.rollout.cameras import ip_cameras
from tcd.rollout.target import Target

SUITE_DIR = REPO_ROOT / "tests" / "baseline"


class VerifyError(Exception):
    pass


@dataclass(frozen=True)
class Subject:
    """One host under check and the controls its roles promise."""

    host: str
    site: int | None  # None for a hub
    site_name: str
    controls: tuple[Control, ...]


def verify_plan(target: Target, sites: list[Site]) -> tuple[dict[str, Any], list[Subject]]:
    """The suite's input (JSON-ready) and, per host, the controls that must each get a result."""
    plan, records = target.managed_hosts(sites)
    data = target.host_data(plan, target.load_keys())
    hosts, subjects = [], []
    for record in records:
        entry = data[record.name]
        roles = entry["tcd_roles"]
        code = record.variables.get("tcd_site_code")
        hosts.append(
            {
                "name": record.name,
                "site": code,
                "roles": roles,
                "ssh_host": target.ssh_host(record),
                "data": entry,
            }
        )
        controls = tuple(c for c in target.inventory.baseline.controls if c.role.value in roles)
        subjects.append(
            Subject(record.name, code, record.variables.get("tcd_site_name", "hub"), controls)
        )
    cameras = ip_cameras(plan, sites)
    camera_controls = tuple(c for c in target.inventory.baseline.controls if c.role == "camera")
    for item in cameras:
        site = target.inventory.sites[item.site]
        hosts.append(
            {
                "name": item.camera.name,
                "site": item.site,
                "roles": ["camera"],
                "camera": {
                    "address": str(item.camera.address),
                    "gateway": dataclasses.asdict(target.gateway(item.gateway)),
                },
                "data": {
                    "ntp_servers": [str(a) for a in target.inventory.province.services.ntp_servers],
                    "policy": target.inventory.baseline.camera.model_dump(mode="json"),
                },
            }
        )
        subjects.append(Subject(item.camera.name, item.site, site.name, camera_controls))
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
    return suite, subjects


def _str(path: Path | None) -> str | None:
    return None if path is None else str(path)
