"""Finding and ending the lab's processes by PID (never by name matching across the machine)."""

import contextlib
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path

PROC = Path("/proc")


def _cmdline(pid: int) -> list[str]:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie has exited: only its parent's wait() is missing
    try:
        return (PROC / str(pid) / "stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def netns_inode(netns_path: Path) -> int | None:
    try:
        return netns_path.stat().st_ino
    except OSError:
        return None


def lab_processes(netns_inodes: Iterable[int], markers: Iterable[str]) -> list[int]:
    """PIDs living in one of the lab's network namespaces, or whose command line mentions one
    of the lab's own paths (systemd-nspawn for our roots, ssh masters for our ssh_config)."""
    inodes = set(netns_inodes)
    markers = tuple(m for m in markers if m)
    me = os.getpid()
    found: list[int] = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        pid = int(entry.name)
        try:
            in_lab = (entry / "ns" / "net").stat().st_ino in inodes
        except OSError:
            continue
        if in_lab or any(marker in arg for arg in _cmdline(pid) for marker in markers):
            found.append(pid)
    return found


def is_nspawn_of(pid: int, root: Path) -> bool:
    """True if `pid` is the systemd-nspawn running `root` (guards against a reused PID)."""
    args = _cmdline(pid)
    return bool(args) and args[0].endswith("systemd-nspawn") and f"--directory={root}" in args


def terminate(pids: Iterable[int], grace: float) -> list[int]:
    """SIGTERM, wait up to `grace` seconds, then SIGKILL what is left; return what survived."""
    pids = [pid for pid in pids if alive(pid)]
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.1)
    for pid in pids:
        if alive(pid):
            _signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
