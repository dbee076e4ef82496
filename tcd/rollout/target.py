"""Where a rollout goes: the field (management addresses, the operator's SSH setup) or a lab
(lab addresses, the lab's ssh_config and key). Everything else is the same code path."""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tcd.camera.forward import Gateway
from tcd.camera.secrets import FIELD_VAULT, CameraVault, vault_password
from tcd.exports.hosts import HostRecord, fleet_records
from tcd.lab.addressing import lab_inventory
from tcd.lab.lab import load_state
from tcd.lab.settings import LabSettings
from tcd.loading import Inventory
from tcd.model.province import Office
from tcd.model.site import Site
from tcd.paths import REPO_ROOT
from tcd.planning import Plan, plan_addresses
from tcd.planning.addresses import HostPlan
from tcd.planning.hostdata import PublicKeys, host_data
from tcd.render import write_atomically


class TargetError(RuntimeError):
    """The selection cannot be worked on there (e.g. hosts the lab does not have)."""


@dataclass
class Target:
    name: str
    inventory: Inventory  # as this target sees it (a lab's addresses are its own)
    keys_file: Path
    apt_update: bool
    connection: dict[str, Any] = field(default_factory=dict)  # pyinfra data for every host
    hosts: set[str] | None = None  # the hosts that exist there (a lab has only some)
    ssh_config: Path | None = None  # None: the operator's own SSH setup (~/.ssh/config)
    camera_vault_file: Path | None = None  # None: the inventory's secrets/cameras.vault
    # where a vault password is made when the environment gives none (a lab's); None: required
    vault_password_fallback: Path | None = None

    def ssh_host(self, record: HostRecord) -> str:
        """What `ssh` is given for a host: a lab's ssh_config knows its hosts by name."""
        return self._destination(record.name, record.address)

    def _destination(self, name: str, address: object) -> str:
        return name if self.ssh_config else str(address)

    def gateway(self, host: HostPlan) -> Gateway:
        """How `ssh` reaches a site's gateway, for port forwards to the room's cameras."""
        options = ("-F", str(self.ssh_config)) if self.ssh_config else ()
        return Gateway(host.name, options, self._destination(host.name, host.management_address))

    def camera_vault(self) -> CameraVault:
        """The camera secrets here; VaultError when no vault password is given."""
        path = self.camera_vault_file or self.inventory.root / FIELD_VAULT
        return CameraVault(path, vault_password(self.vault_password_fallback))

    def managed_hosts(self, sites: list[Site]) -> tuple[Plan, list[HostRecord]]:
        """The plan as this target sees it, and the SSH-managed hosts of `sites` with both hubs;
        TargetError if some do not exist here (a lab has only some)."""
        plan = plan_addresses(self.inventory)
        selected = [self.inventory.sites[s.code] for s in sites]
        records = [r for r in fleet_records(plan, selected) if r.kind != "camera"]
        missing = sorted(
            r.name for r in records if self.hosts is not None and r.name not in self.hosts
        )
        if missing:
            raise TargetError(
                f"not in {self.name}: {', '.join(missing)} (bring them up with tcd lab up)"
            )
        return plan, records

    def host_data(self, plan: Plan, keys: PublicKeys) -> dict[str, dict[str, Any]]:
        """What the roles read on every host here (all sites' peers for the hubs)."""
        inventory = self.inventory
        return host_data(inventory, plan, inventory.sites.values(), keys, self.apt_update)

    def load_keys(self) -> PublicKeys:
        """WireGuard public keys collected by earlier rollouts (public: no secret here)."""
        if not self.keys_file.is_file():
            return PublicKeys()
        raw = json.loads(self.keys_file.read_text(encoding="utf-8"))
        return PublicKeys(
            hubs={Office(k): v for k, v in raw.get("hubs", {}).items()},
            spokes={
                h: {Office(k): v for k, v in o.items()} for h, o in raw.get("spokes", {}).items()
            },
        )

    def save_keys(self, keys: PublicKeys) -> None:
        raw = {
            "hubs": {office.value: key for office, key in keys.hubs.items()},
            "spokes": {
                h: {o.value: k for o, k in offices.items()} for h, offices in keys.spokes.items()
            },
        }
        write_atomically(self.keys_file, json.dumps(raw, indent=2, sort_keys=True) + "\n")


def field_target(inventory: Inventory) -> Target:
    return Target(
        name="field",
        inventory=inventory,
        keys_file=REPO_ROOT / "state" / "field" / "wireguard-public-keys.json",
        apt_update=True,
    )


def lab_target(inventory: Inventory, settings: LabSettings) -> Target:
    state = load_state(settings)
    public_key = (settings.ssh_key.with_name(settings.ssh_key.name + ".pub")).read_text().split()
    lab, _ = lab_inventory(inventory, " ".join(public_key[:2]))
    return Target(
        name=f"lab {settings.name}",
        inventory=lab,
        keys_file=settings.state_dir / "wireguard-public-keys.json",
        apt_update=False,  # lab hosts have no internet; the image holds every package
        connection={
            # the name resolves through the lab's ssh_config (address, key, ProxyCommand)
            "ssh_config_file": str(settings.ssh_config),
            "ssh_strict_host_key_checking": "yes",
            "ssh_known_hosts_file": str(settings.known_hosts),
            "ssh_allow_agent": False,
            "ssh_look_for_keys": False,
        },
        hosts={h.name for h in state.hosts},
        ssh_config=settings.ssh_config,
        camera_vault_file=settings.camera_vault,
        vault_password_fallback=settings.vault_password_file,
    )
