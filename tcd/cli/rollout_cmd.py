"""`tcd rollout`: deploy the selected sites, then both hubs."""

import json
from typing import Annotated

import typer
from rich.table import Table

from tcd.cli.common import (
    DEFAULT,
    InventoryOption,
    SitesOption,
    console,
    fail,
    load_planned,
    select_sites,
)
from tcd.cli.lab_cmd import lab_settings
from tcd.cli.progress import RichReporter
from tcd.lab.lab import LabError
from tcd.lab.target import lab_target
from tcd.loading import Inventory
from tcd.model.site import Site
from tcd.onvif.secrets import VaultError
from tcd.rollout.engine import RolloutResult, rollout
from tcd.target import Target, TargetError, field_target
from tcd.text import counted

STATUS_STYLE = {
    "changed": "yellow",
    "unchanged": "green",
    "failed": "red",
    "would change": "cyan",
    "needs attention": "dark_orange",
}


class _Reporter:
    def __init__(self, progress: RichReporter) -> None:
        self.progress = progress

    def phase(self, description: str, total: int) -> None:
        self.progress.step(description, total=total)

    def advance(self) -> None:
        self.progress.advance()


def rollout_command(
    wave: Annotated[str | None, typer.Argument(help="A wave of waves.yml, e.g. pilot.")] = None,
    sites: SitesOption = None,
    lab: Annotated[
        bool, typer.Option("--lab", help="Deploy to the lab instead of the field.")
    ] = False,
    dry: Annotated[
        bool, typer.Option("--dry", help="Show what would change; change nothing.")
    ] = False,
    parallel: Annotated[int, typer.Option(help="Hosts deployed at once.", min=1)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    inventory: InventoryOption = DEFAULT,
) -> None:
    """Deploy the sites of WAVE (or --sites), then update both hubs.

    Exits 0 when every site and hub succeeded, 1 if any failed, 2 on bad usage."""
    if (wave is None) == (sites is None):
        fail("give a WAVE or --sites CODE,… (one of them)")
    loaded, _ = load_planned(inventory)
    selected = select_sites(loaded, wave, sites)
    result = run_rollout(loaded, selected, lab=lab, dry=dry, parallel=parallel)
    if as_json:
        print(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        print_rollout(result)
    if result.failed:
        raise typer.Exit(1)


def run_rollout(
    loaded: Inventory, selected: list[Site], *, lab: bool, dry: bool = False, parallel: int = 10
) -> RolloutResult:
    """Shared with `tcd demo`: a rollout that cannot start is exit 1 with one line."""
    try:
        target: Target = lab_target(loaded, lab_settings()) if lab else field_target(loaded)
        with RichReporter() as progress:
            return rollout(
                target, selected, dry=dry, parallel=parallel, reporter=_Reporter(progress)
            )
    except (TargetError, LabError, VaultError) as exc:
        fail(str(exc), code=1)


def print_rollout(result: RolloutResult) -> None:
    console.print(_table(result))
    verb = "would change" if result.dry else "changed"
    dry = " (dry run)" if result.dry else ""
    console.print(f"{counted(result.changed, 'operation')} {verb} on {result.target}{dry}")


def _table(result: RolloutResult) -> Table:
    table = Table(title=f"rollout to {result.target}", title_justify="left")
    for column in ("site", "unit / hub", "status", "ops changed", "details"):
        table.add_column(column)
    for row in [*result.sites, *result.hubs]:
        errors = [f"{h.name}: {e}" for h in row.hosts for e in h.errors]
        errors += [f"{h.name}: needs attention: {a}" for h in row.hosts for a in h.attention]
        detail = "; ".join(errors) if errors else ""
        if not errors and result.dry and row.changed:
            detail = "; ".join(f"{h.name}: {', '.join(h.changes)}" for h in row.hosts if h.changes)
        style = STATUS_STYLE[row.status]
        table.add_row(
            str(row.code) if row.code else "hub",
            row.name,
            f"[{style}]{row.status}[/]",
            str(row.changed),
            detail,
        )
    return table
