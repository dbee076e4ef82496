"""A run's reports, all rendered from the same VerifyRun so they cannot disagree: verify.json
(machine-readable, also what the next run compares with), junit.xml (CI tools) and index.html
(a person, offline: one file, no script, no network)."""

import json
from pathlib import Path

from tcd.render import render, write_atomically
from tcd.verify.results import RESULT_FILE, VerifyRun


def write_reports(run: VerifyRun, folder: Path) -> None:
    context = {"run": run, "sites": run.sites(), "counts": run.counts()}
    write_atomically(folder / "junit.xml", render("reports/verify/junit.xml.j2", **context))
    write_atomically(folder / "index.html", render("reports/verify/index.html.j2", **context))
    # last: a folder with verify.json is a complete run (previous_run looks for it)
    text = json.dumps(run.as_json(), ensure_ascii=False, indent=2) + "\n"
    write_atomically(folder / RESULT_FILE, text)
