"""`tcd rollout` on a fresh pilot lab: real SSH, real WireGuard packets, real firewalls."""

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tcd.model.province import Office

from .conftest import (
    INVENTORY,
    PYINFRA_ARGV,
    REPO,
    UNPACKED,
    LabHandle,
    RolledOut,
    files_under,
    hub_forwarding_everything,
    hub_peers,
    lab_plan,
    pyinfra_changed,
    read_small,
    replace_in,
    spokes_open_to_each_other,
)

pytestmark = pytest.mark.lab
RECEPTION_PCS = ["tcd-26380-pc1", "tcd-25217-pc1", "tcd-25195-pc1"]
GATEWAYS = ["tcd-26380-pc1", "tcd-25217-gw1", "tcd-25195-pc1"]
HUBS = ["tcd-hub-province", "tcd-hub-central"]


def test_first_rollout_deploys_every_site_and_the_second_changes_nothing(rolled_out: RolledOut):
    first, second = rolled_out.first, rolled_out.second
    assert [s["site"] for s in first["sites"]] == [26380, 25217, 25195]
    assert all(s["status"] == "changed" and not s["errors"] for s in first["sites"] + first["hubs"])
    assert second["operations_changed"] == 0, json.dumps(second, indent=1)
    assert all(s["status"] == "unchanged" for s in second["sites"] + second["hubs"])


def test_the_plain_pyinfra_cli_deploys_the_sites_and_changes_nothing(rolled_out: RolledOut):
    """deploys/site.py as its docstring runs it: every role an honest pyinfra deploy. The CLI
    orders operations by their calls' line numbers across all hosts, which `tcd rollout` does
    not use: two roles' operations on the same line once made a cycle of it (roles/site.py)."""
    argv = [*PYINFRA_ARGV, "--limit", "sites", "deploys/site.py"]
    env = rolled_out.lab.env() | {"TCD_LAB": "1", "TCD_WAVE": "pilot"}
    done = subprocess.run(
        argv, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    rolled_out.outputs += [done.stdout, done.stderr]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert pyinfra_changed(done.stdout + done.stderr) == "-", done.stdout[-3000:]


def test_a_rollout_connects_once_to_each_host(rolled_out: RolledOut):
    accepted = rolled_out.second_connections
    # hubs: phases 1 and 3 on one connection; site hosts: phases 2 and 4 on one, plus the IP
    # camera's port forward (an ssh process of its own) on the gateways that have one
    with_camera = {"tcd-26380-pc1", "tcd-25217-gw1"}
    wanted = {h: 1 + (h in with_camera) for h in [*HUBS, *RECEPTION_PCS, "tcd-25217-gw1"]}
    assert accepted == wanted


def test_every_reception_pc_reaches_both_offices_through_the_tunnels(rolled_out: RolledOut):
    hubs = lab_plan(rolled_out.lab).hubs.values()
    for pc in RECEPTION_PCS:
        for hub in hubs:
            done = rolled_out.lab.ssh(pc, f"ping -c 2 -W 3 {hub.overlay_address}", check=False)
            assert done.returncode == 0, (pc, hub.name, done.stdout, done.stderr)
    # and through a tunnel, not around it: the route to an office leaves by a wg interface
    route = rolled_out.lab.ssh("tcd-26380-pc1", f"ip route get {next(iter(hubs)).overlay_address}")
    assert "dev wg-" in route.stdout
    # the tunnels add no address outside the lab's range (not even IPv6 link-local)
    for gateway in GATEWAYS:
        assert rolled_out.lab.ssh(gateway, "ip -6 -brief address show dev wg-province").stdout == ""


def test_each_hub_lists_the_three_pilot_peers_with_recent_handshakes(rolled_out: RolledOut):
    plan = lab_plan(rolled_out.lab)
    for hub, peers in hub_peers(rolled_out.lab, plan).items():
        office = next(h.office for h in plan.hubs.values() if h.name == hub)
        expected = {f"{plan.sites[code].overlay[office]}/32" for code in (26380, 25217, 25195)}
        assert set(peers) == expected
        for handshake in peers.values():
            assert time.time() - handshake < 180


def test_no_private_key_exists_outside_its_own_host(rolled_out: RolledOut):
    lab = rolled_out.lab
    keys: dict[str, list[str]] = {}
    for host in GATEWAYS + HUBS:
        listing = lab.ssh(
            host, "sudo sh -c 'for k in /etc/wireguard/*.key; do cat $k; done'"
        ).stdout
        keys[host] = listing.split()
        assert keys[host], host
        modes = lab.ssh(host, "sudo sh -c 'stat -c \"%a %U\" /etc/wireguard/*.key'").stdout.split(
            "\n"
        )
        assert all(line == "600 root" for line in modes if line), (host, modes)
    texts = "\n".join(rolled_out.outputs)
    journal = subprocess.run(
        ["journalctl", "--no-pager", "-n", "5000"], capture_output=True, text=True, check=False
    )
    for host_keys in keys.values():
        for key in host_keys:
            assert key not in texts and key not in journal.stdout
    # every file is read once and searched for every key but its own host's (the host's own
    # folder holds its keys: that is where they belong)
    owners = {lab.settings.host_dir(host): host for host in keys}
    for folder in (REPO, lab.settings.state_dir, Path("/tmp")):
        # (the repository once, if it is under /tmp)
        skip = [*UNPACKED, REPO / "state"] if folder == REPO else [REPO]
        for path in files_under(folder, skip):
            owner = next((h for d, h in owners.items() if path.is_relative_to(d)), None)
            content = read_small(path)
            for host, host_keys in keys.items():
                if host != owner:
                    assert not any(k.encode() in content for k in host_keys), (
                        f"{host}'s private key found in {path}"
                    )


def test_a_site_cannot_reach_another_site_through_a_hub(rolled_out: RolledOut):
    """26380 sends to 25195's tunnel address via the provincial hub; the hub must drop it.
    Both spokes are first opened to each other (their own AllowedIPs would stop the packets
    before the hub could), so only the hub's policy is tested; with the hub's forward chain
    opened the same probe passes: the test can tell."""
    lab, plan = rolled_out.lab, lab_plan(rolled_out.lab)
    other = plan.sites[25195].overlay[Office.PROVINCE]
    with spokes_open_to_each_other(lab, plan, 26380, 25195):
        blocked = lab.ssh("tcd-26380-pc1", f"ping -c 2 -W 2 {other}", check=False)
        assert blocked.returncode != 0
        with hub_forwarding_everything(lab, "tcd-hub-province"):
            opened = lab.ssh("tcd-26380-pc1", f"ping -c 2 -W 2 {other}", check=False)
            assert opened.returncode == 0, (
                "the probe cannot tell: even an open hub does not forward"
            )


def test_dry_run_lists_a_change_and_leaves_the_hosts_untouched(
    rolled_out: RolledOut, tmp_path: Path
):
    changed = tmp_path / "inventory"
    shutil.copytree(INVENTORY, changed)
    replace_in(changed / "province.yml", 'end: "17:30"', 'end: "18:00"')
    timer = "/etc/systemd/system/tcd-display-off.timer"
    before = {pc: rolled_out.lab.ssh(pc, f"sha256sum {timer}").stdout for pc in RECEPTION_PCS}
    dry = rolled_out.rollout("pilot", "--dry", "--inventory", str(changed))
    assert dry.returncode == 0, dry.stderr
    result = json.loads(dry.stdout)
    for site in result["sites"]:
        assert site["status"] == "would change"
        changes = [c for host in site["hosts"].values() for c in host["changes"]]
        assert any(timer in change for change in changes), changes
    assert all(h["status"] == "unchanged" for h in result["hubs"])
    assert {
        pc: rolled_out.lab.ssh(pc, f"sha256sum {timer}").stdout for pc in RECEPTION_PCS
    } == before


def _new_ssh(lab: LabHandle, host: str, *options: str) -> subprocess.CompletedProcess[str]:
    """A new SSH connection (not the shared one), so sshd decides again."""
    return subprocess.run(
        [
            "ssh",
            "-F",
            str(lab.settings.ssh_config),
            "-o",
            "ControlPath=none",
            *options,
            host,
            "true",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def test_password_and_root_logins_are_refused(rolled_out: RolledOut):
    lab = rolled_out.lab
    for host in [*GATEWAYS, "tcd-25217-pc1", *HUBS]:
        password = _new_ssh(
            lab,
            host,
            *("-o", "PubkeyAuthentication=no"),
            *("-o", "PreferredAuthentications=password,keyboard-interactive"),
        )
        assert password.returncode == 255, password.stderr
        assert "Permission denied (publickey)" in password.stderr, password.stderr
        # give root the lab's key: the refusal must then come from sshd's policy alone
        lab.ssh(
            host, "sudo install -d -m 700 /root/.ssh && sudo cp ~/.ssh/authorized_keys /root/.ssh/"
        )
        try:
            root = _new_ssh(lab, host, "-l", "root")
            assert root.returncode == 255 and "Permission denied" in root.stderr, root.stderr
        finally:
            lab.ssh(host, "sudo rm -rf /root/.ssh")


def test_a_port_outside_the_policy_is_unreachable(rolled_out: RolledOut):
    lab = rolled_out.lab
    host = next(h for h in lab.state.hosts if h.name == "tcd-26380-pc1")
    lab.ssh(host.name, "sudo systemd-run --unit=tcd-test-listener nc -lk -p 8080")
    try:
        assert lab.ssh(host.name, "nc -z -w 2 127.0.0.1 8080", check=False).returncode == 0
        probe = ["ip", "netns", "exec", lab.settings.controller_netns, "nc", "-z", "-w", "3"]
        assert subprocess.run([*probe, host.address, "8080"], check=False).returncode != 0
        assert subprocess.run([*probe, host.address, "22"], check=False).returncode == 0
    finally:
        lab.ssh(host.name, "sudo systemctl stop tcd-test-listener", check=False)
