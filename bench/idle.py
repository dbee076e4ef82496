"""Benchmark: what a lab's hosts spend CPU on while no command runs, by systemd unit.

    sudo .venv/bin/python bench/idle.py [--seconds 60] [--top 12]

On a lab that is up (TCD_LAB_NAME, as for `tcd`; e.g. `bench/verify.py --keep` leaves one).
Each lab host is a container whose systemd keeps a cgroup per unit; on the unified hierarchy
(mounted beside the v1 controllers, or alone) every cgroup counts its CPU time (`cpu.stat`).
Read twice, `--seconds` apart: the table gives each unit's CPU summed over the hosts, in cores,
with how many hosts ran it. A unit that started and ended between the reads (a timer's service)
is counted in system.slice's remainder ("… units that ended"); user.slice (the SSH sessions and
their commands) is given as a whole. The lab's total is the hosts' own
cgroups, the same figure as bench/verify.py's "idle lab".
"""

import argparse
import contextlib
import sys
import time
from collections import defaultdict
from pathlib import Path

from measure import cgroup_cpu_s

from tcd.lab.cgroups import lab_cgroup_roots
from tcd.lab.settings import LabSettings

PAYLOAD = "payload"  # where systemd-nspawn puts the container's own cgroups
SLICES = ("system.slice", "user.slice", "init.scope")
ENDED = "system.slice/… units that ended"


def usage_s(cgroup: Path) -> float | None:
    with contextlib.suppress(OSError):  # the unit ended between the listing and the read
        return cgroup_cpu_s(cgroup)
    return None


def unified_root(lab: str) -> Path:
    for root in lab_cgroup_roots(lab):
        if any((host / PAYLOAD / "cpu.stat").exists() for host in root.glob("*")):
            return root
    raise SystemExit(f"no cgroup of lab {lab!r} counts CPU on the unified hierarchy: is it up?")


def snapshot(root: Path) -> dict[tuple[str, str], float]:
    """(host, part) -> CPU seconds so far; parts: the host, its slices, system.slice's units."""
    found = {}
    for host in sorted(p for p in root.iterdir() if p.is_dir()):
        if (total := usage_s(host)) is not None:
            found[(host.name, "")] = total
        for part in SLICES:
            slice_dir = host / PAYLOAD / part
            if (used := usage_s(slice_dir)) is not None:
                found[(host.name, part)] = used
            if part == "system.slice" and slice_dir.is_dir():
                for unit in slice_dir.iterdir():
                    if unit.is_dir() and (used := usage_s(unit)) is not None:
                        found[(host.name, f"{part}/{unit.name}")] = used
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description="the idle lab's CPU by systemd unit")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    settings = LabSettings.from_env()
    root = unified_root(settings.name)
    before, start = snapshot(root), time.monotonic()
    time.sleep(args.seconds)
    after, seconds = snapshot(root), time.monotonic() - start
    cores: dict[str, float] = defaultdict(float)
    hosts: dict[str, set[str]] = defaultdict(set)
    for (host, part), used in after.items():
        if (host, part) in before:
            earlier = before[(host, part)]
            # a unit started again between the reads has a new cgroup, counting from zero
            cores[part] += (used - earlier if used >= earlier else used) / seconds
            hosts[part].add(host)
    # what system.slice used beyond its units still there: timers' services that came and went
    # (user.slice's sessions, and the admin's slice itself, come and go with each login: its
    # total alone is given)
    inside = sum(v for k, v in cores.items() if k.startswith("system.slice/"))
    cores[ENDED] = cores["system.slice"] - inside
    hosts[ENDED] = hosts["system.slice"]
    total = cores.pop("")
    print(
        f"lab {settings.name!r}: {len(hosts[''])} hosts, {total:.3f} cores over {seconds:.0f} s\n"
    )
    print("| part | cores | hosts |\n|---|---:|---:|")
    for part in SLICES:
        print(f"| {part} | {cores[part]:.3f} | {len(hosts[part])} |")
    units = sorted(((v, k) for k, v in cores.items() if "/" in k), reverse=True)
    for used, part in units[: args.top]:
        print(f"| {part} | {used:.3f} | {len(hosts[part])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
