"""The Ansible twin's inventory and variables, from the project's own planning code.

    PYTHONPATH=. .venv/bin/python bench/ansible/export.py --lab-state state/tcdlab --sites 25195

writes into `<lab state>/ansible-twin/` (or `--out`):

- `hosts.yml` — `tcd inventory export --format ansible --lab` for the SSH-managed hosts of the
  sites and both hubs (tcd.exports.ansible): groups per wave, kind, site, district, `hub`; the
  lab's addresses, reached through its ssh_config (`all: vars:`);
- `host_vars/<host>.yml` — each host's role data exactly as `tcd rollout` gives pyinfra
  (tcd.planning.hostdata: `tcd_host`, and `tcd_<role>` for each of its roles, with the data
  model's properties beside its fields), the values the roles' templates are rendered from; a
  hub's also `tcd_monitoring_targets`, what it would scrape and probe were every site deployed
  (the twin keeps those of the sites deployed at run time);
- `group_vars/all.yml` — each role's policy defaults (`roles/<name>/defaults.py`, under
  `tcd_defaults.<role>`), the templates folder, the WireGuard public keys known so far and where
  they are kept, and every site's gateway (the hubs' peers).

Without `--lab-state`, the field: planned addresses and the operator's own SSH setup.
"""

import argparse
import json
import shutil
import sys
from importlib import import_module
from pathlib import Path
from typing import Any

import yaml
from pydantic_core import to_jsonable_python

from roles.base.findings import apt_dropin_values_command
from roles.common.wireguard import KEY_DIR
from roles.declaration import HostFacts, Reach, Role, RoleData, Subject
from roles.monitoring_hub.role import MonitoringData
from roles.registry import ROLES, role
from tcd.exports.ansible import dump_ansible_inventory
from tcd.lab.settings import DEFAULT_CACHE, LabSettings
from tcd.lab.target import lab_target
from tcd.loading import Inventory, load_inventory
from tcd.paths import REPO_ROOT, TEMPLATES_DIR
from tcd.planning.addresses import Plan
from tcd.planning.hostdata import HostData
from tcd.planning.keys import PublicKeys
from tcd.target import Target, field_target


def ssh_roles() -> list[Role]:
    """The roles the twin mirrors: every role deployed over SSH (the IP camera's is ONVIF)."""
    return [r for r in ROLES if r.reach is Reach.SSH]


def target_of(inventory: Inventory, lab_state: Path | None) -> Target:
    if lab_state is None:
        return field_target(inventory)
    state = lab_state.resolve()
    return lab_target(
        inventory, LabSettings(name=state.name, state_dir=state, cache_dir=DEFAULT_CACHE)
    )


def role_defaults(each: Role) -> dict[str, Any]:
    """A role's policy constants (its defaults.py), as Ansible variables."""
    module = import_module(f"roles.{each.name}.defaults")
    return {
        name: to_jsonable_python(value) for name, value in vars(module).items() if name.isupper()
    }


def properties(values: RoleData) -> dict[str, Any]:
    """The properties of a role's data model (base's `sysctl`, the agent's `unit_include`, the
    hub's `packages`, …): templates read them as they read fields, `model_dump` leaves them
    out."""
    own = (
        name
        for cls in type(values).__mro__
        if issubclass(cls, RoleData) and cls is not RoleData
        for name, value in vars(cls).items()
        if isinstance(value, property)
    )
    return {name: to_jsonable_python(getattr(values, name)) for name in own}


def host_variables(data: HostData) -> dict[str, Any]:
    """A host's pyinfra host data as Ansible variables, under the same names."""
    found: dict[str, Any] = {HostFacts.KEY: data.facts.model_dump(mode="json")}
    for name, values in data.roles.items():
        found[role(name).data_key] = values.model_dump(mode="json") | properties(values)
    return found


def monitoring_targets(target: Target, plan: Plan) -> dict[str, dict[str, Any]]:
    """Per hub, its targets (nodes, gateways, cameras) were every site deployed: its
    MonitoringData built with every gateway's key known (roles/monitoring_hub/role.py). The
    role keeps the sites whose gateway's key towards the province is known when the hubs are
    deployed (after the sites): the twin keeps them at run time (filter `tcd_monitored`)."""
    every = PublicKeys(
        spokes={
            site_plan.gateway.name: dict.fromkeys(plan.hubs, "known")
            for site_plan in plan.sites.values()
            if site_plan.gateway is not None
        }
    )
    found = {}
    for hub in plan.hubs.values():
        subject = Subject(
            name=hub.name,
            inventory=target.inventory,
            plan=plan,
            keys=every,
            apt_update=target.apt_update,
            hub=hub,
        )
        data = MonitoringData.build(subject).model_dump(mode="json")
        found[hub.name] = {kind: data[kind] for kind in ("nodes", "gateways", "cameras")}
    return found


def gateways(plan: Plan) -> list[dict[str, Any]]:
    """Every site's gateway, in the plan's order (a hub's peers are in that order), with its
    tunnel address towards each office and its room LAN: what HubData.build makes a peer of."""
    return [
        {
            "site": code,
            "name": site_plan.gateway.name,
            "overlay": {
                office.value: str(address) for office, address in site_plan.overlay.items()
            },
            "lan": str(site_plan.lan),
        }
        for code, site_plan in plan.sites.items()
        if site_plan.gateway is not None
    ]


def known_keys(keys: PublicKeys) -> dict[str, Any]:
    """The key registry as `Target.save_keys` writes it (public keys only)."""
    return to_jsonable_python(keys)


def dump(path: Path, values: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(values, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(
        "# Written by bench/ansible/export.py; edit inventory/, not this file.\n" + text
    )


def export(
    out: Path, inventory: Inventory, codes: list[int] | None, lab_state: Path | None = None
) -> Path:
    """Write the twin's inventory for the sites `codes` (all if None) into `out`; returns the
    inventory file. TargetError if the lab lacks some of their hosts."""
    target = target_of(inventory, lab_state)
    sites = target.inventory.select(codes=codes)
    plan, records = target.managed_hosts(sites)
    keys = target.load_keys()
    data = target.host_data(plan, keys)
    for stale in ("host_vars", "group_vars"):
        shutil.rmtree(out / stale, ignore_errors=True)  # hosts of an earlier selection
    out.mkdir(parents=True, exist_ok=True)
    hosts = out / "hosts.yml"
    hosts.write_text(dump_ansible_inventory(records, target.ansible_variables()))
    hubs = monitoring_targets(target, plan)
    for record in records:
        variables = host_variables(data[record.name])
        if record.name in hubs:
            variables["tcd_monitoring_targets"] = hubs[record.name]
        dump(out / "host_vars" / f"{record.name}.yml", variables)
    dump(
        out / "group_vars" / "all.yml",
        {
            "tcd_templates": str(TEMPLATES_DIR),
            "tcd_defaults": {r.name: role_defaults(r) for r in ssh_roles()},
            "tcd_wireguard_key_dir": KEY_DIR,
            "tcd_apt_dropins_command": apt_dropin_values_command(),
            "tcd_keys_file": str(target.keys_file),
            "tcd_keys": known_keys(keys),
            "tcd_gateways": gateways(plan),
        },
    )
    return hosts


def add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    """What to export, and where (this script's options, run.py's too)."""
    parser.add_argument("--lab-state", type=Path, help="a lab's state folder (state/<lab>)")
    parser.add_argument("--sites", required=True, help="admin codes, comma-separated")
    parser.add_argument("--inventory", type=Path, default=REPO_ROOT / "inventory")
    parser.add_argument("--out", type=Path, help="default: <state folder>/ansible-twin")


def export_selected(args: argparse.Namespace) -> Path:
    """The export `add_selection_arguments`'s options ask for; its hosts.yml."""
    codes = [int(code) for code in args.sites.split(",") if code.strip()]
    out = args.out or (args.lab_state or REPO_ROOT / "state" / "field") / "ansible-twin"
    return export(out, load_inventory(args.inventory), codes, args.lab_state)


def main() -> int:
    parser = argparse.ArgumentParser(description="the Ansible twin's inventory and variables")
    add_selection_arguments(parser)
    hosts = export_selected(parser.parse_args())
    print(json.dumps({"inventory": str(hosts)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
