"""Benchmark: `tcd rollout --lab` first run and two no-change runs, for the pilot and 20 units.

    sudo .venv/bin/python bench/rollout.py [--cases pilot,20] [--parallel 10,20,40]

With several `--parallel` values the first and second runs use the largest, then one steady
no-change run is timed at each value (how many hosts at once the default should be).

Each case gets a fresh lab of its own (name tcdbench), runs the real CLI three times and reads
its JSON summary (the second and third runs must change nothing), then tears the lab down. Results:
docs/benchmarks.md.

SSH sessions per host are counted on the hosts themselves, from sshd's journal
(bench/measure.py): since tcd/rollout/rootshell.py a host's root commands run inside one
(bench/commands.py counts those). The third run is the steady state: the fact batch asks what
the previous run asked (tcd/rollout/factbatch.py), so the second run still learns and the third
does not.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from measure import commands_per_host

from tcd.lab import lab as lab_ops
from tcd.lab.settings import DEFAULT_CACHE, LabSettings
from tcd.loading import load_inventory

REPO = Path(__file__).resolve().parent.parent
TCD = str(Path(sys.executable).with_name("tcd"))


def timed_rollout(settings: LabSettings, codes: list[int], parallel: int) -> tuple[float, dict]:
    env = {**os.environ, "TCD_LAB_NAME": settings.name, "TCD_LAB_STATE": str(settings.state_dir)}
    argv = [TCD, "rollout", "--sites", ",".join(map(str, codes)), "--lab", "--json", "--no-verify"]
    argv += ["--parallel", str(parallel)]
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"rollout failed:\n{done.stdout}\n{done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout)


def _spread(counts: list[int]) -> str:
    return f"{counts[len(counts) // 2]} / {counts[-1]}"


def main() -> int:
    parser = argparse.ArgumentParser(description="rollout first-run and no-change times")
    parser.add_argument("--cases", default="pilot,20")
    parser.add_argument("--parallel", default="10", help="hosts at once, e.g. 10,20,40")
    args = parser.parse_args()
    widths = sorted(int(p) for p in args.parallel.split(","))
    settings = LabSettings(
        name="tcdbench", state_dir=REPO / "state" / "tcdbench", cache_dir=DEFAULT_CACHE
    )
    inventory = load_inventory(REPO / "inventory")
    in_order = inventory.rollout_order()
    rows = []
    widths_rows: list[tuple[str, list[tuple[int, float]]]] = []
    for case in args.cases.split(","):
        codes = inventory.wave("pilot").sites if case == "pilot" else in_order[: int(case)]
        lab_ops.down(settings, lab_ops.QuietReporter())
        state = lab_ops.up(
            settings, inventory, inventory.select(codes=codes), lab_ops.QuietReporter()
        )
        try:
            first, first_json = timed_rollout(settings, codes, widths[-1])
            runs = []
            steady: list[tuple[int, float]] = []
            for parallel in [widths[-1], *widths]:
                since = time.time()
                seconds, result = timed_rollout(settings, codes, parallel)
                until = time.time()
                time.sleep(2)
                counts = sorted(
                    commands_per_host(
                        settings, [h.name for h in state.hosts], since, until
                    ).values()
                )
                runs.append((seconds, result["operations_changed"], counts))
                if len(runs) > 1:
                    steady.append((parallel, seconds))
                print(f"{case}: --parallel {parallel}: {seconds:.1f} s", file=sys.stderr)
        finally:
            lab_ops.down(settings, lab_ops.QuietReporter())
        rows.append((case, len(codes), len(state.hosts), first, first_json, runs[:2]))
        if len(widths) > 1:
            widths_rows.append((case, steady))
    print(
        "| case | sites | hosts (+hubs) | first run | changed | no-change run 2 | 3 | changed "
        "| SSH sessions per host, run 2 → 3 (median / max) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for case, sites, hosts, first, first_json, runs in rows:
        (second, changed2, counts2), (third, changed3, counts3) = runs
        print(
            f"| {case} | {sites} | {hosts} | {first:.1f} s | {first_json['operations_changed']} "
            f"| {second:.1f} s | {third:.1f} s | {changed2} + {changed3} "
            f"| {_spread(counts2)} → {_spread(counts3)} |"
        )
    for case, steady in widths_rows:
        print(f"\n{case}, steady no-change run by --parallel (first run at {widths[-1]}):\n")
        print("| --parallel | " + " | ".join(str(p) for p, _ in steady) + " |")
        print("|---|" + "---:|" * len(steady))
        print("| time | " + " | ".join(f"{s:.1f} s" for _, s in steady) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
