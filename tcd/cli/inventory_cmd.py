"""`tcd inventory check` and `tcd inventory export`."""

import json
import os
import sys
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tcd.cli.common import (
    DEFAULT,
    HELP_MARKUP,
    AllOption,
    InventoryOption,
    SitesOption,
    WaveOption,
    console,
    fail,
    load_planned,
    select_sites,
)
from tcd.exports.ansible import ansible_list, dump_ansible_inventory
from tcd.exports.hosts import HostRecord, fleet_records
from tcd.loading import Inventory
from tcd.model.survey import NOT_SURVEYED
from tcd.render import write_atomically
from tcd.target import field_target
from tcd.text import counted

app = typer.Typer(
    rich_markup_mode=HELP_MARKUP,
    help="Validate and export the inventory (the source of truth).",
    no_args_is_help=True,
)


class ExportFormat(StrEnum):
    ANSIBLE = "ansible"


LabOption = Annotated[
    bool,
    typer.Option(
        "--lab",
        help="The lab's hosts (TCD_LAB_NAME): lab addresses, reached through its ssh_config.",
    ),
]
UserOption = Annotated[
    str | None,
    typer.Option(
        "--user",
        help="The SSH user in the field (an admin of province.yml; default: you if you are "
        "one, else the first).",
    ),
]


@app.command()
def check(inventory: InventoryOption = DEFAULT) -> None:
    """Load and validate everything, plan the addresses, print a summary.

    Exits 0 when valid; otherwise prints every problem as FILE:LINE: field: reason and exits 2.
    """
    loaded, plan = load_planned(inventory)
    types = Counter(site.type for site in loaded.sites.values())
    surveyed = sum(site.survey != NOT_SURVEYED for site in loaded.sites.values())
    kinds = ", ".join(f"{n} {t}" for t, n in types.most_common())
    console.print(
        f"{counted(len(loaded.sites), 'unit')} ({kinds}), surveyed {surveyed}/{len(loaded.sites)}"
    )
    console.print(_waves_table(loaded))
    hosts = sum(len(p.hosts) for p in plan.sites.values())
    console.print(
        f"[green]✓[/] {inventory} is valid: {counted(len(loaded.sites), 'unit')},"
        f" {counted(hosts, 'host')},"
        " 2 hubs planned."
    )


def _waves_table(inventory: Inventory) -> Table:
    table = Table()
    for column in ("wave", "units", "hosts", "cameras"):
        table.add_column(column, justify="left" if column == "wave" else "right")
    totals = Counter()
    for wave in inventory.waves.waves:
        sites = [inventory.sites[code] for code in wave.sites]
        row = Counter(
            units=len(sites),
            hosts=sum(len(s.hosts) for s in sites),
            cameras=sum(len(s.cameras) for s in sites),
        )
        totals.update(row)
        table.add_row(wave.name, *(str(row[key]) for key in ("units", "hosts", "cameras")))
    table.add_section()
    table.add_row("total", *(str(totals[key]) for key in ("units", "hosts", "cameras")))
    return table


@app.command()
def export(
    output: Annotated[
        str, typer.Option("--output", "-o", help="File to write; - for standard output.")
    ],
    format: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.ANSIBLE,
    inventory: InventoryOption = DEFAULT,
    wave: WaveOption = None,
    sites: SitesOption = None,
    all_sites: AllOption = False,
    lab: LabOption = False,
    user: UserOption = None,
) -> None:
    """Write the fleet in another tool's format (Ansible YAML inventory: groups per wave, role,
    site and former district, cameras in groups of their own; planned addresses as host
    variables; the SSH user, sudo and SSH options every host needs)."""
    records, variables, summary = _exported(inventory, wave, sites, lab, user, all_sites)
    text = dump_ansible_inventory(records, variables)
    if output == "-":
        sys.stdout.write(text)
        return
    write_atomically(Path(output), text)
    console.print(f"wrote {output}: {summary}, format {format}")


def dynamic(
    list_all: Annotated[bool, typer.Option("--list", help="Every group and host (JSON).")] = False,
    host: Annotated[str | None, typer.Option("--host", help="One host's variables.")] = None,
) -> None:
    """Ansible's dynamic inventory protocol: `ansible -i $(which tcd-ansible-inventory) …`.
    Ansible passes only --list or --host; the selection comes from the environment:
    TCD_INVENTORY, TCD_WAVE or TCD_SITES, TCD_LAB=1 (a lab: TCD_LAB_NAME), TCD_ANSIBLE_USER."""
    if list_all == (host is not None):
        fail("give --list or --host HOST")
    records, variables, _ = _exported(
        Path(os.environ.get("TCD_INVENTORY", str(DEFAULT))),
        os.environ.get("TCD_WAVE"),
        os.environ.get("TCD_SITES"),
        os.environ.get("TCD_LAB") == "1",
        os.environ.get("TCD_ANSIBLE_USER"),
    )
    listed = ansible_list(records, variables)
    if host is not None:
        hostvars = listed["_meta"]["hostvars"]
        if host not in hostvars:
            fail(f"no host {host!r} in the selection")
        listed = hostvars[host]
    print(json.dumps(listed, ensure_ascii=False, indent=1))


def dynamic_main() -> None:
    """The `tcd-ansible-inventory` console script."""
    typer.run(dynamic)


def _exported(
    inventory: Path,
    wave: str | None,
    sites: str | None,
    lab: bool,
    user: str | None,
    all_sites: bool = False,
) -> tuple[list[HostRecord], dict[str, Any], str]:
    """The selected hosts, the variables every one of them gets, and a one-line summary."""
    loaded, plan = load_planned(inventory)
    selected = select_sites(loaded, wave, sites, all_sites)
    admins = [a.username for a in loaded.province.admins]
    if user is not None and user not in admins:
        fail(f"--user {user}: not an admin of province.yml ({', '.join(admins)})")
    if lab:
        from tcd.cli.lab_cmd import lab_settings  # noqa: PLC0415 - 0.5 s only --lab needs
        from tcd.lab.lab import LabError  # noqa: PLC0415
        from tcd.lab.target import lab_target  # noqa: PLC0415
        from tcd.target import TargetError  # noqa: PLC0415

        try:
            target = lab_target(loaded, lab_settings())
            plan, _ = target.managed_hosts(selected)  # refused if the lab lacks some
        except (TargetError, LabError) as exc:
            fail(str(exc), code=1)
    else:
        target = field_target(loaded)
        # the operator logs in as themselves when they are an admin, else as the first one
        me = os.environ.get("SUDO_USER") or os.environ.get("USER")
        user = user or (me if me in admins else admins[0] if admins else None)
    records = fleet_records(plan, selected)
    count = len(selected)
    summary = f"{counted(len(records), 'host')} ({counted(count, 'site')} and 2 hubs)"
    return records, target.ansible_variables(user), summary
