"""Bringing a lab up and down, stopping and starting its hosts, and asking how it is."""

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tcd.exports.hosts import Kind, fleet_records
from tcd.lab.addressing import fast_monitoring, lab_inventory
from tcd.lab.cgroups import lab_cgroup_roots, remove_trees
from tcd.lab.emulated_cameras import create_lans, plan_cameras, start_camera
from tcd.lab.image import ensure_image, image_key
from tcd.lab.keys import KeyPair, new_ed25519, write_key
from tcd.lab.machines import Machine, build_common_layer, launch, prepare_root
from tcd.lab.network import (
    NETNS_DIR,
    all_namespaces,
    create_namespaces,
    create_office,
    create_wan,
    delete_namespaces,
    lab_namespaces,
)
from tcd.lab.processes import alive, is_nspawn_of, lab_processes, netns_inode, terminate
from tcd.lab.settings import CONTROL_DIR, RUN_DIR, LabSettings
from tcd.lab.state import LabHost, LabState
from tcd.lab.system import run
from tcd.loading import Inventory
from tcd.model.site import Site
from tcd.planning import plan_addresses
from tcd.render import render, write_atomically
from tcd.reporting import QuietReporter, Reporter
from tcd.text import counted

INOTIFY = Path("/proc/sys/fs/inotify/max_user_instances")
INOTIFY_NEEDED = 4096  # at the default 128, containers beyond ~22 fail to start (LAB-NOTES)
INOTIFY_BEFORE = RUN_DIR / "inotify-max-user-instances.before"
BOOT_TIMEOUT = 120.0
SHUTDOWN_GRACE = 20.0


class LabError(RuntimeError):
    pass


def require_root() -> None:
    if os.geteuid() != 0:
        raise LabError("the lab needs root (namespaces, mounts, containers): run it with sudo")
    missing = [tool for tool in ("ip", "systemd-nspawn", "nc", "ssh") if shutil.which(tool) is None]
    if missing:
        raise LabError(f"missing on this machine: {', '.join(missing)} (./dev setup installs them)")


def up(
    settings: LabSettings, inventory: Inventory, sites: list[Site], reporter: Reporter
) -> LabState:
    """Build the lab of `sites` plus both hubs; on any failure, tear down what was made."""
    require_root()
    if settings.state_dir.exists() or lab_namespaces(settings):
        raise LabError(
            f"a lab named {settings.name!r} is already up (or half up): run `tcd lab down` first"
        )
    reporter.step("base image")
    image = ensure_image(settings.cache_dir, progress=reporter.note)

    settings.state_dir.mkdir(parents=True)
    try:
        state, login = _plan_lab(settings, inventory, sites)
    except BaseException:
        shutil.rmtree(settings.state_dir, ignore_errors=True)
        raise
    user = state.ssh_user
    try:
        _raise_inotify_limit(settings, state)
        reporter.step("network")
        create_wan(settings, state.controller)
        create_namespaces(settings, [(h.netns, h.address) for h in state.hosts])
        for hub in state.hosts:
            if hub.office_network:
                create_office(settings, hub.name, hub.office_network)
        create_lans(settings, state.cameras)
        reporter.step("host roots", total=len(state.hosts))
        layers = [build_common_layer(settings, image, user, login.public_openssh), image]
        machines = [Machine.of(settings, h.name) for h in state.hosts]
        host_keys = {}
        for machine in machines:
            host_keys[machine.name] = prepare_root(machine, layers)
            reporter.advance()
        _write_ssh_files(settings, state, host_keys)
        reporter.step("booting", total=len(machines))
        for name, pid in launch(machines, [Path(c) for c in state.cgroups]).items():
            state.host(name).pid = pid
        state.save(settings.state_file)
        _wait_for_ssh(settings, state, state.hosts, reporter)
        if state.cameras:
            reporter.step("IP cameras", total=len(state.cameras))
            for camera in state.cameras:
                camera.pid = start_camera(settings, camera)
                state.save(settings.state_file)
                reporter.advance()
        state.ready = True
        state.save(settings.state_file)
    except BaseException:
        reporter.note("failed: tearing the half-built lab down")
        down(settings, QuietReporter())
        raise
    return state


def _plan_lab(
    settings: LabSettings, inventory: Inventory, sites: list[Site]
) -> tuple[LabState, KeyPair]:
    """The lab's login key, and its hosts with their lab addresses, saved as the lab's state."""
    login = new_ed25519()
    write_key(login, settings.ssh_key, f"tcd-lab-{settings.name}")
    fast = fast_monitoring(len(sites))
    lab, mapping = lab_inventory(inventory, login.public_openssh, fast=fast)
    lab_sites = [lab.sites[site.code] for site in sites]
    plan = plan_addresses(lab, lab_sites)
    records = [r for r in fleet_records(plan, lab_sites) if r.kind is not Kind.CAMERA]
    user = lab.province.admins[0].username
    state = LabState(
        name=settings.name,
        created=dt.datetime.now(dt.UTC),
        image=image_key(),
        inventory=str(inventory.root.resolve()),
        selection=[site.code for site in sites],
        ssh_user=user,
        controller=str(lab.province.services.control_nodes[0]),
        cgroups=[str(root) for root in lab_cgroup_roots(settings.name)],
        fast_monitoring=fast,
        address_map={str(field): str(lab_net) for field, lab_net in mapping.networks}
        | {str(field): str(lab_address) for field, lab_address in mapping.singles.items()},
        hosts=[
            LabHost(
                name=r.name,
                kind=r.kind.value,
                site=r.site,
                address=r.address,
                netns=settings.host_netns(r.name),
                office_network=str(plan.hubs[r.office].office_networks[0]) if r.office else None,
            )
            for r in records
        ],
        cameras=plan_cameras(settings, plan, [site.code for site in sites]),
    )
    state.save(settings.state_file)
    return state, login


def _raise_inotify_limit(settings: LabSettings, state: LabState) -> None:
    """Raised for every lab on the machine, and put back by the last lab down: the machine's
    own value is kept once, outside any lab's state (labs with other names run side by side,
    and the first down must not lower it under the others)."""
    current = int(INOTIFY.read_text())
    if current < INOTIFY_NEEDED:
        if not INOTIFY_BEFORE.exists():
            INOTIFY_BEFORE.parent.mkdir(parents=True, exist_ok=True)
            INOTIFY_BEFORE.write_text(str(current))
        INOTIFY.write_text(str(INOTIFY_NEEDED))


def _restore_inotify_limit(state: LabState | None) -> None:
    """The machine's value back, once no lab is up any more."""
    if any(n.endswith("-wan") for n in all_namespaces()):
        return  # another lab is up: it still needs the raised limit
    if INOTIFY_BEFORE.exists():
        INOTIFY.write_text(INOTIFY_BEFORE.read_text().strip())
        INOTIFY_BEFORE.unlink()
    elif state is not None and state.inotify_instances_before is not None:  # an older lab's
        INOTIFY.write_text(str(state.inotify_instances_before))


def _write_ssh_files(settings: LabSettings, state: LabState, host_keys: dict[str, str]) -> None:
    CONTROL_DIR.mkdir(mode=0o700, exist_ok=True)
    known = render("lab/known_hosts.j2", hosts=state.hosts, keys=host_keys)
    write_atomically(settings.known_hosts, known)
    config = render(
        "lab/ssh_config.j2",
        lab=settings.name,
        hosts=state.hosts,
        user=state.ssh_user,
        key=settings.ssh_key,
        known_hosts=settings.known_hosts,
        controller_netns=settings.controller_netns,
        control_dir=CONTROL_DIR,
    )
    write_atomically(settings.ssh_config, config)


def _wait_for_ssh(
    settings: LabSettings, state: LabState, hosts: list[LabHost], reporter: Reporter
) -> None:
    """Until every host's sshd answers and the lab's key logs in."""
    targets = {f"{h.address}:22": h for h in hosts}
    probe = subprocess.Popen(
        [
            *("ip", "netns", "exec", settings.controller_netns),
            *(sys.executable, "-m", "tcd.lab.probe", "--timeout", str(BOOT_TIMEOUT), *targets),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert probe.stdout is not None
    for _ in probe.stdout:
        reporter.advance()
    if probe.wait() != 0:
        lines = (probe.stderr.read() if probe.stderr else "").splitlines()
        late = [targets[line.split()[-1]].name for line in lines if line.startswith("timeout ")]
        raise LabError(
            f"sshd did not answer within {BOOT_TIMEOUT:.0f} s on: {', '.join(late)}"
            + _logs_hint(settings, late)
        )
    # sshd answering is not the end of boot: under the load of many hosts booting at once the
    # first login (PAM, logind, the user's systemd) can take a while, so retry until the deadline
    deadline = time.monotonic() + BOOT_TIMEOUT
    failed = [h.name for h in hosts]
    while failed and time.monotonic() < deadline:
        failed = [name for name, ok in ssh_check(settings, failed).items() if not ok]
        if failed:
            reporter.note(f"waiting for login on {counted(len(failed), 'host')}")
            time.sleep(1)
    if failed:
        raise LabError(f"ssh login failed on: {', '.join(failed)}{_logs_hint(settings, failed)}")


def _logs_hint(settings: LabSettings, names: list[str]) -> str:
    return "" if not names else f" (console: {Machine.of(settings, names[0]).log})"


def ssh_argv(settings: LabSettings, host: str, command: Iterable[str] = ()) -> list[str]:
    """ssh through the lab's config; `command` is handed to the remote shell as ssh does."""
    return ["ssh", "-F", str(settings.ssh_config), host, *command]


def ssh_check(settings: LabSettings, names: list[str], timeout: float = 20) -> dict[str, bool]:
    """name -> whether `ssh host true` succeeds (in parallel)."""

    def check(name: str) -> bool:
        try:
            result = subprocess.run(
                ssh_argv(settings, name, ["true"]),
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return False
        return result.returncode == 0

    with ThreadPoolExecutor(max_workers=16) as pool:
        return dict(zip(names, pool.map(check, names), strict=True))


def close_connections(settings: LabSettings, names: list[str]) -> None:
    """End the shared ssh connections (ControlMaster) to these hosts, and their sessions."""
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(
            pool.map(
                lambda name: subprocess.run(
                    ["ssh", "-F", str(settings.ssh_config), "-O", "exit", name],
                    capture_output=True,
                    check=False,
                ),
                names,
            )
        )


@dataclass(frozen=True)
class HostStatus:
    name: str
    kind: str
    site: int | None
    address: str
    running: bool
    ssh: bool


def load_state(settings: LabSettings) -> LabState:
    state = LabState.load(settings.state_file)
    if state is None:
        raise LabError(f"no lab named {settings.name!r} is up (tcd lab up starts one)")
    return state


def status(settings: LabSettings) -> list[HostStatus]:
    state = load_state(settings)
    running = {h.name: h.pid is not None and _is_running(settings, h) for h in state.hosts}
    ssh = ssh_check(settings, [h.name for h in state.hosts if running[h.name]], timeout=8)
    return [
        HostStatus(h.name, h.kind, h.site, h.address, running[h.name], ssh.get(h.name, False))
        for h in state.hosts
    ]


def _is_running(settings: LabSettings, host: LabHost) -> bool:
    return (
        host.pid is not None
        and alive(host.pid)
        and is_nspawn_of(host.pid, Machine.of(settings, host.name).root)
    )


def stop_host(settings: LabSettings, name: str) -> None:
    """Power the host off (its disk and network namespace stay): a site gone offline."""
    state = load_state(settings)
    host = state.host(name)
    if not _is_running(settings, host):
        raise LabError(f"{name} is not running")
    assert host.pid is not None
    if terminate([host.pid], SHUTDOWN_GRACE):
        raise LabError(f"{name} (pid {host.pid}) did not stop")
    host.pid = None
    state.save(settings.state_file)


def start_host(settings: LabSettings, name: str, reporter: Reporter) -> None:
    state = load_state(settings)
    host = state.host(name)
    if _is_running(settings, host):
        raise LabError(f"{name} is already running")
    host.pid = launch([Machine.of(settings, name)], [Path(c) for c in state.cgroups])[name]
    state.save(settings.state_file)
    reporter.step(f"booting {name}", total=1)
    _wait_for_ssh(settings, state, [host], reporter)


@dataclass
class DownReport:
    processes: int = 0
    mounts: int = 0
    namespaces: int = 0


def down(settings: LabSettings, reporter: Reporter) -> DownReport:
    """Remove everything the lab made: processes, mounts, namespaces (and with them links),
    cgroups, state. Works from any point of a half-finished `up`, and twice in a row."""
    require_root()
    report = DownReport()
    try:
        state = LabState.load(settings.state_file)
    except ValueError:
        state = None  # a state file cut short by a crash: find everything by name instead
    namespaces = lab_namespaces(settings)
    inodes = [i for i in (netns_inode(NETNS_DIR / n) for n in namespaces) if i is not None]
    markers = [f"{settings.state_dir}/"]
    reporter.step("stopping hosts")
    for attempt in range(3):
        pids = lab_processes(inodes, markers)
        if not pids:
            break
        report.processes += len(pids)
        containers = [p for p in pids if _is_nspawn(p)]
        terminate(containers, SHUTDOWN_GRACE if attempt == 0 else 2)
        terminate([p for p in pids if p not in containers], 2)
    reporter.step("unmounting")
    for target in _mounts_below(settings.state_dir):
        if subprocess.run(["umount", target], capture_output=True, check=False).returncode != 0:
            run(["umount", "--lazy", target])
        report.mounts += 1
    reporter.step("network")
    delete_namespaces(namespaces)
    report.namespaces = len(namespaces)
    busy = remove_trees(
        [Path(c) for c in state.cgroups] if state else lab_cgroup_roots(settings.name)
    )
    if busy:
        raise LabError(f"cgroups still in use, state kept: {', '.join(map(str, busy[:3]))}")
    _restore_inotify_limit(state)
    left = _mounts_below(settings.state_dir)
    if left:
        raise LabError(f"still mounted, state kept: {', '.join(left)}")
    shutil.rmtree(settings.state_dir, ignore_errors=True)
    shutil.rmtree(settings.run_dir, ignore_errors=True)
    return report


def _is_nspawn(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "systemd-nspawn"
    except OSError:
        return False


def _mounts_below(folder: Path) -> list[str]:
    """Mount points under `folder`, deepest first."""
    prefix = f"{folder.resolve() if folder.exists() else folder}/"
    targets = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        target = line.split()[4].encode().decode("unicode_escape")
        if target.startswith(prefix):
            targets.append(target)
    return sorted(set(targets), key=lambda t: t.count("/"), reverse=True)
