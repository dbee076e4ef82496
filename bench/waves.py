"""Benchmark: a wave in batches through its verify gate, beside the plain rollout of the same
sites.

    sudo .venv/bin/python bench/waves.py [--units 20] [--batch 1,5,100%] [--parallel 10]

On a fresh lab (name tcdwaves) of the first N units in rollout order: `tcd rollout --sites …
--batch B --parallel P` (first run: every site deployed, then verified before the next batch).
On another fresh lab: the plain rollout, one batch without the gate (`--no-verify`), then
`tcd verify` of the same sites: the same end state proven the other way. Each command is
measured by bench/measure.py (wall, CPU, peak memory of its process tree). Prints a markdown
table for docs/benchmarks.md.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from measure import Measured, run_measured

from tcd.lab import lab as lab_ops
from tcd.lab.settings import DEFAULT_CACHE, LabSettings
from tcd.loading import load_inventory

REPO = Path(__file__).resolve().parent.parent
TCD = str(Path(sys.executable).with_name("tcd"))
LAB = "tcdwaves"


def measured(settings: LabSettings, *args: str) -> tuple[Measured, dict]:
    env = {
        **os.environ,
        "TCD_LAB_NAME": settings.name,
        "TCD_LAB_STATE": str(settings.state_dir),
        "PYTHONPATH": str(REPO),
    }
    done = run_measured([TCD, *args], env, cwd=REPO)
    if not done.stdout.strip():
        raise SystemExit(f"tcd {' '.join(args[:2])} printed nothing:\n{done.stderr[-3000:]}")
    return done, json.loads(done.stdout)


def row(label: str, done: Measured, note: str) -> str:
    return (
        f"| {label} | {done.wall_s:.1f} s | {done.cpu_s:.1f} s "
        f"| {done.peak_mb:.0f} MB ({done.peak_pss_mb:.0f} MB) "
        f"| {done.returncode} | {note} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="a wave in batches vs the plain rollout")
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--batch", default="1,5,100%")
    parser.add_argument("--parallel", type=int, default=10)
    args = parser.parse_args()
    settings = LabSettings(name=LAB, state_dir=REPO / "state" / LAB, cache_dir=DEFAULT_CACHE)
    inventory = load_inventory(REPO / "inventory")
    codes = inventory.rollout_order()[: args.units]
    sites = ",".join(map(str, codes))
    rows = []
    for plain in (False, True):
        lab_ops.down(settings, lab_ops.QuietReporter())
        lab_ops.up(settings, inventory, inventory.select(codes=codes), lab_ops.QuietReporter())
        try:
            common = ["rollout", "--sites", sites, "--lab", "--json", "--parallel"]
            if plain:
                done, result = measured(settings, *common, str(args.parallel), "--no-verify")
                rows.append(row("plain rollout, one batch, no gate", done, result["outcome"]))
                with tempfile.TemporaryDirectory() as reports:
                    verify = ["verify", "--sites", sites, "--lab", "--json", "--report", reports]
                    done, result = measured(settings, *verify)
                passed = result["counts"]["passed"]
                rows.append(row("then tcd verify", done, f"{passed} controls passed"))
            else:
                done, result = measured(
                    settings, *common, str(args.parallel), "--batch", args.batch
                )
                counts = ", ".join(f"{n} {s}" for s, n in result["counts"].items() if n)
                label = f"wave: --batch {args.batch}, verify gate"
                rows.append(row(label, done, f"{result['outcome']}: {counts}"))
        finally:
            lab_ops.down(settings, lab_ops.QuietReporter())
    print(f"{args.units} units, --parallel {args.parallel}\n")
    print(
        "| run | wall | CPU | peak memory: RSS sum (PSS sum) | exit | outcome |\n"
        "|---|---:|---:|---:|---:|---|"
    )
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
