"""Benchmark: the memory a `tcd` command holds once its modules are imported, before any work.

    .venv/bin/python bench/imports.py [COMMAND …]   (default: rollout verify status)

Each command's modules are imported as the console script imports them (tcd.cli.main with the
command in argv: only that command's module, and gevent patched for a rollout), in a fresh
interpreter; then its proportional set size (PSS, /proc/self/smaps_rollup) and whether the
heavier optional libraries were loaded. The median of 5. A rollout's peak adds its hosts' state
to this floor (bench/compare.py).
"""

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("alembic", "zeep", "onvif", "lxml", "aiohttp", "pyinfra", "ansible", "testinfra")

ONE = """
import sys
heavy = sys.argv[2:]
sys.argv = ["tcd", sys.argv[1]]
import tcd.cli.main  # noqa: F401
for line in open("/proc/self/smaps_rollup"):
    if line.startswith("Pss:"):
        print(int(line.split()[1]) / 1024)
print(" ".join(m for m in heavy if m in sys.modules))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description="a command's memory after its imports")
    parser.add_argument("commands", nargs="*", default=["rollout", "verify", "status"])
    args = parser.parse_args()
    print("| command | PSS after imports (median of 5) | heavy libraries loaded |")
    print("|---|---:|---|")
    for command in args.commands:
        runs = [
            subprocess.run(
                [sys.executable, "-c", ONE, command, *HEAVY],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.splitlines()
            for _ in range(5)
        ]
        pss = statistics.median(float(r[0]) for r in runs)
        loaded = runs[0][1] if len(runs[0]) > 1 else ""
        print(f"| `tcd {command}` | {pss:.0f} MB | {loaded or '—'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
