"""Where a rollout or a verify goes: the field (management addresses, the operator's SSH setup)
or a lab (lab addresses, the lab's ssh_config and key: `tcd.lab.target`). Everything else is the
same code path."""

import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tcd.exports.hosts import HostRecord, Kind, fleet_records
from tcd.journal import Journal
from tcd.journal.keys import import_key_file
from tcd.journal.lock import Waiting
from tcd.loading import Inventory
from tcd.model.site import Site
from tcd.onvif.forward import Gateway
from tcd.onvif.secrets import FIELD_VAULT, CameraVault, vault_password
from tcd.paths import REPO_ROOT
from tcd.planning import Plan, plan_addresses
from tcd.planning.addresses import HostPlan, HubPlan
from tcd.planning.hostdata import HostData, host_data
from tcd.planning.keys import PublicKeys


class TargetError(RuntimeError):
    """The selection cannot be worked on there (e.g. hosts the lab does not have)."""


@dataclass
class Target:
    name: str
    inventory: Inventory  # as this target sees it (a lab's addresses are its own)
    state_dir: Path  # this target's own files: the journal, the questions hosts were asked
    apt_update: bool
    connection: dict[str, Any] = field(default_factory=dict)  # pyinfra data for every host
    hosts: set[str] | None = None  # the hosts that exist there (a lab has only some)
    ssh_config: Path | None = None  # None: the operator's own SSH setup (~/.ssh/config)
    ssh_user: str | None = None  # None: the operator's own (their SSH config's)
    camera_vault_file: Path | None = None  # None: the inventory's secrets/cameras.vault
    # where a vault password is made when the environment gives none (a lab's); None: required
    vault_password_fallback: Path | None = None

    def ssh_host(self, record: HostRecord) -> str:
        """What `ssh` is given for a host: a lab's ssh_config knows its hosts by name."""
        return self._destination(record.name, record.address)

    def _destination(self, name: str, address: object) -> str:
        return name if self.ssh_config else str(address)

    def pyinfra_data(self, record: HostRecord, data: HostData) -> dict[str, Any]:
        """What pyinfra needs of a host here on top of its variables: its roles' data and how
        to reach it."""
        return {**data.pyinfra(), **self.connection, "ssh_hostname": self.ssh_host(record)}

    def ansible_variables(self, user: str | None = None) -> dict[str, Any]:
        """What Ansible needs to reach every host here and act as root (`ansible_host` is each
        host's address): the SSH user (a lab's own; in the field an admin of province.yml, who
        logs in with a key and has sudo without a password), and a lab's ssh_config (its key,
        known_hosts and the ProxyCommand into its namespace)."""
        variables: dict[str, Any] = {
            "ansible_user": user or self.ssh_user,
            "ansible_become": True,
            "ansible_become_method": "sudo",
            # every host is Debian 12 (the lab's image too): no interpreter discovery warnings
            "ansible_python_interpreter": "/usr/bin/python3",
        }
        if self.ssh_config is not None:
            variables["ansible_ssh_common_args"] = shlex.join(["-F", str(self.ssh_config)])
        else:  # sshd on the fleet takes keys only (roles/base)
            variables["ansible_ssh_common_args"] = "-o PreferredAuthentications=publickey"
        return {name: value for name, value in variables.items() if value is not None}

    def gateway(self, host: HostPlan | HubPlan) -> Gateway:
        """How `ssh` reaches a host for port forwards through it: a site's gateway (to the
        room's cameras) or a hub (to its Prometheus), as rollouts reach them."""
        options = ("-F", str(self.ssh_config)) if self.ssh_config else ()
        address = host.underlay_address if isinstance(host, HubPlan) else host.management_address
        return Gateway(host.name, options, self._destination(host.name, address))

    def camera_vault(self) -> CameraVault:
        """The camera secrets here; VaultError when no vault password is given."""
        path = self.camera_vault_file or self.inventory.root / FIELD_VAULT
        return CameraVault(path, vault_password(self.vault_password_fallback))

    def managed_hosts(self, sites: list[Site]) -> tuple[Plan, list[HostRecord]]:
        """The plan as this target sees it, and the SSH-managed hosts of `sites` with both hubs;
        TargetError if some do not exist here (a lab has only some)."""
        plan = plan_addresses(self.inventory)
        selected = [self.inventory.sites[s.code] for s in sites]
        records = [r for r in fleet_records(plan, selected) if r.kind is not Kind.CAMERA]
        missing = sorted(
            r.name for r in records if self.hosts is not None and r.name not in self.hosts
        )
        if missing:
            raise TargetError(
                f"not in {self.name}: {', '.join(missing)} (bring them up with tcd lab up)"
            )
        return plan, records

    def host_data(self, plan: Plan, keys: PublicKeys) -> dict[str, HostData]:
        """What the roles read on every host and camera here (all sites': the hubs' peers)."""
        inventory = self.inventory
        return host_data(inventory, plan, inventory.sites.values(), keys, self.apt_update)

    @property
    def keys_file(self) -> Path:
        """Where the public-key registry was kept before the journal (imported from there
        once); the Ansible twin hands its keys over through it too."""
        return self.state_dir / "wireguard-public-keys.json"

    def journal(self) -> Journal:
        """This target's journal; JournalError if it cannot be opened."""
        return Journal.for_state(self.state_dir)

    def load_keys(self) -> PublicKeys:
        """WireGuard public keys collected by earlier rollouts (public: no secret here)."""
        with self.journal() as journal:
            import_key_file(journal, self.keys_file)
            return journal.load_keys()

    def save_keys(self, keys: PublicKeys) -> None:
        with self.journal() as journal:
            journal.save_keys(keys)

    @contextmanager
    def hub_lock(self, waiting: Waiting | None = None) -> Iterator[None]:
        """Held while a rollout reads and writes the hubs' peers: rollouts sharing the journal
        (several controllers on one PostgreSQL) update the hubs one after the other.
        JournalError when the journal cannot be reached."""
        with self.journal() as journal, journal.hub_lock(waiting):
            yield


def field_target(inventory: Inventory) -> Target:
    return Target(
        name="field",
        inventory=inventory,
        state_dir=REPO_ROOT / "state" / "field",
        apt_update=True,
    )
