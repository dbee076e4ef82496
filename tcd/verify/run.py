"""`tcd verify` as a library call: plan, run the suite, judge, compare, write the reports."""

import datetime as dt
import shutil
import time
from pathlib import Path

from tcd.model.site import Site
from tcd.reporting import Reporter
from tcd.target import Target
from tcd.text import counted
from tcd.verify.plan import verify_plan
from tcd.verify.report import write_reports
from tcd.verify.results import VerifyRun, drift, judge, previous_run, selection_key
from tcd.verify.runner import run_suite


def verify(
    target: Target,
    sites: list[Site],
    selection: str,
    reports: Path,
    reporter: Reporter,
    *,
    parallel: int = 16,
    now: dt.datetime | None = None,
) -> tuple[VerifyRun, Path]:
    """Check the hosts of `sites` and both hubs; the run and the folder its reports are in."""
    now = now or dt.datetime.now(dt.UTC)
    run_id = now.strftime("%Y%m%dT%H%M%SZ")
    suite, subjects = verify_plan(target, sites)
    folder = reports.resolve() / run_id  # the suite runs in its own folder
    workdir = folder / ".suite"
    workdir.mkdir(parents=True, exist_ok=False)
    # progress: one step per host read, one per check judged
    total = len(subjects) + sum(len(s.controls) for s in subjects)
    reporter.step(f"verify {counted(len(subjects), 'host')}", total=total)
    started = time.monotonic()
    lines = run_suite(suite, workdir, parallel, reporter.advance)
    today = now.astimezone(dt.timezone(dt.timedelta(hours=7))).date()  # the province's day
    judged = judge(subjects, lines, target.inventory.waivers.waivers, today)
    key = selection_key(target.name, (s.host for s in subjects))
    run = VerifyRun(
        id=run_id,
        target=target.name,
        selection=selection,
        selection_key=key,
        started=now,
        seconds=round(time.monotonic() - started, 1),
        checks=judged,
    )
    previous, unreadable = previous_run(reports, key, before=run_id)
    run.drift = drift(judged, previous)
    run.drift.unreadable = unreadable
    write_reports(run, folder)
    # the suite's input holds host data (public keys, addresses): keep only pytest's log
    (workdir / "pytest.log").replace(folder / "pytest.log")
    shutil.rmtree(workdir)
    return run, folder
