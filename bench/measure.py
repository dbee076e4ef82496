"""What the benchmarks measure of one controller command: wall time, CPU time and peak memory of
its whole process tree, and the SSH commands it made each lab host run.

The command runs in a cgroup of its own (cpuacct on cgroup v1, the unified hierarchy on v2):
its CPU time is the cgroup's, so it counts processes that left the tree too (an ssh
ControlMaster that daemonised, Ansible's forks). Memory is the sum of the resident sets of the
cgroup's processes, sampled every 0.1 s; shared pages count once per process, so the figure
is an upper bound (a hundred `nc` ProxyCommands or ssh masters each count their libc). Beside
it, the sum of their proportional sets (PSS: a page shared by n processes counts 1/n in each),
what the tree holds of the machine's memory, sampled every 0.5 s (the kernel walks each
process's page tables to answer). Whatever is still in the cgroup when the command ends (a
ControlPersist master) is ended by PID, so no run starts warm from the one before.
"""

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tcd.lab import lab as lab_ops
from tcd.lab.cgroups import lab_cgroup_roots
from tcd.lab.settings import LabSettings

CGROUP_FS = Path("/sys/fs/cgroup")
SAMPLE_S = 0.1
PSS_EVERY = 5  # samples


@dataclass(frozen=True)
class Measured:
    wall_s: float
    cpu_s: float
    peak_mb: float  # the resident sets' sum
    peak_pss_mb: float
    returncode: int
    stdout: str
    stderr: str


def cgroup_cpu_s(path: Path) -> float | None:
    """CPU seconds a cgroup's processes used so far: v1's cpuacct.usage, or v2's cpu.stat
    (v1's cpu.stat has no usage); None where it counts neither."""
    if (path / "cpuacct.usage").exists():
        return int((path / "cpuacct.usage").read_text()) / 1e9
    if (path / "cpu.stat").exists():
        stat = dict(line.split() for line in (path / "cpu.stat").read_text().splitlines())
        if "usage_usec" in stat:
            return int(stat["usage_usec"]) / 1e6
    return None


class _Cgroup:
    """A cgroup below this process's own, for one command."""

    def __init__(self, name: str) -> None:
        unified = (CGROUP_FS / "cgroup.controllers").exists()
        controller = "" if unified else "cpuacct"
        own = next(
            line.split(":", 2)[2]
            for line in Path("/proc/self/cgroup").read_text().splitlines()
            if line.split(":", 2)[1] == controller
        )
        self.unified = unified
        self.path = (CGROUP_FS if unified else CGROUP_FS / "cpuacct") / own.lstrip("/") / name
        self.path.mkdir(parents=True, exist_ok=True)

    def pids(self) -> list[int]:
        return [int(pid) for pid in (self.path / "cgroup.procs").read_text().split()]

    def cpu_s(self) -> float:
        found = cgroup_cpu_s(self.path)
        if found is None:
            raise RuntimeError(f"{self.path} counts no CPU time")
        return found

    def memory_mb(self, proportional: bool = False) -> float:
        """The sum of the processes' resident sets, or of their proportional sets."""
        where, key = ("smaps_rollup", "Pss:") if proportional else ("status", "VmRSS:")
        total_kb = 0
        for pid in self.pids():
            try:
                text = Path(f"/proc/{pid}/{where}").read_text()
            except OSError:
                continue  # ended between the listing and the read
            for line in text.splitlines():
                if line.startswith(key):
                    total_kb += int(line.split()[1])
        return total_kb / 1024

    def end(self) -> None:
        """End what is left (by PID), then remove the cgroup."""
        for _ in range(50):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            time.sleep(0.1)
        self.path.rmdir()


def run_measured(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> Measured:
    """Run `argv` to its end in a cgroup of its own and measure it."""
    cgroup = _Cgroup(f"tcd-bench-{os.getpid()}-{time.monotonic_ns()}")
    procs = cgroup.path / "cgroup.procs"
    peak = peak_pss = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        count = 0
        while not done.is_set():
            peak = max(peak, cgroup.memory_mb())
            if count % PSS_EVERY == 0:
                peak_pss = max(peak_pss, cgroup.memory_mb(proportional=True))
            count += 1
            done.wait(SAMPLE_S)

    sampler = threading.Thread(target=sample, daemon=True)
    start = time.perf_counter()
    # files, not pipes: a process the command leaves behind would hold a pipe open
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        try:
            child = subprocess.Popen(
                argv,
                env=env,
                cwd=cwd,
                # nothing reads the operator's terminal (Ansible refuses a non-blocking stdin)
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                text=True,
                # joins the cgroup before exec, so nothing it starts escapes the count
                preexec_fn=lambda: procs.write_text("0"),  # noqa: PLW1509
            )
            sampler.start()
            child.wait()
            wall = time.perf_counter() - start
            done.set()
            sampler.join()
            cpu = cgroup.cpu_s()
        finally:
            done.set()
            cgroup.end()
        out.seek(0)
        err.seek(0)
        return Measured(wall, cpu, peak, peak_pss, child.returncode, out.read(), err.read())


def commands_per_host(
    settings: LabSettings, hosts: list[str], since: float, until: float
) -> dict[str, int]:
    """host -> SSH commands sshd started on it between `since` and `until` (epoch seconds).

    sshd logs "Starting session: command …" for every command a client runs ("subsystem
    'sftp'" for an upload; LogLevel VERBOSE, which roles/base sets, and the lab image's too),
    so each host's journal says how many a run made it run. The query's own session comes
    after the window (whole seconds: wait a second before asking)."""
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


def hosts_cpu_s(settings: LabSettings) -> dict[str, float]:
    """host -> CPU seconds its processes used so far (its cgroup's cpuacct counter: every lab
    host has a cgroup of its own, tcd.lab.cgroups). Read before and after a command, the
    difference is what the command made the lab's hosts do; empty where the machine has no
    cpuacct hierarchy (pure cgroup v2: the hosts' cpu.stat instead)."""
    found = {}
    for root in lab_cgroup_roots(settings.name):
        for host in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
            if (cpu := cgroup_cpu_s(host)) is not None:
                found[host.name] = cpu
        if found:
            return found
    return found
