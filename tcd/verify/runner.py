"""Run the compliance suite (pytest + testinfra) as a child process; its plugin appends one
JSON line per (host, control) as each check finishes.

Hosts are read in parallel by threads inside the suite (tcd/compliance/conftest.py): one SSH
round trip per host for its state, then every check judges it. Measured on the pilot, that is
faster than spreading the checks over pytest-xdist workers (docs/benchmarks.md)."""

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tcd.compliance.plan import SuitePlan
from tcd.verify.plan import SUITE_DIR, VerifyError


def run_suite(
    suite: SuitePlan,
    workdir: Path,
    parallel: int,
    on_progress: Callable[[], None],
) -> list[dict[str, Any]]:
    """Every result line the suite wrote. pytest's own output goes to workdir/pytest.log.
    `on_progress` is called once per host read and once per check."""
    plan_file, results_file = workdir / "suite-plan.json", workdir / "results.jsonl"
    plan_file.write_text(suite.model_dump_json(), encoding="utf-8")
    results_file.write_text("")
    argv = [
        sys.executable,
        "-m",
        "pytest",
        str(SUITE_DIR),
        "-c",
        str(SUITE_DIR / "pytest.ini"),
        "--rootdir",
        str(SUITE_DIR),
        "-q",
        f"--tcd-threads={parallel}",
        f"--tcd-plan={plan_file}",
        f"--tcd-results={results_file}",
    ]
    results: list[dict[str, Any]] = []
    with (workdir / "pytest.log").open("w") as log:
        # a session of its own: an operator's Ctrl-C is for `tcd`, which decides what stops
        # (a rollout lets its verify gate finish); ended here if `tcd` itself is aborted
        child = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, cwd=SUITE_DIR, start_new_session=True
        )
        with _ended_on_abort(child), results_file.open(encoding="utf-8") as lines:
            pending = ""
            while True:
                done = child.poll() is not None
                pending += lines.read()
                *complete, pending = pending.split("\n")  # a line is read once it is whole
                for line in complete:
                    event = json.loads(line)
                    if "control" in event:
                        results.append(event)
                    on_progress()
                if done:
                    break
                time.sleep(0.1)
    # 0: all passed, 1: some failed; anything else is the suite itself going wrong
    if child.returncode not in (0, 1):
        raise VerifyError(
            f"the compliance suite did not run (pytest exit {child.returncode}); "
            f"see {workdir / 'pytest.log'}"
        )
    return results


@contextmanager
def _ended_on_abort(child: subprocess.Popen[bytes]) -> Iterator[None]:
    try:
        yield
    except BaseException:
        if child.poll() is None:
            child.kill()
            child.wait()
        raise
