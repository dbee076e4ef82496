"""One rollout repairs the live state, not only files: faults people and software really make
on a rolled-out pilot host, each failing its control in `tcd verify`, all repaired by one
`tcd rollout`, after which a second rollout changes nothing. A fault of a `repair: manual`
control is reported by the rollout as needing attention, and left for a person.

The faults touch different hosts or controls, so they are injected together: one verify, one
rollout, one verify for the whole table; each expected failure is asserted on its own host and
control. Shares the session's rolled-out lab and leaves it repaired."""

import json
import shlex
import subprocess
import time
from pathlib import Path

import pytest

from roles.base import defaults as base
from roles.vpn_hub.defaults import INTERFACE as HUB_INTERFACE
from roles.vpn_spoke.defaults import INTERFACES
from tcd.model.province import Office

from .conftest import RolledOut
from .test_verify import failing, verify

pytestmark = pytest.mark.lab
ADMIN_KEYS = "/home/{user}/.ssh/authorized_keys"
SPOKE = INTERFACES[Office.PROVINCE]
STRAY_SUID = "/usr/local/bin/tcd-test-suid"


def remove_hub_peer_command(lab: RolledOut, site_gateway: str) -> str:
    """`wg set … peer … remove` on the provincial hub for one site's key, as a runtime edit."""
    key = lab.lab.ssh(site_gateway, f"sudo wg show {SPOKE} public-key").stdout.strip()
    return f"wg set {HUB_INTERFACE} peer {key} remove"


def foreign_key(tmp_path: Path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "intruder", "-f", tmp_path / "k"],
        check=True,
    )
    return (tmp_path / "k.pub").read_text().strip()


@pytest.fixture
def stray_suid_removed(rolled_out: RolledOut):
    """Whatever happens, the lab is left without the stray SUID file."""
    yield
    rolled_out.lab.ssh("tcd-25217-pc1", f"sudo rm -f {STRAY_SUID}", check=False)


@pytest.mark.usefixtures("stray_suid_removed")
def test_one_rollout_repairs_every_fault_and_a_second_changes_nothing(
    rolled_out: RolledOut, tmp_path: Path
) -> None:
    admin = rolled_out.lab.state.ssh_user
    faults = {
        # live state that differs from an unchanged file
        ("tcd-hub-province", "TCD-HUB-001"): remove_hub_peer_command(rolled_out, "tcd-25195-pc1"),
        ("tcd-26380-pc1", "TCD-FW-001"): "nft insert rule inet tcd input accept",
        ("tcd-hub-central", "TCD-UPD-001"): "systemctl disable --now apt-daily-upgrade.timer",
        # attributes of a file the role created once (the key itself is never read)
        (
            "tcd-25217-gw1",
            "TCD-VPN-005",
        ): f"chmod 644 /etc/wireguard/{INTERFACES[Office.CENTRAL]}.key",
        # verify reads what the system uses, not a daemon's stale view (timedated)
        ("tcd-hub-central", "TCD-TIME-002"): "ln -sf /usr/share/zoneinfo/UTC /etc/localtime",
        # the effect, not only the setting: journald configured persistent keeps nothing (a
        # removed folder journald makes again itself: a file in its place it cannot)
        ("tcd-25195-pc1", "TCD-LOG-001"): "rm -rf /var/log/journal && touch /var/log/journal",
        # files the role never wrote that override its own
        ("tcd-25217-pc1", "TCD-LOG-001"): "printf '[Journal]\\nStorage=volatile\\n' "
        "> /etc/systemd/journald.conf.d/zz-local.conf",
        ("tcd-25195-pc1", "TCD-ACC-003"): "printf '# added by hand\\n' > /etc/sudoers.d/local "
        "&& chmod 440 /etc/sudoers.d/local",
        ("tcd-25217-gw1", "TCD-ACC-002"): f"echo {shlex.quote(foreign_key(tmp_path))} "
        f">> {ADMIN_KEYS.format(user=admin)}",
    }
    # repair: manual — reported by the rollout, left in place for a person
    manual = {
        ("tcd-25217-pc1", "TCD-SUID-001"): f"cp /usr/bin/id {STRAY_SUID} && chmod 4755 {STRAY_SUID}"
    }
    # what else those faults rightly fail: the site whose hub peer is gone cannot reach that
    # office (its last handshake may still be recent: TCD-VPN-001 only may fail); an accept-all
    # input rule also accepts SSH from anywhere
    consequences = {("tcd-25195-pc1", "TCD-VPN-003"), ("tcd-26380-pc1", "TCD-FW-002")}
    maybe = {("tcd-25195-pc1", "TCD-VPN-001")}
    timings: dict[str, float] = {}
    # a verify right before: the faults land while timedated still holds the zone it read
    verify(rolled_out, tmp_path)
    started = time.monotonic()
    try:
        for (host, _), command in (faults | manual).items():
            rolled_out.lab.ssh(host, f"sudo sh -c {shlex.quote(command)}")
        broken, result = verify(rolled_out, tmp_path)
        timings["verify (faults)"] = time.monotonic() - started
        assert broken.returncode == 1
        found = failing(result)
        for expected in set(faults) | set(manual) | consequences:
            assert expected in found, f"{expected} did not fail: {sorted(found)}"
        assert found <= set(faults) | set(manual) | consequences | maybe, sorted(found)
    finally:
        mark = time.monotonic()
        repaired = rolled_out.rollout("pilot")
        timings["rollout (repair)"] = time.monotonic() - mark
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    changes = json.loads(repaired.stdout)
    hosts = {n: h for s in changes["sites"] + changes["hubs"] for n, h in s["hosts"].items()}
    # the manual one: reported, its site not "changed" nor "unchanged", the file left alone
    (suid,) = hosts["tcd-25217-pc1"]["attention"]
    assert suid.startswith("TCD-SUID-001") and STRAY_SUID in suid
    site = next(s for s in changes["sites"] if s["site"] == 25217)
    assert site["status"] == "needs attention"
    still = rolled_out.lab.ssh("tcd-25217-pc1", f"stat -c %a {STRAY_SUID}").stdout.strip()
    assert still == "4755"
    rolled_out.lab.ssh("tcd-25217-pc1", f"sudo rm {STRAY_SUID}")  # the person's decision
    # the repairs the roles made, as the summary names them
    readded = f"{HUB_INTERFACE}: peer tcd-25195-pc1 (site 25195) re-added"
    assert any(readded in c for c in hosts["tcd-hub-province"]["changes"])
    assert any("differs from its file" in c for c in hosts["tcd-26380-pc1"]["changes"])
    assert "/etc/sudoers.d/local" in " ".join(hosts["tcd-25195-pc1"]["changes"])

    mark = time.monotonic()
    done, result = verify(rolled_out, tmp_path)
    timings["verify (repaired)"] = time.monotonic() - mark
    assert done.returncode == 0, failing(result)
    mark = time.monotonic()
    again = rolled_out.rollout("pilot")
    timings["rollout (no change)"] = time.monotonic() - mark
    assert json.loads(again.stdout)["operations_changed"] == 0, again.stdout
    assert all(s["status"] == "unchanged" for s in json.loads(again.stdout)["sites"])
    print("converge timings:", json.dumps({k: round(v, 1) for k, v in timings.items()}))


def test_the_running_ruleset_is_recorded_where_the_role_compares_it(rolled_out: RolledOut):
    """The digest the role compares the running ruleset with is the one it loaded."""
    lab = rolled_out.lab
    recorded = lab.ssh("tcd-25217-pc1", f"sudo cat {base.NFTABLES_LOADED}").stdout.strip()
    running = lab.ssh("tcd-25217-pc1", "sudo sh -c 'nft list ruleset | sha256sum'").stdout
    assert recorded and recorded == running.strip()
