"""pyinfra's Inventory for a selection of sites: hosts, their groups and their data."""

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from pyinfra.api import Inventory as PyinfraInventory

from tcd.exports.hosts import HostRecord, Kind

# a hub's data for deploys/hubs.py: how many sites' keys the registry gave, and which journal
REGISTRY = "tcd_key_registry"


def pyinfra_host(record: HostRecord, **data: Any) -> tuple[str, dict[str, Any]]:
    """(name, data) as pyinfra's inventory takes a host: the export's variables, its address as
    `ssh_hostname`, then `data` on top (host data of its roles, a target's connection)."""
    variables = record.variables.exported()
    return record.name, {**variables, "ssh_hostname": variables.pop("ansible_host"), **data}


def pyinfra_inventory(
    records: list[HostRecord], data: Mapping[str, Mapping[str, Any]] | None = None
) -> PyinfraInventory:
    """SSH-managed hosts and hubs (cameras are configured from the controller, not over SSH),
    with the role and wave/site/district groups of the Ansible export; `data` maps a host name
    to what goes on top of its variables (see `pyinfra_host`)."""
    hosts: list[tuple[str, dict[str, Any]]] = []
    groups: dict[str, list[str]] = defaultdict(list)
    for record in records:
        if record.kind is Kind.CAMERA:
            continue
        hosts.append(pyinfra_host(record, **(data or {}).get(record.name, {})))
        for group in record.groups:
            groups[group].append(record.name)
    return PyinfraInventory((hosts, {}), **{group: (names, {}) for group, names in groups.items()})
