"""Benchmark: how fast a lab comes up and goes down, and what an idle host costs.

    sudo .venv/bin/python bench/lab.py [--sites pilot,95] [--settle 30]

For each case: `up` wall time (image already cached); memory per idle host (no ssh session
open) after `--settle` seconds, as MemAvailable before `up` minus after, divided by hosts, and
as the PSS of the hosts' processes (no page cache); then `down` wall time. Uses its own lab name, so
it never touches a lab you have up. Targets: pilot < 30 s, 95 units < 3 min, <= 30 MB per idle
host. Results: docs/benchmarks.md.
"""

import argparse
import sys
import time
from pathlib import Path

from tcd.lab import lab as lab_ops
from tcd.lab.image import ensure_image
from tcd.lab.network import NETNS_DIR
from tcd.lab.processes import lab_processes, netns_inode
from tcd.lab.settings import DEFAULT_CACHE, LabSettings
from tcd.loading import load_inventory

REPO = Path(__file__).resolve().parent.parent


def mem_available_kib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1])
    raise RuntimeError("no MemAvailable in /proc/meminfo")


def pss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total += next(
            int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")
        )
    return total


def run_case(settings: LabSettings, label: str, codes: list[int], settle: float) -> dict:
    inventory = load_inventory(REPO / "inventory")
    sites = inventory.select(codes=codes)
    lab_ops.down(settings, lab_ops.QuietReporter())
    before = mem_available_kib()
    start = time.perf_counter()
    state = lab_ops.up(settings, inventory, sites, lab_ops.QuietReporter())
    up_s = time.perf_counter() - start
    try:
        # idle means no logins: close the ssh connections `up` opened to check them
        lab_ops.close_connections(settings, [h.name for h in state.hosts])
        time.sleep(settle)
        hosts = len(state.hosts)
        delta = (before - mem_available_kib()) / hosts / 1024
        inodes = [netns_inode(NETNS_DIR / h.netns) for h in state.hosts]
        pids = lab_processes([i for i in inodes if i], [])
        pss = pss_kib(pids) / hosts / 1024
    finally:
        start = time.perf_counter()
        lab_ops.down(settings, lab_ops.QuietReporter())
        down_s = time.perf_counter() - start
    return {"case": label, "hosts": hosts, "up": up_s, "mem": delta, "pss": pss, "down": down_s}


def main() -> int:
    parser = argparse.ArgumentParser(description="lab up/down and idle-host memory")
    parser.add_argument("--sites", default="pilot,95", help="cases: 'pilot' and/or a unit count")
    parser.add_argument("--settle", type=float, default=30, help="seconds idle before measuring")
    args = parser.parse_args()
    settings = LabSettings(
        name="tcdbench", state_dir=REPO / "state" / "tcdbench", cache_dir=DEFAULT_CACHE
    )
    started = time.perf_counter()
    ensure_image(settings.cache_dir)
    image_s = time.perf_counter() - started
    inventory = load_inventory(REPO / "inventory")
    in_order = inventory.rollout_order()
    results = []
    for case in args.sites.split(","):
        codes = inventory.wave("pilot").sites if case == "pilot" else in_order[: int(case)]
        label = "pilot (3 units)" if case == "pilot" else f"{case} units"
        results.append(run_case(settings, label, codes, args.settle))
    print(f"# image ready in {image_s:.1f} s; hosts idle {args.settle:.0f} s before measuring")
    print("| case | hosts | up | memory per idle host (MemAvailable) | PSS per host | down |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['case']} | {r['hosts']} | {r['up']:.1f} s | {r['mem']:.1f} MiB "
            f"| {r['pss']:.1f} MiB | {r['down']:.1f} s |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
