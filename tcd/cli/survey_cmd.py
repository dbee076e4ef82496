"""`tcd survey template` and `tcd survey import`."""

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from tcd.cli.common import (
    DEFAULT,
    EXIT_INVALID,
    HELP_MARKUP,
    InventoryOption,
    console,
    errors,
    fail,
    load_planned,
)
from tcd.render import write_atomically
from tcd.survey.importer import apply, describe_replaced, plan_import
from tcd.survey.template import survey_template, workbook_bytes
from tcd.text import counted

app = typer.Typer(
    rich_markup_mode=HELP_MARKUP,
    help="The readiness survey: a workbook for each unit, and importing the filled ones.",
    no_args_is_help=True,
)


@app.command()
def template(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Workbook to write (.xlsx).", dir_okay=False)
    ],
    site: Annotated[
        int | None,
        typer.Option("--site", help="Admin code: fill in and lock this unit's identity."),
    ] = None,
    inventory: InventoryOption = DEFAULT,
) -> None:
    """Write the Vietnamese survey workbook a unit fills: instructions, the unit's identity
    (locked), and sheets for PCs, cameras, audio, displays, network, room and power."""
    if output.suffix.lower() != ".xlsx":
        fail(f"the workbook must be an .xlsx file (got {output})")
    loaded, _ = load_planned(inventory)
    unit = None
    if site is not None:
        unit = loaded.sites.get(site)
        if unit is None:
            fail(f"unknown site code: {site}")
    write_atomically(output, workbook_bytes(survey_template(unit)), 0o644)
    who = f"{unit.code} {unit.name}" if unit is not None else "any unit (code typed by the unit)"
    console.print(f"wrote {output}: survey workbook for {who}")


@app.command(name="import")
def import_(
    workbooks: Annotated[
        list[Path], typer.Argument(help="Filled survey workbooks (.xlsx).", dir_okay=False)
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "--dry", help="Show the changes, write nothing.")
    ] = False,
    replace_planned: Annotated[
        bool,
        typer.Option(
            "--replace-planned",
            help="Let a survey replace the planned values of a site not yet surveyed (the"
            " pilot's uplink); without it such a change is a problem.",
        ),
    ] = False,
    inventory: InventoryOption = DEFAULT,
) -> None:
    """Check every cell of the workbooks and merge the findings into inventory/sites/*.yml
    (comments and order kept). Any problem in any workbook: each is listed as
    FILE › sheet › cell: reason, exit 2, nothing written. Text typed outside the answer cells
    is listed as a warning."""
    loaded, _ = load_planned(inventory)
    plan = plan_import(workbooks, loaded, dt.date.today(), replace_planned)
    for warning in plan.warnings:
        errors.print(f"warning: {warning}", markup=False)
    if plan.problems:
        for problem in plan.problems:
            errors.print(str(problem), markup=False)
        count = len(plan.problems)
        errors.print(
            f"{counted(count, 'problem')} in {counted(len(workbooks), 'workbook')};"
            " nothing was written."
        )
        raise typer.Exit(EXIT_INVALID)
    changes = plan.changes
    if dry_run:
        for change in changes:
            if change.changed:
                console.print(change.diff(), markup=False, highlight=False, end="")
    written = [] if dry_run else apply(changes)
    for change in changes:
        state = "unchanged" if not change.changed else "would change" if dry_run else "updated"
        console.print(
            f"{change.code} {change.name} ← {change.workbook.name}: {state}", markup=False
        )
        if change.replaced_planned:
            verb = "would replace" if dry_run else "replaced"
            console.print(
                f"  {verb} planned {describe_replaced(change.replaced_planned)}", markup=False
            )
    changed = sum(change.changed for change in changes)
    if dry_run:
        console.print(
            f"dry run: {counted(changed, 'site file')} would change; nothing was written."
        )
    else:
        console.print(
            f"{counted(len(written), 'site file')} updated, {len(changes) - changed} unchanged."
        )
