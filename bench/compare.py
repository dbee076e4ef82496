"""Benchmark: `tcd rollout` side by side with the plain pyinfra CLI and the Ansible twin.

    sudo .venv/bin/python bench/compare.py [--units 3,20,95] [--write]

For each size (3 = the pilot; N = the first N units in rollout order), one run, in this order:

1. a fresh lab (name tcdcmp): `tcd rollout` first run, then two no-change runs (the second
   learns the questions a built host asks, the third is the steady state: factbatch.py), then
   the plain `pyinfra` CLI on `deploys/` (site.py, then hubs.py: nothing to change), then
   `tcd verify`; the lab is torn down;
2. a fresh lab again: the Ansible twin's first run (`bench/ansible/`), its no-change run, then
   `tcd verify` on what the twin built (its end state must pass the same SSH hosts' controls);
   the lab is torn down.

`--parts twin-on-tcd` measures the twin's no-change run alone, without its first run: on a fresh
lab that `tcd rollout` (not measured) brings to its end state, the twin runs once (its
"changed" says whether it found anything of tcd's end state to change: 0 is the proof that the
two reach the same state), then `tcd verify` must pass. At 95 units the twin's first run alone
takes about as long as its no-change run (over an hour each here); this gives the no-change
row in half the time.

Each command is measured by bench/measure.py: wall time, CPU time and peak memory of its whole
process tree on the controller, and for the no-change runs the SSH sessions each lab host
started, from sshd's journal (first runs are not counted: the image's sshd logs at INFO until
roles/base sets VERBOSE). A session is one command for the plain CLI and the twin; `tcd rollout`
runs its root commands inside one session a host (tcd/rollout/rootshell.py), and
bench/commands.py counts those commands. Results accumulate in docs/compare/compare.json (one
entry per size, replaced when measured again); `--write` renders the table into
docs/benchmarks.md (between the compare markers) and the chart docs/compare/compare.svg.
"""

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import Measured, commands_per_host, run_measured
from pydantic import BaseModel, ConfigDict

from tcd.lab import lab as lab_ops
from tcd.lab.settings import DEFAULT_CACHE, LabSettings
from tcd.loading import load_inventory
from tcd.render import render, write_atomically

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = REPO / "docs" / "compare" / "compare.json"
CHART = REPO / "docs" / "compare" / "compare.svg"
BENCHMARKS = REPO / "docs" / "benchmarks.md"
BEGIN, END = "<!-- compare:begin -->", "<!-- compare:end -->"
LAB = "tcdcmp"
CAMERA_CONTROLS = "TCD-CAM-"

# (key, label) in the order they run; the chart draws the ones marked
RUNS = [
    ("tcd_first", "tcd rollout, first run"),
    ("tcd_again", "tcd rollout, no change (2nd run)"),
    ("tcd_steady", "tcd rollout, no change (3rd run)"),
    ("pyinfra_cli", "pyinfra CLI (deploys/), no change"),
    ("tcd_verify", "tcd verify"),
    ("twin_first", "Ansible twin, first run"),
    ("twin_again", "Ansible twin, no change"),
    ("twin_verify", "tcd verify of the twin's end state"),
    ("twin_on_tcd", "Ansible twin, no change (on tcd's end state)"),
    ("twin_on_tcd_verify", "tcd verify after it"),
]
CHARTED = ["tcd_first", "twin_first", "twin_again", "tcd_steady", "pyinfra_cli", "tcd_verify"]
# the twin's no-change run, however it was measured: the twin's own first run before it, or tcd's
TWIN_NO_CHANGE = ("twin_again", "twin_on_tcd")
PARTS = ("tcd", "twin", "twin-on-tcd")


class Run(BaseModel):
    model_config = ConfigDict(extra="forbid")

    wall_s: float
    cpu_s: float
    peak_mb: float  # the process tree's resident sets, summed (shared pages once per process)
    peak_pss_mb: float | None = None  # its proportional sets, summed (measured since 2026-12-03)
    ok: bool
    changed: int | None = None  # operations (tcd, pyinfra) or tasks (Ansible) changed
    ssh_median: int | None = None
    ssh_max: int | None = None
    note: str = ""
    commit: str | None = None  # when a part was measured apart (--parts) from the case's


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")

    units: int
    hosts: int  # SSH hosts, both hubs included
    commit: str
    dirty: bool
    date: str
    machine: str
    runs: dict[str, Run]


class Results(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cases: list[Case] = []


def _env(settings: LabSettings) -> dict[str, str]:
    return {
        **os.environ,
        "TCD_LAB_NAME": settings.name,
        "TCD_LAB_STATE": str(settings.state_dir),
        "TCD_LAB": "1",
        # bench/ansible/run.py and its filter plugins import the project's code
        "PYTHONPATH": str(REPO),
    }


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_kb / 2**20:.0f} GiB, Linux {platform.release()}"
    )


def _fail(what: str, done: Measured) -> None:
    # the whole output kept (state/ is never committed): a twin's recap alone is ~50 KB at 95
    kept = REPO / "state" / f"compare-{what}.log"
    write_atomically(kept, f"{done.stdout}\n{done.stderr}", 0o600)
    raise SystemExit(
        f"{what} failed ({done.returncode}), its output in {kept}:\n{done.stderr[-3000:]}"
    )


class Bench:
    """One size: its labs, its selection, the runs measured so far."""

    def __init__(self, units: int, codes: list[int]) -> None:
        self.settings = LabSettings(
            name=LAB, state_dir=REPO / "state" / LAB, cache_dir=DEFAULT_CACHE
        )
        self.inventory = load_inventory(REPO / "inventory")
        self.units, self.codes = units, codes
        self.sites = ",".join(map(str, codes))
        self.hosts: list[str] = []
        self.runs: dict[str, Run] = {}

    def fresh_lab(self) -> None:
        lab_ops.down(self.settings, lab_ops.QuietReporter())
        selection = self.inventory.select(codes=self.codes)
        state = lab_ops.up(self.settings, self.inventory, selection, lab_ops.QuietReporter())
        self.hosts = [host.name for host in state.hosts]

    def down(self) -> None:
        lab_ops.down(self.settings, lab_ops.QuietReporter())

    def measure(self, key: str, argv: list[str], *, count_ssh: bool = False) -> Measured:
        print(f"  {self.units} units: {dict(RUNS)[key]} …", file=sys.stderr, flush=True)
        since = time.time()
        done = run_measured(argv, _env(self.settings), cwd=REPO)
        until = time.time()
        run = Run(
            wall_s=done.wall_s,
            cpu_s=done.cpu_s,
            peak_mb=done.peak_mb,
            peak_pss_mb=done.peak_pss_mb,
            ok=done.returncode == 0,
        )
        if count_ssh:
            time.sleep(2)  # the count's own sessions start after the window
            counts = sorted(commands_per_host(self.settings, self.hosts, since, until).values())
            run.ssh_median, run.ssh_max = counts[len(counts) // 2], counts[-1]
        self.runs[key] = run
        print(
            f"    {run.wall_s:.1f} s wall, {run.cpu_s:.1f} s CPU, {run.peak_mb:.0f} MB"
            f" (PSS {done.peak_pss_mb:.0f} MB)",
            file=sys.stderr,
        )
        return done

    def _rollout_argv(self) -> list[str]:
        return [
            str(BIN / "tcd"),
            "rollout",
            "--sites",
            self.sites,
            "--lab",
            "--json",
            "--no-verify",
        ]

    def tcd_rollout(self, key: str, *, count_ssh: bool) -> None:
        done = self.measure(key, self._rollout_argv(), count_ssh=count_ssh)
        if done.returncode != 0:
            _fail(key, done)
        self.runs[key].changed = json.loads(done.stdout)["operations_changed"]

    def tcd_end_state(self) -> None:
        """tcd's first run, not measured: the state the twin's no-change run starts from."""
        print(f"  {self.units} units: tcd rollout (the twin's starting point) …", file=sys.stderr)
        done = run_measured(self._rollout_argv(), _env(self.settings), cwd=REPO)
        if done.returncode != 0:
            _fail("tcd_end_state", done)

    def pyinfra_cli(self) -> None:
        """deploys/site.py then deploys/hubs.py, as an operator of the plain CLI runs them:
        measured as one run."""
        pyinfra = [str(BIN / "pyinfra"), "-y", "--sudo", "--config", "deploys/config.py"]
        pyinfra.append("deploys/inventory.py")
        site, hubs = (
            shlex.join([*pyinfra, deploy]) for deploy in ("deploys/site.py", "deploys/hubs.py")
        )
        both = f"{site} && {hubs}"
        argv = ["env", f"TCD_SITES={self.sites}", "sh", "-c", both]
        done = self.measure("pyinfra_cli", argv, count_ssh=True)
        if done.returncode != 0:
            _fail("the pyinfra CLI", done)
        self.runs["pyinfra_cli"].note = "site.py, then hubs.py"

    def verify(self, key: str) -> None:
        with tempfile.TemporaryDirectory() as reports:
            argv = [
                str(BIN / "tcd"),
                "verify",
                "--lab",
                "--sites",
                self.sites,
                "--report",
                reports,
                "--json",
            ]
            done = self.measure(key, argv)
        result = json.loads(done.stdout)
        failing = sorted(
            (check["control"], host)
            for host, entry in result["hosts"].items()
            for check in entry["checks"]
            if check["result"] not in ("passed", "waived")
        )
        # the twin leaves IP cameras alone (Ansible has no ONVIF): their controls are reported
        # apart, and only the SSH hosts' decide whether its end state is tcd's
        cameras = [(c, h) for c, h in failing if c.startswith(CAMERA_CONTROLS)]
        hosts = [f"{h} {c}" for c, h in failing if not c.startswith(CAMERA_CONTROLS)]
        run = self.runs[key]
        # only the twin's own end state lacks the cameras' settings
        run.ok = not hosts and (key == "twin_verify" or not cameras)
        run.note = ", ".join(f"{n} {what}" for what, n in result["counts"].items() if n)
        if cameras:
            run.note += f"; {len(cameras)} of them IP camera controls ({CAMERA_CONTROLS}…)"
        if hosts:
            run.note += "; not passed: " + ", ".join(hosts[:12])

    def twin(self, key: str, *, count_ssh: bool) -> None:
        argv = [
            str(BIN / "python"), "bench/ansible/run.py",
            "--lab-state", str(self.settings.state_dir), "--sites", self.sites, "--json",
        ]  # fmt: skip
        done = self.measure(key, argv, count_ssh=count_ssh)
        if done.returncode != 0:
            _fail(key, done)
        recap = json.loads(done.stdout)
        self.runs[key].changed = sum(host["changed"] for host in recap["hosts"].values())
        changes = sorted({task for host in recap["hosts"].values() for task in host["changes"]})
        if key != "twin_first" and changes:
            self.runs[key].note = "changed: " + "; ".join(changes[:8])


def _case(bench: "Bench", commit: str, runs: dict[str, Run]) -> Case:
    return Case(
        units=bench.units,
        hosts=len(bench.hosts),
        commit=commit,
        # what the bench writes (an earlier size's --write) is not a change to what is measured
        dirty=bool(
            _git(
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":!docs/compare",
                f":!{BENCHMARKS.relative_to(REPO)}",
            )
        ),
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=_machine(),
        runs=runs,
    )


def measure_size(units: int, codes: list[int], results: Results, parts: set[str]) -> None:
    """Measures one size: `parts` "tcd" (tcd and the pyinfra CLI on one fresh lab) and/or "twin"
    (the twin on another). What is measured is saved after every run, so a size that fails (or
    is stopped) half-way keeps the rows it has; a part measured alone keeps the other part's
    rows from before, each row naming its commit."""
    bench = Bench(units, codes)
    commit = _git("rev-parse", "--short", "HEAD")
    earlier = next((c for c in results.cases if c.units == units), None)
    kept = {
        key: run.model_copy(update={"commit": run.commit or earlier.commit})
        for key, run in (earlier.runs.items() if earlier else ())
    }
    steps = []
    if "tcd" in parts:
        steps += [
            bench.fresh_lab,
            lambda: bench.tcd_rollout("tcd_first", count_ssh=False),
            lambda: bench.tcd_rollout("tcd_again", count_ssh=True),
            lambda: bench.tcd_rollout("tcd_steady", count_ssh=True),
            bench.pyinfra_cli,
            lambda: bench.verify("tcd_verify"),
        ]
    if "twin" in parts:
        steps += [
            bench.fresh_lab,
            lambda: bench.twin("twin_first", count_ssh=False),
            lambda: bench.twin("twin_again", count_ssh=True),
            lambda: bench.verify("twin_verify"),
        ]
    if "twin-on-tcd" in parts:
        steps += [
            bench.fresh_lab,
            bench.tcd_end_state,
            lambda: bench.twin("twin_on_tcd", count_ssh=True),
            lambda: bench.verify("twin_on_tcd_verify"),
        ]
    try:
        for step in steps:
            step()
            if not bench.runs:
                continue
            for run in bench.runs.values():
                run.commit = commit
            runs = {**kept, **bench.runs}
            case = _case(bench, commit, {key: runs[key] for key, _ in RUNS if key in runs})
            results.cases = [c for c in results.cases if c.units != units] + [case]
            write_atomically(RESULTS, results.model_dump_json(indent=1) + "\n", 0o644)
    finally:
        bench.down()


def _chart(results: Results) -> str:
    """The SVG of wall time against units, one line per charted run."""
    cases = sorted(results.cases, key=lambda c: c.units)
    width, height, left, bottom, top, right = 720, 420, 60, 50, 20, 230
    most_units = max(c.units for c in cases)

    def charted(case: Case, key: str) -> Run | None:
        if key == "twin_again":
            return next((case.runs[k] for k in TWIN_NO_CHANGE if k in case.runs), None)
        return case.runs.get(key)

    most_s = max(run.wall_s for c in cases for k in CHARTED if (run := charted(c, k)))
    step = next(s for s in (10, 30, 60, 120, 300, 600, 1200) if most_s / s <= 8)
    top_s = step * (int(most_s // step) + 1)

    def x(units: int) -> float:
        return left + (width - left - right) * units / most_units

    def y(seconds: float) -> float:
        return height - bottom - (height - bottom - top) * seconds / top_s

    series = [
        {
            "label": dict(RUNS)[key],
            "points": [
                (x(c.units), y(run.wall_s)) for c in cases if (run := charted(c, key)) is not None
            ],
        }
        for key in CHARTED
    ]
    return render(
        "reports/bench/compare.svg.j2",
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        series=series,
        x_ticks=[(x(c.units), c.units) for c in cases],
        y_ticks=[(y(s), s) for s in range(0, top_s + 1, step)],
    )


def _table(results: Results) -> str:
    return render(
        "reports/bench/compare.md.j2",
        cases=sorted(results.cases, key=lambda c: c.units),
        runs=RUNS,
        twin_no_change=TWIN_NO_CHANGE,
    )


def write_docs(results: Results) -> None:
    table = _table(results)
    text = BENCHMARKS.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{BENCHMARKS}: the markers {BEGIN} and {END} are missing")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    write_atomically(BENCHMARKS, head + BEGIN + "\n" + table + END + tail, 0o644)
    write_atomically(CHART, _chart(results), 0o644)


def main() -> int:
    parser = argparse.ArgumentParser(description="tcd rollout vs the pyinfra CLI vs Ansible")
    parser.add_argument("--units", default="3,20,95", help="sizes, comma-separated (3 = pilot)")
    parser.add_argument(
        "--write", action="store_true", help="render docs/benchmarks.md and the chart"
    )
    parser.add_argument(
        "--parts",
        default="tcd,twin",
        help="tcd (tcd and the pyinfra CLI), twin (the Ansible twin), twin-on-tcd (the twin's"
        " no-change run alone, on tcd's end state); comma-separated",
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if not parts or parts - set(PARTS):
        parser.error(f"--parts takes {', '.join(PARTS)} (got {args.parts!r})")
    inventory = load_inventory(REPO / "inventory")
    in_order = inventory.rollout_order()
    results = Results.model_validate_json(RESULTS.read_text()) if RESULTS.exists() else Results()
    for units in (int(u) for u in args.units.split(",") if u):
        codes = inventory.wave("pilot").sites if units == 3 else in_order[:units]
        measure_size(units, list(codes), results, parts)
    if args.write and results.cases:
        write_docs(results)
    print(_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
