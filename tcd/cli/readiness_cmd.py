"""`tcd readiness`: the consolidated readiness review with the investment proposal."""

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tcd.cli.common import DEFAULT, InventoryOption, console, fail, load_valid
from tcd.readiness.assess import review
from tcd.readiness.report import ReportError, write_by_province, write_reports
from tcd.readiness.wording import STATUS_ORDER, Letterhead
from tcd.text import counted, format_number, format_vnd


class SplitBy(StrEnum):
    PROVINCE = "province"


def readiness(
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Folder for the workbook and the HTML report.", file_okay=False
        ),
    ] = Path("build/readiness"),
    by: Annotated[
        SplitBy | None,
        typer.Option(
            "--by",
            help="province: one workbook per former province and a national summary workbook"
            " (one sheet per former province), instead of one workbook and the HTML report.",
        ),
    ] = None,
    inventory: InventoryOption = DEFAULT,
) -> None:
    """Assess every unit against the readiness requirements of baseline.yml: status, gaps, and
    the proposed investment per gap from the price catalogue. Writes an xlsx workbook and an
    HTML report (charts that open offline) and prints a summary."""
    loaded = load_valid(inventory)
    result = review(loaded)
    letterhead = Letterhead.of(loaded.province.province)
    today = dt.date.today()
    try:
        if by is SplitBy.PROVINCE:
            national, provinces = write_by_province(result, output, today, letterhead)
            written = (
                f"wrote {national} and beside it {len(provinces)} workbooks, one per former"
                " province"
            )
        else:
            workbook, html = write_reports(result, output, today, letterhead)
            written = f"wrote {workbook} and {html}"
    except ReportError as exc:
        fail(str(exc), code=1)
    province = result.province
    # the province's whole units (a scoped review may hold shares of units)
    table = Table(title=f"Readiness of {counted(round(province.units), 'unit')}")
    table.add_column("status")
    table.add_column("units", justify="right")
    for status in STATUS_ORDER:
        table.add_row(str(status), format_number(province.statuses[status]))
    console.print(table)
    console.print(
        f"proposed investment: {format_vnd(province.one_off)} one-off,"
        f" {format_vnd(province.yearly)} per year"
    )
    common = result.gap_counts()[:3]
    if common:
        gaps = ", ".join(f"{r.id} ({counted(n, 'unit')})" for r, n in common)
        console.print(f"most common gaps: {gaps}")
    console.print(written)
