"""Benchmark: `tcd verify --lab` on a rolled-out lab, for the pilot, 20 and 95 units.

    sudo .venv/bin/python bench/verify.py [--cases pilot,20,95] [--repeat 3] [--parallel 16]
                                          [--keep]

Each case gets a fresh lab of its own (name tcdbv), rolled out once with the real CLI, then
the real `tcd verify` CLI runs `--repeat` times (every run must pass; runs follow each other
without a pause, as an operator's would). Per run: wall time, the CPU time and peak memory of
the command's whole process tree (bench/measure.py), and the CPU time the lab's hosts spent
meanwhile (their cgroups: sshd, sudo, collect.sh's commands), which on a lab shares the
controller's cores; medians kept. Before the runs, what the idle lab itself uses (its hosts'
CPU over IDLE_S seconds: systemd, the tunnels, the monitoring's scrapes), in cores. The lab is
torn down after each case. Results: docs/benchmarks.md.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import hosts_cpu_s, run_measured

from tcd.lab import lab as lab_ops
from tcd.lab.settings import DEFAULT_CACHE, LabSettings
from tcd.loading import load_inventory

REPO = Path(__file__).resolve().parent.parent
TCD = str(Path(sys.executable).with_name("tcd"))
IDLE_S = 30


def env(settings: LabSettings) -> dict[str, str]:
    return {**os.environ, "TCD_LAB_NAME": settings.name, "TCD_LAB_STATE": str(settings.state_dir)}


def tcd(settings: LabSettings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TCD, *args], env=env(settings), capture_output=True, text=True, check=False
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="tcd verify wall time on a rolled-out lab")
    parser.add_argument("--cases", default="pilot,20,95")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument(
        "--keep", action="store_true", help="leave the last case's lab up (TCD_LAB_NAME=tcdbv)"
    )
    args = parser.parse_args()
    settings = LabSettings(
        name="tcdbv", state_dir=REPO / "state" / "tcdbv", cache_dir=DEFAULT_CACHE
    )
    inventory = load_inventory(REPO / "inventory")
    in_order = inventory.rollout_order()
    rows = []
    cases = args.cases.split(",")
    for case in cases:
        codes = inventory.wave("pilot").sites if case == "pilot" else in_order[: int(case)]
        sites = ",".join(map(str, codes))
        lab_ops.down(settings, lab_ops.QuietReporter())
        state = lab_ops.up(
            settings, inventory, inventory.select(codes=codes), lab_ops.QuietReporter()
        )
        try:
            done = tcd(settings, "rollout", "--sites", sites, "--lab", "--json", "--no-verify")
            if done.returncode != 0:
                raise SystemExit(f"rollout failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
            before = hosts_cpu_s(settings)
            time.sleep(IDLE_S)
            idle = sum(hosts_cpu_s(settings).values()) - sum(before.values())
            runs, checks = [], 0
            with tempfile.TemporaryDirectory() as reports:
                for _ in range(args.repeat):
                    before = hosts_cpu_s(settings)
                    done = run_measured(
                        [TCD, "verify", "--lab", "--sites", sites, "--report", reports,
                         "--parallel", str(args.parallel), "--json"],
                        env(settings), cwd=REPO,
                    )  # fmt: skip
                    after = hosts_cpu_s(settings)
                    result = json.loads(done.stdout)
                    if done.returncode != 0:
                        raise SystemExit(f"verify failed: {json.dumps(result['counts'])}")
                    hosts_cpu = sum(after[h] - before.get(h, 0.0) for h in after)
                    runs.append(
                        (done.wall_s, done.cpu_s, hosts_cpu, done.peak_mb, done.peak_pss_mb)
                    )
                    checks = sum(result["counts"].values())
        finally:
            if not (args.keep and case == cases[-1]):
                lab_ops.down(settings, lab_ops.QuietReporter())
        rows.append((case, len(codes), len(state.hosts), checks, runs, idle / IDLE_S))
    print(
        f"| case | sites | hosts (+hubs) | checks | verify (median of {args.repeat}) | runs "
        "| controller CPU | hosts' CPU | peak memory: RSS sum (PSS sum) | idle lab |"
    )
    print("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    for case, sites, hosts, checks, runs, idle in rows:
        wall, cpu, hosts_cpu, peak, pss = (
            statistics.median(column) for column in zip(*runs, strict=True)
        )
        each = ", ".join(f"{run[0]:.1f}" for run in runs)
        print(
            f"| {case} | {sites} | {hosts} | {checks} | {wall:.1f} s | {each} | {cpu:.1f} s "
            f"| {hosts_cpu:.1f} s | {peak:.0f} MB ({pss:.0f} MB) | {idle:.2f} cores |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
