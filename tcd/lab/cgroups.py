"""A cgroup of its own for every lab host, in every cgroup hierarchy of the machine.

On a machine whose PID 1 is not systemd, systemd-nspawn leaves the container in the caller's
cgroups. systemd inside then creates /system.slice/… in each hierarchy it can write; hosts that
shared a cgroup raced each other there ("Failed at step CGROUP"), so each host gets its own.
The lab's cgroups sit below the caller's own (e.g. its memory cgroup), never above.
"""

from pathlib import Path

CGROUP_FS = Path("/sys/fs/cgroup")


def _hierarchy_dirs() -> list[Path]:
    """Where this process sits in each mounted hierarchy (v1 controllers, and v2 if mounted)."""
    dirs: list[Path] = []
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controllers:
            mount = CGROUP_FS / controllers.split(",")[0].removeprefix("name=")
        elif (CGROUP_FS / "cgroup.controllers").exists():
            mount = CGROUP_FS  # pure cgroup v2
        else:
            mount = CGROUP_FS / "unified"
        if (mount / "cgroup.procs").exists():
            dirs.append(mount / path.lstrip("/"))
    return dirs


def lab_cgroup_roots(lab: str) -> list[Path]:
    return [folder / lab for folder in _hierarchy_dirs()]


def make_host_cgroups(roots: list[Path], host: str) -> list[Path]:
    """Create <root>/<host> everywhere; return the cgroup.procs files to join."""
    procs: list[Path] = []
    for root in roots:
        for folder in (root, root / host):
            if not folder.is_dir():
                folder.mkdir()
                # a new cpuset has no CPUs or memory nodes until given its parent's
                for knob in ("cpuset.cpus", "cpuset.mems"):
                    if (folder / knob).exists() and not (folder / knob).read_text().strip():
                        (folder / knob).write_text((folder.parent / knob).read_text())
        procs.append(root / host / "cgroup.procs")
    return procs


def remove_trees(roots: list[Path]) -> list[Path]:
    """rmdir every lab cgroup from the leaves up; return those still busy (with a process)."""
    busy: list[Path] = []
    for root in roots:
        if not root.is_dir():
            continue
        folders = sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts))
        for folder in [*reversed(folders), root]:
            try:
                folder.rmdir()
            except OSError:
                busy.append(folder)
    return busy
