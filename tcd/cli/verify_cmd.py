"""`tcd verify`: check deployed hosts against the baseline (tests/baseline, with testinfra)."""

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tcd.cli.common import (
    DEFAULT,
    AllOption,
    DatabaseOption,
    InventoryOption,
    SitesOption,
    WaveOption,
    console,
    errors,
    fail,
    load_planned,
    select_sites,
)
from tcd.cli.lab_cmd import lab_settings
from tcd.cli.progress import RichReporter
from tcd.journal import JournalError
from tcd.journal.provenance import inventory_digest
from tcd.lab.lab import LabError
from tcd.lab.target import lab_target
from tcd.loading import Inventory
from tcd.model.site import Site
from tcd.onvif.secrets import VaultError
from tcd.target import TargetError, field_target
from tcd.verify.plan import VerifyError
from tcd.verify.record import record_verify
from tcd.verify.results import RESULTS, VerifyRun
from tcd.verify.run import verify

STATUS_STYLE = {"pass": "green", "fail": "red", "unreachable": "dark_orange"}
ReportOption = Annotated[
    Path, typer.Option("--report", help="Reports go in a new folder under this one.")
]


def verify_command(
    lab: Annotated[bool, typer.Option("--lab", help="Verify the lab, not the field.")] = False,
    wave: WaveOption = None,
    sites: SitesOption = None,
    all_sites: AllOption = False,
    report: ReportOption = Path("reports"),
    parallel: Annotated[int, typer.Option(help="Hosts read at once.", min=1)] = 16,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    database: DatabaseOption = None,
    inventory: InventoryOption = DEFAULT,
) -> None:
    """Check the hosts of a wave (or --sites, or --all) and both hubs against the baseline.

    Writes JUnit XML, JSON and HTML under `REPORT/<time>/`. Exits 0 when every control passed (or
    is waived), 1 if any failed or a host was unreachable, 2 on bad usage or invalid inventory."""
    loaded, _ = load_planned(inventory)
    selected = select_sites(loaded, wave, sites, all_sites, required=True)
    selection = f"wave {wave}" if wave else "all sites" if all_sites else f"sites {sites}"
    run, folder = run_verify(loaded, selected, selection, lab, report, parallel, wave=wave)
    if as_json:
        print(json.dumps(run.as_json(), ensure_ascii=False, indent=2))
    else:
        print_run(run, folder)
    if run.failed:
        raise typer.Exit(1)


def run_verify(
    loaded: Inventory,
    selected: list[Site],
    selection: str,
    lab: bool,
    report: Path,
    parallel: int,
    wave: str | None = None,
) -> tuple[VerifyRun, Path]:
    """Shared with `tcd demo`; a missing lab or host is bad usage (exit 2). The run goes into
    the target's journal (`tcd status` shows drift from it)."""
    try:
        target = lab_target(loaded, lab_settings()) if lab else field_target(loaded)
        with RichReporter() as progress:
            run, folder = verify(target, selected, selection, report, progress, parallel=parallel)
        with target.journal() as journal:
            record_verify(
                journal,
                run,
                arguments=sys.argv[1:],
                inventory_digest=inventory_digest(loaded.root),
                wave=wave,
            )
        if (notice := journal.spool_notice()) is not None:
            errors.print(notice, markup=False)
    except (VerifyError, TargetError, LabError, VaultError) as exc:
        fail(str(exc))
    except JournalError as exc:
        fail(str(exc), code=1)
    return run, folder


def print_run(run: VerifyRun, folder: Path) -> None:
    drift = run.drift
    for line in drift.unreadable:
        console.print(f"[yellow]not compared[/] {escape(line)}")
    if drift.previous is not None and (drift.newly_failing or drift.newly_passing):
        console.print(f"[bold]drift since {drift.previous}[/]")
        for key in drift.newly_failing:
            console.print(f"  [red]newly failing[/]  {key}")
        for key in drift.newly_passing:
            console.print(f"  [green]newly passing[/]  {key}")
    failing = [c for c in run.checks if c.result in ("failed", "unreachable")]
    for check in failing:
        console.print(
            f"[red]{check.result}[/] {check.control} {check.host}: {escape(check.reason)}"
        )
    for check in run.expired_waivers():
        console.print(
            f"[yellow]waiver expired[/] {check.control} {check.host} ({check.waiver.expires})"
        )
    console.print(site_table(run))
    counts = run.counts()
    summary = ", ".join(f"{n} {r}" for r, n in counts.items() if n or r == "passed")
    verdict = "[red]FAIL[/]" if run.failed else "[green]PASS[/]"
    console.print(f"{verdict} {summary} in {run.seconds} s; reports: {folder}/index.html")


def site_table(run: VerifyRun) -> Table:
    table = Table(title=f"verify {run.selection} on {run.target}", title_justify="left")
    for column in ("site", "unit / hub", "hosts", *RESULTS, "status"):
        table.add_column(column)
    for site in run.sites():
        style = STATUS_STYLE[site.status]
        table.add_row(
            str(site.site) if site.site is not None else "hub",
            site.name,
            str(len(site.hosts)),
            *(str(site.counts[r]) for r in RESULTS),
            f"[{style}]{site.status}[/]",
        )
    return table
