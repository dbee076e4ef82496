"""A lab as a deploy target: the inventory with the lab's addresses, its ssh_config and key."""

from tcd.lab.addressing import lab_inventory
from tcd.lab.lab import load_state
from tcd.lab.settings import LabSettings
from tcd.loading import Inventory
from tcd.target import Target


def lab_target(inventory: Inventory, settings: LabSettings) -> Target:
    state = load_state(settings)
    public_key = (settings.ssh_key.with_name(settings.ssh_key.name + ".pub")).read_text().split()
    lab, _ = lab_inventory(inventory, " ".join(public_key[:2]), fast=state.fast_monitoring)
    return Target(
        name=f"lab {settings.name}",
        inventory=lab,
        state_dir=settings.state_dir,
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
        ssh_user=state.ssh_user,
        camera_vault_file=settings.camera_vault,
        vault_password_fallback=settings.vault_password_file,
    )
