"""`tcd readiness`: the consolidated readiness review with the investment proposal."""

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tcd.cli.common import DEFAULT, InventoryOption, console, fail, load_valid
from tcd.readiness.assess import review
from tcd.readiness.report import STATUS_ORDER, write_reports
from tcd.readiness.xlsx import XlsxError
from tcd.text import counted, format_vnd


def readiness(
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Folder for the workbook and the HTML report.", file_okay=False
        ),
    ] = Path("build/readiness"),
    inventory: InventoryOption = DEFAULT,
) -> None:
    """Assess every unit against the readiness requirements of baseline.yml: status, gaps, and
    the proposed investment per gap from the price catalogue. Writes an xlsx workbook and an
    HTML report (charts that open offline) and prints a summary."""
    loaded = load_valid(inventory)
    result = review(loaded)
    try:
        workbook, html = write_reports(result, output, dt.date.today())
    except XlsxError as exc:
        fail(f"the workbook was not written: {exc}", code=1)
    province = result.province
    table = Table(title=f"Readiness of {counted(province.units, 'unit')}")
    table.add_column("status")
    table.add_column("units", justify="right")
    for status in STATUS_ORDER:
        table.add_row(str(status), str(province.statuses[status]))
    console.print(table)
    console.print(
        f"proposed investment: {format_vnd(province.one_off)} one-off,"
        f" {format_vnd(province.yearly)} per year"
    )
    common = result.gap_counts()[:3]
    if common:
        gaps = ", ".join(f"{r.id} ({counted(n, 'unit')})" for r, n in common)
        console.print(f"most common gaps: {gaps}")
    console.print(f"wrote {workbook} and {html}")
