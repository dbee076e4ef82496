"""The lab: real hosts with systemd, their own roots and sshd, on a WAN inside 198.18.0.0/15.

These run as root against real containers (see the pilot_lab fixture in conftest.py).
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import netaddr
import pytest

from tcd.lab import lab as lab_ops
from tcd.lab.addressing import LAB_RANGE
from tcd.lab.cgroups import lab_cgroup_roots
from tcd.lab.network import lab_namespaces
from tcd.lab.processes import lab_processes
from tcd.loading import load_inventory
from tcd.planning import plan_addresses

from .conftest import INVENTORY, LabHandle, lab_settings

pytestmark = pytest.mark.lab
TCD = str(Path(sys.executable).with_name("tcd"))
PILOT_HOSTS = {"tcd-26380-pc1", "tcd-25217-gw1", "tcd-25217-pc1", "tcd-25195-pc1"}
HUBS = {"tcd-hub-province", "tcd-hub-central"}


def test_every_pilot_host_and_both_hubs_answer_with_their_own_name(pilot_lab: LabHandle):
    assert {h.name for h in pilot_lab.state.hosts} == PILOT_HOSTS | HUBS
    for host in pilot_lab.state.hosts:
        out = pilot_lab.ssh(host.name, "hostname; systemctl is-system-running || true").stdout
        hostname, system_state = out.split()
        assert hostname == host.name
        assert system_state in {"running", "degraded"}


def test_each_host_has_its_own_root(pilot_lab: LabHandle):
    marker = "/etc/tcd-lab-isolation-test"
    pilot_lab.ssh("tcd-26380-pc1", f"sudo touch {marker}")
    assert pilot_lab.ssh("tcd-26380-pc1", f"test -e {marker}", check=False).returncode == 0
    for host in pilot_lab.state.hosts:
        if host.name != "tcd-26380-pc1":
            assert pilot_lab.ssh(host.name, f"test -e {marker}", check=False).returncode == 1
    assert not Path(marker).exists()
    image = Path(json.loads(pilot_lab.settings.state_file.read_text())["image"])
    assert not (pilot_lab.settings.cache_dir / "images" / image / "rootfs" / marker[1:]).exists()


def test_hubs_answer_on_their_lab_underlay_addresses(pilot_lab: LabHandle):
    hubs = {h.name: h.address for h in pilot_lab.state.hosts if h.kind == "hub"}
    for pc in ("tcd-26380-pc1", "tcd-25195-pc1"):
        for address in hubs.values():
            pilot_lab.ssh(pc, f"ping -c 1 -W 2 {address}")


def test_lab_addresses_are_the_planned_ones_moved_into_198_18(pilot_lab: LabHandle):
    field = plan_addresses(load_inventory(INVENTORY))
    for host in pilot_lab.state.hosts:
        address = netaddr.IPAddress(host.address)
        assert address in LAB_RANGE
        if host.kind == "host":
            field_address = field.host(host.name).management_address
            # 10.210.x.y -> 198.18.x.y: the management pool keeps its offsets
            assert int(address) - int(netaddr.IPAddress("198.18.0.0")) == int(field_address) - int(
                netaddr.IPAddress("10.210.0.0")
            )


def test_nothing_in_the_lab_has_an_address_outside_198_18_0_0_15(pilot_lab: LabHandle):
    namespaces = lab_namespaces(pilot_lab.settings)
    offices = [h for h in pilot_lab.state.hosts if h.office_network]
    cameras = pilot_lab.state.cameras  # the pilot's two IP cameras, each on its room LAN
    # + the WAN, the controller, an office behind each hub, and a namespace per IP camera
    assert len(namespaces) == len(pilot_lab.state.hosts) + 2 + len(offices) + len(cameras) == 12
    for netns in namespaces:
        links = json.loads(
            subprocess.run(
                ["ip", "-n", netns, "-j", "address"], capture_output=True, text=True, check=True
            ).stdout
        )
        for link in links:
            for info in link.get("addr_info", []):
                if link["ifname"] == "lo":
                    continue
                assert netaddr.IPAddress(info["local"]) in LAB_RANGE, (netns, link["ifname"], info)
    # and the containers see the same: their network is their namespace's
    out = pilot_lab.ssh("tcd-25217-gw1", "ip -j address").stdout
    addresses = [
        i["local"] for link in json.loads(out) if link["ifname"] != "lo" for i in link["addr_info"]
    ]
    assert addresses and all(netaddr.IPAddress(a) in LAB_RANGE for a in addresses)


def test_lab_ssh_runs_one_command_and_returns_its_status(pilot_lab: LabHandle):
    ok = cli(pilot_lab.env(), "lab", "ssh", "tcd-25195-pc1", "--", "hostname")
    assert ok.returncode == 0 and ok.stdout.strip() == "tcd-25195-pc1"
    failing = cli(pilot_lab.env(), "lab", "ssh", "tcd-25195-pc1", "--", "exit 3")
    assert failing.returncode == 3
    # as ssh does: the words are joined with spaces into one line for the remote shell, which
    # parses it (a pipe included): here `echo a b | tr a x`
    piped = cli(pilot_lab.env(), "lab", "ssh", "tcd-25195-pc1", "--", "echo a b | tr a", "x")
    assert piped.returncode == 0 and piped.stdout == "x b\n", piped
    unknown = cli(pilot_lab.env(), "lab", "ssh", "tcd-99999-pc1", "--", "true")
    assert unknown.returncode == 1 and "no lab host 'tcd-99999-pc1'" in unknown.stderr


PLAYBOOK = """\
- hosts: pilot
  gather_facts: false
  tasks:
    - name: who runs the tasks
      ansible.builtin.command: id -u
      register: uid
      changed_when: false
    - ansible.builtin.assert:
        that: uid.stdout == "0"
"""


def test_ansible_runs_on_the_lab_from_the_export(
    pilot_lab: LabHandle, tmp_path: Path, short_dir: Path
):
    """The export is an inventory Ansible runs with as it is: the user, sudo, the lab's
    ssh_config; a play on a wave reaches its SSH hosts and no camera."""
    out = tmp_path / "lab.yml"
    exported = cli(
        pilot_lab.env(), "inventory", "export", "--lab", "--wave", "pilot", "-o", str(out)
    )
    assert exported.returncode == 0, exported.stderr
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        # its SSH sockets: a socket's path must stay under 108 characters, and a worker's
        # tmp_path (…/popen-gw0/test_…) with Ansible's cp/<hash>.<random> is longer
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(short_dir),
    }
    bin_dir = Path(sys.executable).parent
    ping = subprocess.run(
        [str(bin_dir / "ansible"), "-i", str(out), "pilot", "-m", "ping", "-o"],
        env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert ping.stdout.count("SUCCESS") == 4  # the pilot's four SSH hosts, no camera
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    play = subprocess.run(
        [str(bin_dir / "ansible-playbook"), "-i", str(out), str(tmp_path / "play.yml")],
        env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert play.returncode == 0, play.stdout + play.stderr
    assert "failed=0" in play.stdout and "ok=2" in play.stdout


def test_a_host_can_go_offline_and_come_back(pilot_lab: LabHandle):
    env = pilot_lab.env()
    stopped = cli(env, "lab", "stop", "tcd-25195-pc1")
    assert stopped.returncode == 0, stopped.stderr
    status = cli(env, "lab", "status")
    assert status.returncode == 1
    line = next(line for line in status.stdout.splitlines() if "tcd-25195-pc1" in line)
    assert "stopped" in line and "no answer" in line
    assert pilot_lab.ssh("tcd-25195-pc1", "true", check=False).returncode != 0
    started = cli(env, "lab", "start", "tcd-25195-pc1")
    assert started.returncode == 0, started.stderr
    assert pilot_lab.ssh("tcd-25195-pc1", "hostname").stdout.strip() == "tcd-25195-pc1"
    assert cli(env, "lab", "status").returncode == 0


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The real `tcd` command, as an operator runs it."""
    return subprocess.run([TCD, *args], env=env, capture_output=True, text=True, check=False)


def _leftovers(settings) -> dict[str, list]:
    mounts = [
        line.split()[4]
        for line in Path("/proc/self/mountinfo").read_text().splitlines()
        if line.split()[4].startswith(f"{settings.state_dir}/")
    ]
    cgroups = [str(p) for p in lab_cgroup_roots(settings.name) if p.exists()]
    return {
        "namespaces": lab_namespaces(settings),
        "mounts": mounts,
        "processes": lab_processes([], [f"{settings.state_dir}/"]),
        "cgroups": cgroups,
        # the state folder, and what of the lab lives in /run (cameras' memory, vault password)
        "state": [str(p) for p in (settings.state_dir, settings.run_dir) if p.exists()],
    }


def _root_links() -> set[str]:
    out = subprocess.run(["ip", "-j", "link"], capture_output=True, text=True, check=True).stdout
    return {link["ifname"] for link in json.loads(out)}


def test_down_leaves_nothing_and_can_run_twice():
    settings = lab_settings("tcddown")
    lab_ops.down(settings, lab_ops.QuietReporter())
    links_before = _root_links()
    inventory = load_inventory(INVENTORY)
    try:
        lab_ops.up(settings, inventory, inventory.select(codes=[25217]), lab_ops.QuietReporter())
        assert all(_leftovers(settings)[kind] for kind in ("namespaces", "mounts", "processes"))
    finally:
        lab_ops.down(settings, lab_ops.QuietReporter())
    assert _leftovers(settings) == {
        k: [] for k in ("namespaces", "mounts", "processes", "cgroups", "state")
    }
    assert _root_links() == links_before
    report = lab_ops.down(settings, lab_ops.QuietReporter())
    assert (report.processes, report.mounts, report.namespaces) == (0, 0, 0)


def test_down_after_up_was_killed_halfway():
    settings = lab_settings("tcdkill")
    lab_ops.down(settings, lab_ops.QuietReporter())
    env = {**os.environ, "TCD_LAB_NAME": settings.name, "TCD_LAB_STATE": str(settings.state_dir)}
    up = subprocess.Popen(
        [TCD, "lab", "up", "--inventory", str(INVENTORY), "--wave", "pilot"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    report = None
    try:
        try:
            # kill it once containers are booting: namespaces, mounts and processes all exist
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                left = _leftovers(settings)
                if left["mounts"] and any("systemd-nspawn" in _cmd(p) for p in left["processes"]):
                    break
                time.sleep(0.05)
            else:
                pytest.fail("`tcd lab up` never reached the boot step")
        finally:
            os.killpg(up.pid, signal.SIGKILL)
            up.wait()
        assert _leftovers(settings)["namespaces"]
        report = cli(env, "lab", "down")
    finally:
        if report is None:  # the test failed before its own `down`: clean up all the same
            lab_ops.down(settings, lab_ops.QuietReporter())
    assert report.returncode == 0, report.stderr
    assert _leftovers(settings) == {
        k: [] for k in ("namespaces", "mounts", "processes", "cgroups", "state")
    }
    assert cli(env, "lab", "down").returncode == 0


def _cmd(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return ""


def test_up_refuses_a_second_lab_of_the_same_name(pilot_lab: LabHandle):
    inventory = load_inventory(INVENTORY)
    with pytest.raises(lab_ops.LabError, match="already up"):
        lab_ops.up(
            pilot_lab.settings, inventory, inventory.select(codes=[25195]), lab_ops.QuietReporter()
        )
