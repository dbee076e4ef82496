"""`tcd status`: where every site stands, from the journal."""

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tcd.cli.common import (
    DEFAULT,
    DatabaseOption,
    InventoryOption,
    WaveOption,
    console,
    errors,
    fail,
    load_valid,
)
from tcd.cli.lab_cmd import lab_settings
from tcd.journal import Journal, JournalError
from tcd.journal.journal import utc
from tcd.journal.status import STATES, StatusReport, run_outcome, site_status
from tcd.lab.lab import LabError
from tcd.lab.target import lab_target
from tcd.loading import Inventory
from tcd.render import render, write_atomically
from tcd.target import TargetError, field_target

LABELS = {
    "pending": ("Chưa triển khai", "pending"),
    "running": ("Đang triển khai", "running"),
    "deployed": ("Đã cài đặt, chưa kiểm tra", "deployed"),
    "verified": ("Hoàn thành, đạt kiểm tra", "verified"),
    "failed": ("Lỗi", "failed"),
    "unreachable": ("Không kết nối được", "unreachable"),
    "interrupted": ("Bị dừng giữa chừng", "interrupted"),
    "drifted": ("Sai lệch so với chuẩn", "drifted"),
}
STYLE = {
    "verified": "green",
    "deployed": "cyan",
    "running": "magenta",
    "failed": "red",
    "unreachable": "dark_orange",
    "interrupted": "yellow",
    "drifted": "red",
    "pending": "dim",
}


def status_command(
    lab: Annotated[bool, typer.Option("--lab", help="The lab's journal, not the field's.")] = False,
    wave: WaveOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained page here.")
    ] = None,
    runs: Annotated[
        bool,
        typer.Option(
            "--runs", help="List the recent runs (of every controller) instead of the sites."
        ),
    ] = False,
    all_targets: Annotated[
        bool,
        typer.Option(
            "--all-targets",
            help="With --runs: the runs of every target sharing the journal (the field and labs).",
        ),
    ] = False,
    limit: Annotated[int, typer.Option(help="With --runs: how many.", min=1)] = 20,
    database: DatabaseOption = None,
    inventory: InventoryOption = DEFAULT,
) -> None:
    """Each site's state (pending, deployed, verified, failed, unreachable, interrupted,
    drifted), when, by which run of which operator on which controller, its last verify;
    totals per wave and for the province. A shared journal shows every controller's runs."""
    loaded = load_valid(inventory)
    try:
        loaded.select(wave=wave)
        target = lab_target(loaded, lab_settings()) if lab else field_target(loaded)
        with target.journal() as journal:
            spooled = journal.spool_pending()
            if spooled:
                errors.print(
                    f"{spooled} journal writes of this controller's runs are still spooled in "
                    f"{journal.spool.folder if journal.spool else ''} (the journal was "
                    "unreachable): they are written on the next run, and not shown here",
                    markup=False,
                )
            if runs:
                _print_runs(journal, None if all_targets else target.name, as_json, limit)
                return
            report = site_status(journal, loaded, target.name, wave)
    except KeyError as exc:
        fail(exc.args[0])
    except (JournalError, TargetError, LabError) as exc:
        fail(str(exc), code=1)
    if html is not None:
        write_atomically(html, status_page(report, loaded), 0o644)
    if as_json:
        print(json.dumps({**report.as_json(), "spooled": spooled}, ensure_ascii=False, indent=2))
    else:
        _print(report)
        if html is not None:
            console.print(f"page: {html}")


def status_page(report: StatusReport, inventory: Inventory) -> str:
    waves = []
    for wave in inventory.waves.waves:
        if wave.name not in report.waves:
            continue
        sites = [s for s in report.sites if s.wave == wave.name]
        by_district = itertools.groupby(
            sorted(sites, key=lambda s: s.former_district), key=lambda s: s.former_district
        )
        waves.append(
            {
                "name": wave.name,
                "title": wave.title,
                "size": len(sites),
                "totals": report.totals(wave.name),
                "districts": [(d, list(group)) for d, group in by_district],
            }
        )
    return render(
        "reports/status/status.html.j2",
        report=report,
        totals=report.totals(),
        waves=waves,
        states=STATES,
        labels={s: {"vi": vi, "en": en} for s, (vi, en) in LABELS.items()},
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _print(report: StatusReport) -> None:
    table = Table(title=f"status of {report.target}", title_justify="left")
    for column in ("site", "unit", "wave", "state", "since", "run", "by", "last verify", "reason"):
        table.add_column(column)
    for s in report.sites:
        style = STYLE[s.state]
        table.add_row(
            str(s.code),
            s.name,
            s.wave or "",
            f"[{style}]{s.state}[/]",
            s.since.strftime("%Y-%m-%d %H:%M") if s.since else "",
            f"#{s.run} {s.commit or ''}" if s.run else "",
            f"{s.operator}@{s.controller}" if s.run else "",
            s.last_verify or "",
            s.reason or "",
        )
    console.print(table)
    for wave in report.waves:
        console.print(f"{wave}: {_totals(report.totals(wave))}")
    console.print(f"province: {_totals(report.totals())} of {len(report.sites)} sites")


def _totals(totals: dict[str, int]) -> str:
    return ", ".join(f"{n} {state}" for state, n in totals.items() if n) or "nothing"


def _print_runs(journal: Journal, target: str | None, as_json: bool, limit: int) -> None:
    """`target` None: every target's."""
    runs = journal.runs(target=target, limit=limit)
    rows = [
        {
            "run": r.id,
            "target": r.target,
            "kind": r.kind,
            "wave": r.wave,
            "outcome": run_outcome(r),
            "operator": r.operator,
            "controller": r.controller,
            "commit": (r.git_commit or "")[:10] + ("+dirty" if r.git_dirty else ""),
            "started": utc(r.started_at).isoformat() if r.started_at else None,
            "ended": ended.isoformat() if (ended := utc(r.ended_at)) else None,
            "sites": len(r.sites),
            "dry": r.dry,
        }
        for r in runs
    ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    where = f"on {target}" if target is not None else "on every target"
    table = Table(title=f"recent runs {where}", title_justify="left")
    columns = ["run", "kind", "wave", "outcome", "by", "commit", "started", "sites"]
    if target is None:
        columns.insert(1, "target")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["run"]),
            *([row["target"]] if target is None else []),
            row["kind"],
            row["wave"] or "",
            row["outcome"],
            f"{row['operator']}@{row['controller']}",
            row["commit"],
            (row["started"] or "")[:19],
            str(row["sites"]),
        )
    console.print(table)
