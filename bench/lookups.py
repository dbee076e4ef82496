"""Benchmark: pyinfra's global-argument lookup, as pyinfra 3.10 ships it and with each of the
rollout's cheaper lookups (tcd/rollout/lookups.py).

    .venv/bin/python bench/lookups.py [--calls 5000]

Every operation and fact read of a rollout calls `pop_global_arguments` once (~270 calls a
reception PC in a no-change rollout). Here it is called for a reception PC of the committed
inventory, in the pyinfra inventory the rollout builds (its wave, site, district and role
groups), with the data a rollout puts on top of the host's. Each way runs in a fresh
interpreter (the cheaper lookups patch pyinfra for the process); the median of 5 runs.
"""

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

ONE_WAY = """
import sys, time
from pyinfra.api import Config, State
from pyinfra.api.arguments import pop_global_arguments
from tcd.exports.hosts import fleet_records
from tcd.exports.pyinfra_inventory import pyinfra_inventory
from tcd.loading import load_inventory
from tcd.planning import plan_addresses

inventory = load_inventory("inventory")
pilot = inventory.select(wave="pilot")
records = fleet_records(plan_addresses(inventory), pilot)
on_top = {r.name: {f"role_data_{n}": {"n": n} for n in range(8)} for r in records}
fleet = pyinfra_inventory(records, on_top)
if sys.argv[1] != "stock":
    from tcd.rollout import lookups  # the argument list kept, from its import on

    if sys.argv[1] == "quick":
        lookups.quicken(fleet)
state = State(inventory=fleet, config=Config())
host = fleet.get_host("tcd-26380-pc1")
calls = int(sys.argv[2])
start = time.perf_counter()
for _ in range(calls):
    pop_global_arguments(state, host, {"_sudo": True})
print((time.perf_counter() - start) / calls * 1e6)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description="pyinfra's argument lookup, both ways")
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    print("| lookups | µs per call (median of 5) | min |\n|---|---:|---:|")
    ways = {
        "stock": "pyinfra 3.10 as shipped",
        "listed": "the argument list kept (the rollout before 2026-12-03)",
        "quick": "and the host data's lookups (lookups.quicken)",
    }
    for way, label in ways.items():
        runs = [
            float(
                subprocess.run(
                    [sys.executable, "-c", ONE_WAY, way, str(args.calls)],
                    cwd=REPO,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            for _ in range(5)
        ]
        print(f"| {label} | {statistics.median(runs):.0f} | {min(runs):.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
