"""Benchmark: where a rollout's wall time goes, step by step.

    sudo .venv/bin/python bench/phases.py --sites 26380,25217 | --all

On a lab that is up (TCD_LAB_NAME, as for `tcd`): runs `tcd rollout … --lab --no-verify` in this
process and times each step of tcd/rollout/engine.py: a phase's connections, the preparation of
its operations (the fact batches, then the operations' code), their execution, the fact reads
after them, the IP cameras. For each step: its wall time, the machine's CPU use over it
(/proc/stat: 100 % a busy core, 200 % for two) and the controller's own CPU (this process and
the children it waited for). A step under 200 % on two cores leaves one idle part of the time,
beside what the idle lab itself uses (bench/idle.py): there, two steps' work could overlap.
Run it once on a fresh lab for a first rollout, again for a no-change one.
"""

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

# before anything that imports sockets or threads: it patches the standard library for gevent
import tcd.cli.main as cli  # isort: skip

from tcd.rollout import engine

Mark = tuple[float, float, float, float, str]  # wall, machine busy, machine total, own CPU, step


def _machine() -> tuple[float, float]:
    """The machine's busy and total CPU time so far, in clock ticks."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


def _own_cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def instrument(marks: list[Mark]) -> None:
    """A mark as each step starts (each step ends where the next starts)."""

    def mark(step: str) -> None:
        busy, total = _machine()
        marks.append((time.monotonic(), busy, total, _own_cpu(), step))

    def wrapped(original: Callable[..., Any], step: Callable[..., str]) -> Callable[..., Any]:
        def measured(*args: Any, **kwargs: Any) -> Any:
            name = step(*args, **kwargs)
            mark(name)
            try:
                return original(*args, **kwargs)
            finally:
                mark(f"after {name}")

        return measured

    phase = engine._Phase
    connect, run, read = phase.__init__, phase.run, phase.read
    phase.__init__ = wrapped(connect, lambda self, **made: f"{made['title']}: connect")
    phase.run = wrapped(run, lambda self, *_, **__: f"{self.title}: prepare")
    phase.read = wrapped(read, lambda self, fact, *_, **__: f"{self.title}: read {fact.__name__}")
    engine.run_ops = wrapped(engine.run_ops, lambda *_, **__: "execute")
    engine._cameras = wrapped(engine._cameras, lambda *_, **__: "IP cameras")


def main() -> int:
    parser = argparse.ArgumentParser(description="each rollout step's wall time and CPU")
    chosen = parser.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--sites", help="admin codes, comma-separated")
    chosen.add_argument("--all", action="store_true", help="every site of the inventory")
    parser.add_argument("--min", type=float, default=0.3, help="steps shorter are not listed")
    args = parser.parse_args()
    marks: list[Mark] = []
    instrument(marks)
    start = time.monotonic()
    selection = ["--all"] if args.all else ["--sites", args.sites]
    code = 0
    try:
        cli.app(["rollout", *selection, "--lab", "--no-verify"])
    except SystemExit as done:  # typer's way out: the rollout's own exit status
        code = int(done.code or 0)
    marks.append((time.monotonic(), *_machine(), _own_cpu(), "end"))
    print(f"\nrollout: {marks[-1][0] - start:.1f} s wall\n")
    print("| from | step | wall | machine CPU | controller CPU |\n|---:|---|---:|---:|---:|")
    for (at, busy, total, own, step), (end, busy2, total2, own2, _) in pairwise(marks):
        if end - at < args.min:
            continue
        use = 100 * (os.cpu_count() or 1) * (busy2 - busy) / max(1, total2 - total)
        print(
            f"| {at - start:.1f} s | {step} | {end - at:.1f} s | {use:.0f} % | {own2 - own:.1f} s |"
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
