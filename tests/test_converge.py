"""One rollout repairs the live state, not only files: faults people and software really make
on a rolled-out pilot host (and an IP camera reset to its factory settings), each failing its
control in `tcd verify`, all repaired by one `tcd rollout`, after which a second rollout changes
nothing. A fault of a `repair: manual` control is reported by the rollout as needing attention,
and left for a person.

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
from roles.kiosk import defaults as kiosk
from roles.kiosk.defaults import KIOSK_USER
from roles.monitoring_agent import defaults as agent
from roles.monitoring_hub import defaults as hub
from roles.usb_camera.defaults import GROUP as CAMERA_GROUP
from roles.usb_camera.defaults import UDEV_RULES
from roles.vpn_hub.defaults import INTERFACE as HUB_INTERFACE
from roles.vpn_spoke.defaults import INTERFACES
from tcd.loading import load_inventory
from tcd.model.province import Office

from .conftest import INVENTORY, RolledOut
from .test_cameras import CAMERA_CONTROLS, camera_hosts
from .test_verify import failing, verify

pytestmark = pytest.mark.lab
ADMIN_KEYS = "/home/{user}/.ssh/authorized_keys"
SPOKE = INTERFACES[Office.PROVINCE]
CENTRAL = INTERFACES[Office.CENTRAL]
KIOSK_UNIT = "/etc/systemd/system/tcd-kiosk.service"
DISPLAY_OFF = "/etc/systemd/system/tcd-display-off.timer"
JOURNALD_OURS = "/etc/systemd/journald.conf.d/10-tcd.conf"
STRAY_SUID = "/usr/local/bin/tcd-test-suid"
STRAY_PORT = 8765
# a listener nobody declared (the firewall drops what comes to it): netcat, in the background
STRAY_LISTENER = f"nc -lk {STRAY_PORT} >/dev/null 2>&1 </dev/null"
READDED = f"{HUB_INTERFACE}: peer tcd-25195-pc1 (site 25195) re-added"
RELOADED = "differs from its file"
# an IP camera reset to its factory settings (as a camera replaced on site) fails every camera
# control; the other camera is left alone by the repair
RESET_CAMERA, OTHER_CAMERA = "tcd-26380-cam1", "tcd-25217-cam1"
CAMERA_FAULTS = {(RESET_CAMERA, control) for control in CAMERA_CONTROLS}


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


def host_results(rollout: dict) -> dict[str, dict]:
    """host -> its result (changes, errors, attention) from a rollout's JSON."""
    return {n: h for s in rollout["sites"] + rollout["hubs"] for n, h in s["hosts"].items()}


def clean_up(lab: RolledOut, apt: bool = True) -> None:
    """What a person does about the findings a rollout leaves to them (the apt drop-in, which
    loses to the role's settings, only if `apt`)."""
    lab.lab.ssh("tcd-25217-pc1", f"sudo rm -f {STRAY_SUID}", check=False)
    stop = "sudo sh -c 'kill $(cat /run/tcd-test-listener.pid) && rm /run/tcd-test-listener.pid'"
    lab.lab.ssh("tcd-26380-pc1", stop, check=False)
    if apt:
        lab.lab.ssh("tcd-25217-gw1", f"sudo rm -f {APT_OVERRIDE}", check=False)


@pytest.fixture
def left_clean(rolled_out: RolledOut):
    """Whatever happens, the lab is left without what the test leaves for a person."""
    yield
    clean_up(rolled_out)


def fault_table(lab: RolledOut, tmp_path: Path) -> dict[tuple[str, str], str]:
    """(host, control) -> a shell command (run as root) that makes that control fail there.

    At least one per `repair: rollout` control of the SSH hosts (the IP cameras' are the
    factory reset, CAMERA_FAULTS), spread so no two faults touch the same check."""
    admin = lab.lab.state.ssh_user
    sshd_dropin = "/etc/ssh/sshd_config.d/00-local.conf"
    return {
        # --- live state that differs from an unchanged file
        ("tcd-hub-province", "TCD-HUB-001"): remove_hub_peer_command(lab, "tcd-25195-pc1"),
        ("tcd-26380-pc1", "TCD-FW-001"): "nft insert rule inet tcd input accept",
        ("tcd-25217-gw1", "TCD-FW-002"): "nft insert rule inet tcd input tcp dport 22 accept",
        ("tcd-hub-central", "TCD-HUB-002"): "nft insert rule inet tcd forward accept",
        ("tcd-25217-gw1", "TCD-VPN-001"): f"ip link set {SPOKE} down",
        ("tcd-26380-pc1", "TCD-VPN-002"): f"systemctl stop wg-quick@{CENTRAL}",
        # masked: `systemctl enable` alone would refuse it
        ("tcd-25217-pc1", "TCD-TIME-001"): "systemctl mask --now chrony",
        # (25217's PC is not its site's gateway: it must not forward)
        ("tcd-25217-pc1", "TCD-NET-001"): "sysctl -q -w net.ipv4.ip_forward=1",
        # a unit's symlink removed by hand: `systemctl show` (PID 1's cache) still says enabled
        ("tcd-hub-central", "TCD-UPD-001"): (
            "rm /etc/systemd/system/timers.target.wants/apt-daily-upgrade.timer"
        ),
        ("tcd-26380-pc1", "TCD-NET-002"): "sysctl -q -w net.ipv4.conf.all.accept_redirects=1",
        # (the file: a lab container's running kernel values are the machine's, not judged)
        ("tcd-hub-province", "TCD-KRN-001"): "sed -i 's/^kernel.sysrq = 0$/kernel.sysrq = 1/' "
        f"{base.SYSCTL_CONF}",
        # --- what a login gets
        ("tcd-25217-gw1", "TCD-CORE-001"): f"rm {base.CORE_LIMITS} {base.COREDUMP_CONF}",
        ("tcd-25217-pc1", "TCD-UMASK-001"): f"sed -i /^umask/d {base.LOGIN_PROFILE} "
        f"&& chmod 755 /home/{admin}",
        ("tcd-26380-pc1", "TCD-SHELL-001"): f"sed -i /TMOUT/d {base.LOGIN_PROFILE}",
        ("tcd-hub-central", "TCD-PASS-001"): "sed -i 's/^PASS_MAX_DAYS.*/PASS_MAX_DAYS 99999/' "
        f"{base.LOGIN_DEFS}",
        # --- accounts and devices
        ("tcd-hub-province", "TCD-ACC-001"): "useradd -o -u 0 -M -s /usr/sbin/nologin toor",
        ("tcd-25217-gw1", "TCD-ACC-002"): f"echo {shlex.quote(foreign_key(tmp_path))} "
        f">> {ADMIN_KEYS.format(user=admin)}",
        ("tcd-25195-pc1", "TCD-KIOSK-001"): f"echo '{KIOSK_USER}:Kiosk-2026' | chpasswd",
        ("tcd-25195-pc1", "TCD-USBCAM-002"): f"gpasswd -d {KIOSK_USER} {CAMERA_GROUP}",
        ("tcd-25195-pc1", "TCD-USBCAM-001"): f"rm {UDEV_RULES}",
        ("tcd-25195-pc1", "TCD-USBCAM-003"): "dpkg -r v4l-utils",
        ("tcd-26380-pc1", "TCD-USB-001"): f"rm {base.NO_STORAGE_CONF}",
        # a rules file of someone else's, loaded after the role's: it could empty them (-D); and
        # the container condition gone, auditd started: it fails there (the host degraded)
        ("tcd-hub-province", "TCD-AUDIT-001"): f"echo -D > {base.AUDIT_RULES_DIR}/99-local.rules"
        f" && rm {base.AUDITD_CONTAINER_DROPIN} && systemctl daemon-reload"
        " && (systemctl start auditd || true)",
        # --- attributes of files the roles created once (the keys themselves are never read)
        ("tcd-25217-gw1", "TCD-VPN-005"): f"chmod 644 /etc/wireguard/{CENTRAL}.key",
        ("tcd-hub-province", "TCD-HUB-003"): f"chmod 640 /etc/wireguard/{HUB_INTERFACE}.key",
        # --- a file the role wrote, edited by hand
        ("tcd-hub-central", "TCD-LOG-002"): "sed -i 's/^MaxRetentionSec=.*/MaxRetentionSec=1week/'"
        f" {JOURNALD_OURS}",
        # --- verify reads what the system uses, not a daemon's stale view (timedated)
        ("tcd-hub-central", "TCD-TIME-002"): "ln -sf /usr/share/zoneinfo/UTC /etc/localtime",
        # --- the effect, not only the setting: journald configured persistent keeps nothing (a
        # removed folder journald makes again itself: a file in its place it cannot)
        ("tcd-25195-pc1", "TCD-LOG-001"): "rm -rf /var/log/journal && touch /var/log/journal",
        # --- files the roles never wrote that override theirs, in each folder they own
        ("tcd-25217-pc1", "TCD-LOG-001"): "printf '[Journal]\\nStorage=volatile\\n' "
        "> /etc/systemd/journald.conf.d/zz-local.conf",
        ("tcd-25195-pc1", "TCD-ACC-003"): "printf '# added by hand\\n' > /etc/sudoers.d/local "
        "&& chmod 440 /etc/sudoers.d/local",
        ("tcd-25195-pc1", "TCD-SSH-001"): f"echo 'PasswordAuthentication yes' > {sshd_dropin} "
        "&& systemctl reload ssh",
        ("tcd-26380-pc1", "TCD-SSH-002"): f"echo 'PermitRootLogin yes' > {sshd_dropin}",
        ("tcd-25217-pc1", "TCD-SSH-005"): f"echo 'X11Forwarding yes' > {sshd_dropin}",
        # (25217's gateway: no other fault there writes sshd's drop-ins)
        ("tcd-25217-gw1", "TCD-SSH-006"): f"echo 'Compression yes' > {sshd_dropin}",
        ("tcd-hub-central", "TCD-BANNER-001"): "echo 'Debian GNU/Linux 12' > /etc/issue.net",
        ("tcd-hub-province", "TCD-SSH-003"): 'echo "AllowGroups $(sshd -T | sed -n '
        f"'s/^allowgroups //p') users\" > {sshd_dropin}",
        # (the ciphers pyinfra's SSH library speaks stay in, or no rollout could repair it)
        ("tcd-hub-central", "TCD-SSH-004"): "echo 'Ciphers aes128-cbc,"
        f"{','.join(base.SSH_CIPHERS)}' > {sshd_dropin} && systemctl reload ssh",
        # (not reloaded yet: what systemd runs is still ours, the next boot would not be)
        ("tcd-26380-pc1", "TCD-KIOSK-002"): f"mkdir -p {KIOSK_UNIT}.d && printf '[Service]\\n"
        f"ExecStart=\\nExecStart=/usr/bin/cage -- chromium https://example.invalid/\\n' "
        f"> {KIOSK_UNIT}.d/override.conf",
        ("tcd-25217-pc1", "TCD-KIOSK-003"): "printf '{\"VideoCaptureAllowedUrls\": []}' > "
        f"{kiosk.CHROMIUM_POLICIES}/zz-local.json",
        ("tcd-25195-pc1", "TCD-KIOSK-004"): f"mkdir -p {DISPLAY_OFF}.d && printf '[Timer]\\n"
        f"OnCalendar=\\nOnCalendar=*-*-* 03:00:00\\n' > {DISPLAY_OFF}.d/override.conf "
        "&& systemctl daemon-reload",
        # --- the monitoring: an exporter opened to every address (its file edited by hand and
        # the exporter restarted), a port opened to anyone at runtime, the handshakes no longer
        # written, a daemon of the hub's stopped
        ("tcd-25217-gw1", "TCD-MON-001"): "sed -i -E 's/(--web.listen-address=[^ ]* )+"
        f"/--web.listen-address=0.0.0.0:{agent.PORT} /' {agent.ARGS_FILE} "
        f"&& systemctl restart {agent.SERVICE}",
        ("tcd-25195-pc1", "TCD-MON-002"): f"nft insert rule inet tcd input tcp dport {agent.PORT}"
        " accept",
        ("tcd-25195-pc1", "TCD-MON-003"): f"systemctl stop {agent.WG_METRICS}.timer && rm "
        f"{agent.TEXTFILE_DIR}/tcd_wireguard.prom",
        ("tcd-hub-province", "TCD-MON-004"): f"systemctl stop {hub.ALERTMANAGER}",
    }


# what else those faults rightly fail: a site whose hub peer is gone, or whose tunnel is down,
# cannot reach that office (a hub peer just removed may still show a recent handshake: VPN-001
# may pass), and a stopped tunnel shows no key running; an accept-all input rule also accepts
# SSH from anywhere; a foreign browser policy may change what the kiosk opens as well as its
# devices; the kiosk out of the camera's group is out of a device group
CONSEQUENCES = {
    ("tcd-25195-pc1", "TCD-VPN-003"),
    ("tcd-25217-gw1", "TCD-VPN-003"),
    ("tcd-26380-pc1", "TCD-VPN-004"),
    ("tcd-26380-pc1", "TCD-VPN-005"),
    ("tcd-26380-pc1", "TCD-FW-002"),
    ("tcd-25217-pc1", "TCD-KIOSK-002"),
    ("tcd-25195-pc1", "TCD-KIOSK-003"),
    ("tcd-26380-pc1", "TCD-MON-002"),  # the accept-all rule lets anyone scrape
}
# a tunnel stopped or down: its handshake metric goes at the timer's next run (within 15 s),
# the exporter's socket on its address may go with the address; a masked chrony may drop out of
# the units the exporter lists
MAYBE = {
    ("tcd-25195-pc1", "TCD-VPN-001"),
    ("tcd-26380-pc1", "TCD-MON-001"),
    ("tcd-26380-pc1", "TCD-MON-003"),
    ("tcd-25217-gw1", "TCD-MON-003"),
    ("tcd-25217-pc1", "TCD-MON-003"),
}
# repair: manual — reported by the rollout, left in place for a person
MANUAL = {
    ("tcd-25217-pc1", "TCD-SUID-001"): f"cp /usr/bin/id {STRAY_SUID} && chmod 4755 {STRAY_SUID}",
    ("tcd-26380-pc1", "TCD-FW-003"): f"{STRAY_LISTENER} & echo $! > /run/tcd-test-listener.pid",
}
# not a failure: the role's apt settings win over a later drop-in; the rollout reports the file
APT_OVERRIDE = f"{base.APT_DROPINS}/99local"
REPORTED = {
    ("tcd-25217-gw1", "TCD-UPD-001"): "echo 'APT::Periodic::Unattended-Upgrade \"0\";' "
    f"> {APT_OVERRIDE}"
}


def test_every_control_a_rollout_repairs_has_a_fault(rolled_out: RolledOut, tmp_path: Path):
    inventory = load_inventory(INVENTORY)
    repaired = {c.id for c in inventory.baseline.controls if c.repair == "rollout"}
    manual = {c.id for c in inventory.baseline.controls if c.repair == "manual"}
    # a consequence is a fault's too: a tunnel down is an office unreachable
    faults = {control for _, control in [*fault_table(rolled_out, tmp_path), *CONSEQUENCES]}
    faults |= {control for _, control in CAMERA_FAULTS}
    assert repaired <= faults, sorted(repaired - faults)
    assert manual - {"TCD-CAM-002"} <= {control for _, control in MANUAL}


def dry_run_lists_live_repairs(lab: RolledOut) -> float:
    """A dry run lists the live-state repairs too, and makes none; returns its time."""
    mark = time.monotonic()
    dry = lab.rollout("pilot", "--dry")
    took = time.monotonic() - mark
    assert dry.returncode == 0, dry.stdout + dry.stderr
    planned = host_results(json.loads(dry.stdout))
    assert any(READDED in c for c in planned["tcd-hub-province"]["changes"]), planned
    assert any(RELOADED in c for c in planned["tcd-26380-pc1"]["changes"])
    peers = lab.lab.ssh("tcd-hub-province", f"sudo wg show {HUB_INTERFACE} peers").stdout
    assert len(peers.split()) == 2, "the dry run re-added the peer"
    return took


def inject(lab: RolledOut, faults: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    """Every fault of the table, the manual and the reported ones, and the camera's factory
    reset; returns the faults with the camera's."""
    for (host, _), command in (faults | MANUAL | REPORTED).items():
        lab.lab.ssh(host, f"sudo sh -c {shlex.quote(command)}")
    reset = lab.tcd("lab", "reset-camera", RESET_CAMERA)
    assert reset.returncode == 0, reset.stdout + reset.stderr
    return faults | dict.fromkeys(CAMERA_FAULTS, "tcd lab reset-camera")


def left_for_a_person(lab: RolledOut, changes: dict) -> None:
    """The manual findings and the overridden apt setting: reported, left alone."""
    hosts = host_results(changes)
    attention = {name: host["attention"] for name, host in hosts.items() if host["attention"]}
    assert set(attention) == {"tcd-25217-pc1", "tcd-26380-pc1", "tcd-25217-gw1"}, attention
    (suid,) = attention["tcd-25217-pc1"]
    assert suid.startswith("TCD-SUID-001") and STRAY_SUID in suid
    (listener,) = attention["tcd-26380-pc1"]
    assert listener.startswith("TCD-FW-003") and f"tcp/{STRAY_PORT}" in listener, listener
    (apt,) = attention["tcd-25217-gw1"]
    assert apt.startswith("TCD-UPD-001") and APT_OVERRIDE in apt, apt
    statuses = {s["site"]: s["status"] for s in changes["sites"]}
    assert statuses == {26380: "needs attention", 25217: "needs attention", 25195: "changed"}
    still = lab.lab.ssh("tcd-25217-pc1", f"stat -c %a {STRAY_SUID}").stdout.strip()
    assert still == "4755"


@pytest.mark.usefixtures("left_clean")
def test_one_rollout_repairs_every_fault_and_a_second_changes_nothing(
    rolled_out: RolledOut, tmp_path: Path
) -> None:
    faults = fault_table(rolled_out, tmp_path)
    timings: dict[str, float] = {}
    # a verify right before: the faults land while timedated still holds the zone it read
    verify(rolled_out, tmp_path)
    started = time.monotonic()
    try:
        faults = inject(rolled_out, faults)
        broken, result = verify(rolled_out, tmp_path)
        timings["verify (faults)"] = time.monotonic() - started
        assert broken.returncode == 1
        found = failing(result)
        for expected in set(faults) | set(MANUAL) | CONSEQUENCES:
            assert expected in found, f"{expected} did not fail: {sorted(found)}"
        assert found <= set(faults) | set(MANUAL) | CONSEQUENCES | MAYBE, sorted(found)
        # drift: what failed is new since the verify before, and each says why
        assert {tuple(k.split()) for k in result["drift"]["newly_failing"]} == found
        reasons = {
            (host, c["control"]): c["reason"]
            for host, entry in result["hosts"].items()
            for c in entry["checks"]
        }
        assert "passwordauthentication is yes" in reasons[("tcd-25195-pc1", "TCD-SSH-001")]
        assert "toor" in reasons[("tcd-hub-province", "TCD-ACC-001")]
        assert f"{UDEV_RULES} is missing" in reasons[("tcd-25195-pc1", "TCD-USBCAM-001")]
        assert "Kiosk-2026" not in json.dumps(result)  # a password set by hand is not echoed
        assert "factory password" in reasons[(RESET_CAMERA, "TCD-CAM-001")]
        timings["rollout --dry"] = dry_run_lists_live_repairs(rolled_out)
    finally:
        mark = time.monotonic()
        repaired = rolled_out.rollout("pilot")
        timings["rollout (repair)"] = time.monotonic() - mark
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    changes = json.loads(repaired.stdout)
    hosts = host_results(changes)
    left_for_a_person(rolled_out, changes)
    # the repairs the roles made, as the summary names them
    assert any(READDED in c for c in hosts["tcd-hub-province"]["changes"])
    assert any(RELOADED in c for c in hosts["tcd-26380-pc1"]["changes"])
    assert "/etc/sudoers.d/local" in " ".join(hosts["tcd-25195-pc1"]["changes"])
    # each host's own: not another host's operation at the same place in its list
    assert "/etc/sudoers.d/local" not in " ".join(hosts["tcd-26380-pc1"]["changes"])
    assert any(
        "wg-province restarted (its link was down)" in c for c in hosts["tcd-25217-gw1"]["changes"]
    )
    cameras = camera_hosts(changes)
    assert cameras[RESET_CAMERA]["changes"] and cameras[OTHER_CAMERA]["changes"] == [], cameras

    clean_up(rolled_out, apt=False)  # the person's decisions: the stray file and listener go
    mark = time.monotonic()
    done, result = verify(rolled_out, tmp_path)
    timings["verify (repaired)"] = time.monotonic() - mark
    # the apt drop-in is still there, and loses: the control passes
    assert done.returncode == 0, failing(result)
    assert {tuple(k.split()) for k in result["drift"]["newly_passing"]} == found
    clean_up(rolled_out)
    mark = time.monotonic()
    again = rolled_out.rollout("pilot")
    timings["rollout (no change)"] = time.monotonic() - mark
    changed_nothing(rolled_out, again)
    print("converge timings:", json.dumps({k: round(v, 1) for k, v in timings.items()}))


def changed_nothing(rolled_out: RolledOut, again: subprocess.CompletedProcess[str]) -> None:
    """A no-change rollout: nothing changed on a host or a camera, and the fact batch kept every
    site host's questions (none kept: each fact read with a command of its own, ~370 a host)."""
    summary = json.loads(again.stdout)
    assert summary["operations_changed"] == 0, again.stdout
    assert all(s["status"] == "unchanged" for s in summary["sites"])
    assert all(c["changes"] == [] for c in camera_hosts(summary).values())
    asked = rolled_out.lab.settings.state_dir / "facts-asked" / "sites"
    kept = {p.stem for p in asked.glob("*.json") if json.loads(p.read_text())}
    assert kept == {h.name for h in rolled_out.lab.state.hosts if h.site}, sorted(kept)


def test_the_running_ruleset_is_recorded_where_the_role_compares_it(rolled_out: RolledOut):
    """The digest the role compares the running ruleset with is the one it loaded."""
    lab = rolled_out.lab
    recorded = lab.ssh("tcd-25217-pc1", f"sudo cat {base.NFTABLES_LOADED}").stdout.strip()
    running = lab.ssh("tcd-25217-pc1", "sudo sh -c 'nft list ruleset | sha256sum'").stdout
    assert recorded and recorded == running.strip()
