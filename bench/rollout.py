"""Benchmark: `tcd rollout --lab` first run and no-change run, for the pilot and for 20 units.

    sudo .venv/bin/python bench/rollout.py [--cases pilot,20]

Each case gets a fresh lab of its own (name tcdbench), runs the real CLI twice and reads its
JSON summary (the second run must change nothing), then tears the lab down. Results:
docs/benchmarks.md.

SSH commands per host are counted on the hosts themselves: sshd logs "Starting session:
command …" for every command a client runs ("subsystem 'sftp'" for an upload; LogLevel
VERBOSE, which roles/base sets), so each host's journal between a run's start and end says how
many it ran.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tcd.lab import lab as lab_ops
from tcd.lab.settings import DEFAULT_CACHE, LabSettings
from tcd.loading import load_inventory

REPO = Path(__file__).resolve().parent.parent
TCD = str(Path(sys.executable).with_name("tcd"))


def commands_per_host(
    settings: LabSettings, hosts: list[str], since: float, until: float
) -> dict[str, int]:
    """host -> SSH commands sshd started on it between `since` and `until` (epoch seconds)."""
    query = (
        f"sudo journalctl -q -o cat -t sshd --since @{int(since)} --until @{int(until) + 1}"
        " | grep -c 'Starting session: ' || true"
    )
    counts = {}
    for host in hosts:
        done = subprocess.run(
            lab_ops.ssh_argv(settings, host, [query]), capture_output=True, text=True, check=True
        )
        counts[host] = int(done.stdout.strip() or 0)
    return counts


def timed_rollout(settings: LabSettings, codes: list[int]) -> tuple[float, dict]:
    env = {**os.environ, "TCD_LAB_NAME": settings.name, "TCD_LAB_STATE": str(settings.state_dir)}
    argv = [TCD, "rollout", "--sites", ",".join(map(str, codes)), "--lab", "--json"]
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"rollout failed:\n{done.stdout}\n{done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description="rollout first-run and no-change times")
    parser.add_argument("--cases", default="pilot,20")
    args = parser.parse_args()
    settings = LabSettings(
        name="tcdbench", state_dir=REPO / "state" / "tcdbench", cache_dir=DEFAULT_CACHE
    )
    inventory = load_inventory(REPO / "inventory")
    in_order = inventory.rollout_order()
    rows = []
    for case in args.cases.split(","):
        codes = inventory.wave("pilot").sites if case == "pilot" else in_order[: int(case)]
        lab_ops.down(settings, lab_ops.QuietReporter())
        state = lab_ops.up(
            settings, inventory, inventory.select(codes=codes), lab_ops.QuietReporter()
        )
        try:
            first, first_json = timed_rollout(settings, codes)
            # journald's clock and ours are the same machine's; the query's own session comes
            # after the window (whole seconds)
            since = time.time()
            again, again_json = timed_rollout(settings, codes)
            until = time.time()
            time.sleep(2)
            counts = commands_per_host(settings, [h.name for h in state.hosts], since, until)
        finally:
            lab_ops.down(settings, lab_ops.QuietReporter())
        rows.append((case, len(codes), len(state.hosts), first, first_json, again, again_json))
        per_host = sorted(counts.values())
        rows[-1] += (per_host[len(per_host) // 2], per_host[-1])
    print(
        "| case | sites | hosts (+hubs) | first run | changed | no-change run | changed "
        "| SSH commands per host, no-change (median / max) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for case, sites, hosts, first, first_json, again, again_json, median, most in rows:
        print(
            f"| {case} | {sites} | {hosts} | {first:.1f} s | {first_json['operations_changed']} "
            f"| {again:.1f} s | {again_json['operations_changed']} | {median} / {most} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
