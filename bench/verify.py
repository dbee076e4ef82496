"""Benchmark: `tcd verify --lab` on a rolled-out lab, for the pilot, 20 and 95 units.

    sudo .venv/bin/python bench/verify.py [--cases pilot,20,95] [--repeat 3] [--parallel 16]

Each case gets a fresh lab of its own (name tcdbv), rolled out once with the real CLI, then
the real `tcd verify` CLI runs `--repeat` times (wall time of the whole command, median kept;
every run must pass; runs follow each other without a pause, as an operator's would). The lab
is torn down after each case. Results: docs/benchmarks.md.
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

from tcd.lab import lab as lab_ops
from tcd.lab.settings import DEFAULT_CACHE, LabSettings
from tcd.loading import load_inventory

REPO = Path(__file__).resolve().parent.parent
TCD = str(Path(sys.executable).with_name("tcd"))


def tcd(settings: LabSettings, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "TCD_LAB_NAME": settings.name, "TCD_LAB_STATE": str(settings.state_dir)}
    start = time.perf_counter()
    done = subprocess.run([TCD, *args], env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done


def main() -> int:
    parser = argparse.ArgumentParser(description="tcd verify wall time on a rolled-out lab")
    parser.add_argument("--cases", default="pilot,20,95")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=16)
    args = parser.parse_args()
    settings = LabSettings(
        name="tcdbv", state_dir=REPO / "state" / "tcdbv", cache_dir=DEFAULT_CACHE
    )
    inventory = load_inventory(REPO / "inventory")
    in_order = inventory.rollout_order()
    rows = []
    for case in args.cases.split(","):
        codes = inventory.wave("pilot").sites if case == "pilot" else in_order[: int(case)]
        sites = ",".join(map(str, codes))
        lab_ops.down(settings, lab_ops.QuietReporter())
        state = lab_ops.up(
            settings, inventory, inventory.select(codes=codes), lab_ops.QuietReporter()
        )
        try:
            rolled, done = tcd(
                settings, "rollout", "--sites", sites, "--lab", "--json", "--no-verify"
            )
            if done.returncode != 0:
                raise SystemExit(f"rollout failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
            times, checks = [], 0
            with tempfile.TemporaryDirectory() as reports:
                for _ in range(args.repeat):
                    seconds, done = tcd(
                        settings, "verify", "--lab", "--sites", sites, "--report", reports,
                        "--parallel", str(args.parallel), "--json",
                    )  # fmt: skip
                    result = json.loads(done.stdout)
                    if done.returncode != 0:
                        raise SystemExit(f"verify failed: {json.dumps(result['counts'])}")
                    times.append(seconds)
                    checks = sum(result["counts"].values())
        finally:
            lab_ops.down(settings, lab_ops.QuietReporter())
        rows.append((case, len(codes), len(state.hosts), checks, rolled, times))
    print(f"| case | sites | hosts (+hubs) | checks | verify (median of {args.repeat}) | runs |")
    print("|---|---:|---:|---:|---:|---|")
    for case, sites, hosts, checks, _, times in rows:
        runs = ", ".join(f"{t:.1f}" for t in times)
        print(
            f"| {case} | {sites} | {hosts} | {checks} | {statistics.median(times):.1f} s | {runs} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
