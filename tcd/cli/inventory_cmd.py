"""`tcd inventory check` and `tcd inventory export`."""

from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tcd.cli.common import (
    DEFAULT,
    InventoryOption,
    SitesOption,
    WaveOption,
    console,
    fail,
    load_planned,
    select_sites,
)
from tcd.exports.ansible import dump_ansible_inventory
from tcd.exports.hosts import fleet_records
from tcd.loading import Inventory
from tcd.model.survey import NOT_SURVEYED
from tcd.render import write_atomically

app = typer.Typer(
    help="Validate and export the inventory (the source of truth).", no_args_is_help=True
)


class ExportFormat(StrEnum):
    ANSIBLE = "ansible"


@app.command()
def check(inventory: InventoryOption = DEFAULT) -> None:
    """Load and validate everything, plan the addresses, print a summary.

    Exits 0 when valid; otherwise prints every problem as FILE:LINE: field: reason and exits 2.
    """
    loaded, plan = load_planned(inventory)
    types = Counter(site.type for site in loaded.sites.values())
    surveyed = sum(site.survey != NOT_SURVEYED for site in loaded.sites.values())
    console.print(
        f"{len(loaded.sites)} units ({', '.join(f'{n} {t}' for t, n in types.most_common())}), "
        f"surveyed {surveyed}/{len(loaded.sites)}"
    )
    console.print(_waves_table(loaded))
    hosts = sum(len(p.hosts) for p in plan.sites.values())
    console.print(
        f"[green]✓[/] {inventory} is valid: {len(loaded.sites)} units, {hosts} hosts,"
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
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.", dir_okay=False)],
    format: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.ANSIBLE,
    inventory: InventoryOption = DEFAULT,
    wave: WaveOption = None,
    sites: SitesOption = None,
    lab: Annotated[
        bool,
        typer.Option(
            "--lab",
            help="The lab's hosts (TCD_LAB_NAME): lab addresses, reached through its ssh_config.",
        ),
    ] = False,
) -> None:
    """Write the fleet in another tool's format (Ansible YAML inventory: groups per wave, role,
    site and former district; planned addresses as host variables)."""
    loaded, plan = load_planned(inventory)
    selected = select_sites(loaded, wave, sites)
    variables: dict[str, str] = {}
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
        variables = target.ansible_variables()
    records = fleet_records(plan, selected)
    write_atomically(output, dump_ansible_inventory(records, variables))
    console.print(
        f"wrote {output}: {len(records)} hosts ({len(selected)} sites and 2 hubs), format {format}"
    )
