"""pyinfra's Inventory for a selection of sites: hosts, their groups and their data."""

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from pyinfra.api import Inventory as PyinfraInventory

from tcd.exports.hosts import HostRecord


def pyinfra_inventory(
    records: list[HostRecord], override: Mapping[str, Mapping[str, Any]] | None = None
) -> PyinfraInventory:
    """SSH-managed hosts and hubs (cameras are configured from the controller, not over SSH).

    `override` maps a host name to data that replaces the field's, e.g. the lab's address and key.
    """
    names: list[tuple[str, dict[str, Any]]] = []
    groups: dict[str, list[str]] = defaultdict(list)
    for record in records:
        if record.kind == "camera":
            continue
        data = {key: value for key, value in record.variables.items() if key != "ansible_host"}
        data["ssh_hostname"] = record.address
        data.update((override or {}).get(record.name, {}))
        names.append((record.name, data))
        for group in record.groups:
            groups[group].append(record.name)
    return PyinfraInventory((names, {}), **{group: (hosts, {}) for group, hosts in groups.items()})
