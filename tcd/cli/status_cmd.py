"""`tcd status`: where every site stands, from the journal, and what the provincial hub's
Prometheus sees of it now (the live column)."""

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
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
from tcd.monitoring import LiveReport, SiteLive, live_status, read_live
from tcd.monitoring.prometheus import SINCE_WINDOW_HOURS
from tcd.render import render, write_atomically
from tcd.target import Target, TargetError, field_target
from tcd.text import counted

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
LIVE_STYLE = {"up": "green", "alerting": "yellow", "down": "bold red"}


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
    no_live: Annotated[
        bool,
        typer.Option(
            "--no-live",
            help="The journal alone: do not ask the provincial hub's Prometheus (fast, offline).",
        ),
    ] = False,
    prometheus: Annotated[
        str | None,
        typer.Option(
            "--prometheus",
            metavar="URL",
            help="Ask this Prometheus directly (e.g. `http://10.210.0.2:9090` from a control "
            "node the hub lets in) instead of through an SSH forward to the provincial hub.",
        ),
    ] = None,
    database: DatabaseOption = None,
    inventory: InventoryOption = DEFAULT,
) -> None:
    """Each site's state (pending, deployed, verified, failed, unreachable, interrupted,
    drifted), when, by which run of which operator on which controller, its last verify;
    totals per wave and for the province. A shared journal shows every controller's runs.

    The live column is what the provincial hub's Prometheus sees now, through an SSH forward
    to the hub: each site's hosts up, since when the others are down, its firing alerts. If it
    cannot be reached, one line on stderr says why and the journal is shown alone."""
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
    live = None if no_live else _live(target, report, prometheus)
    if live is not None and live.error is not None:
        errors.print(
            f"live monitoring unavailable: {live.error}; showing the journal alone", markup=False
        )
    if html is not None:
        write_atomically(html, status_page(report, loaded, live), 0o644)
    if as_json:
        print(json.dumps(status_json(report, live, spooled), ensure_ascii=False, indent=2))
    else:
        _print(report, live)
        if html is not None:
            console.print(f"page: {html}")


def _live(target: Target, report: StatusReport, url: str | None) -> LiveReport | None:
    """What Prometheus sees now; None when it is not asked: no site of the report was rolled
    out yet, so none can be scraped (and a fresh journal costs no SSH attempt)."""
    if url is not None:
        return read_live(url)
    if all(s.state == "pending" for s in report.sites):
        return None
    return live_status(target)


def _usable(live: LiveReport | None) -> LiveReport | None:
    return live if live is not None and live.error is None else None


def status_json(report: StatusReport, live: LiveReport | None, spooled: int) -> dict[str, Any]:
    """The report with each site's `live` (null: not scraped, or Prometheus not asked or not
    reachable), `live_error` (null unless it was asked and could not be read) and `live_at`
    (when it answered; null if it was not asked or did not answer)."""
    shown = _usable(live)
    raw = report.as_json()
    for site in raw["sites"]:
        found = shown.sites.get(site["site"]) if shown else None
        site["live"] = found.as_json() if found else None
    raw["live_error"] = live.error if live is not None else None
    raw["live_at"] = shown.at.isoformat() if shown and shown.at else None
    raw["live_other_alerts"] = [a.as_json() for a in shown.other_alerts] if shown else []
    return {**raw, "spooled": spooled}


def status_page(report: StatusReport, inventory: Inventory, live: LiveReport | None = None) -> str:
    """The page; with `live`, its column (or, if Prometheus was not reached, a line saying so)."""
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
        live=_usable(live),
        live_error=live.error if live is not None else None,
        live_window=SINCE_WINDOW_HOURS,
    )


def _print(report: StatusReport, live: LiveReport | None = None) -> None:
    shown = _usable(live)
    table = Table(title=f"status of {report.target}", title_justify="left")
    columns = ["site", "unit", "wave", "state", "since", "run", "by", "last verify", "reason"]
    if shown:
        columns.insert(columns.index("since") + 1, "live")
    for column in columns:
        table.add_column(column)
    for s in report.sites:
        style = STYLE[s.state]
        table.add_row(
            str(s.code),
            s.name,
            s.wave or "",
            f"[{style}]{s.state}[/]",
            s.since.strftime("%Y-%m-%d %H:%M") if s.since else "",
            *([live_cell(shown.sites.get(s.code), shown.at)] if shown else []),
            f"#{s.run} {s.commit or ''}" if s.run else "",
            f"{s.operator}@{s.controller}" if s.run else "",
            s.last_verify or "",
            s.reason or "",
        )
    console.print(table)
    for wave in report.waves:
        console.print(f"{wave}: {_totals(report.totals(wave))}")
    console.print(f"province: {_totals(report.totals())} of {len(report.sites)} sites")
    if shown:
        at = shown.at.strftime("%Y-%m-%d %H:%M:%S UTC") if shown.at else "?"
        console.print(f"live: {shown.source}, at {at}", markup=False)
        for alert in shown.other_alerts:  # the hubs' own: no row to show them in
            console.print(f"live: {alert.name} firing: {alert.summary or ''}", markup=False)


def live_cell(site: SiteLive | None, now: dt.datetime | None) -> str:
    """A site's live column (rich markup): "up 2/2", "DOWN 1/2 since 12:03 (tcd-25195-pc1)",
    "1 alert: TcdSiteDown"; "—" when Prometheus does not scrape it (not rolled out yet)."""
    if site is None:
        return "—"
    lines = []
    if site.down:
        hosts = ", ".join(escape(d.host) for d in site.down)
        down = f"DOWN {len(site.down)}/{site.total}"
        known = [d.since for d in site.down if d.since is not None]
        if len(known) == len(site.down):
            when = f" since {_short(min(known), now)}"
        else:  # Prometheus has not seen one up in the window it was asked about
            when = f", not up in {SINCE_WINDOW_HOURS} h"
        lines.append(f"[{LIVE_STYLE['down']}]{down}{when}[/] ({hosts})")
    elif site.total:
        lines.append(f"[{LIVE_STYLE['up']}]up {site.up}/{site.total}[/]")
    if site.alerts:
        names = ", ".join(dict.fromkeys(escape(a.name) for a in site.alerts))
        lines.append(f"[{LIVE_STYLE['alerting']}]{counted(len(site.alerts), 'alert')}: {names}[/]")
    return "\n".join(lines)


def _short(when: dt.datetime, now: dt.datetime | None) -> str:
    """UTC as every time of the table; the date only when it is not today's."""
    same_day = now is not None and when.date() == now.date()
    return when.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M")


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
