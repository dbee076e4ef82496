"""IP cameras on the rolled-out pilot lab: real lab ONVIF cameras (tcd.lab.onvif_emulator) on each
room LAN, configured by `tcd rollout` through SSH port forwards, checked by `tcd verify`.

Shares the session's rolled-out lab. A camera reset to its factory settings is one of
test_converge.py's faults: one rollout repairs it with the rest."""

from pathlib import Path

import pytest

from tcd.onvif.secrets import CameraVault, vault_password

from .conftest import REPO, UNPACKED, RolledOut, files_under, read_small
from .test_verify import failing, verify

pytestmark = pytest.mark.lab
CAMERAS = {"tcd-26380-cam1": 26380, "tcd-25217-cam1": 25217}  # the pilot's IP cameras
CAMERA_CONTROLS = {f"TCD-CAM-{n:03}" for n in range(1, 8)}


def camera_hosts(result: dict) -> dict[str, dict]:
    """camera name -> {"changes": […], "errors": […]} from a rollout's JSON."""
    return {
        name: host
        for site in result["sites"]
        for name, host in site["hosts"].items()
        if name in CAMERAS
    }


def test_rollout_configures_every_ip_camera_and_a_second_changes_nothing(rolled_out: RolledOut):
    first, second = camera_hosts(rolled_out.first), camera_hosts(rolled_out.second)
    assert set(first) == set(second) == set(CAMERAS)
    for name, host in first.items():
        assert not host["errors"], (name, host["errors"])
        # from the factory: the admin password, the operator, NTP, time zone, stream, HTTP…
        assert any("admin password" in change for change in host["changes"]), host
        assert any("main stream" in change for change in host["changes"]), host
    assert all(host["changes"] == [] and not host["errors"] for host in second.values()), second


def test_every_camera_passes_its_controls_and_again_right_after(
    rolled_out: RolledOut, tmp_path: Path
):
    # the second run starts within the lockout time the first one's probe left on the probe's
    # account: the lockout is proven by that lock, admin was never locked, nothing waits
    for _ in range(2):
        done, result = verify(rolled_out, tmp_path)
        assert done.returncode == 0, failing(result)
        for name in CAMERAS:
            checks = {c["control"]: c["result"] for c in result["hosts"][name]["checks"]}
            assert checks == dict.fromkeys(CAMERA_CONTROLS, "passed"), (name, checks)


def test_no_camera_password_in_clear(rolled_out: RolledOut, tmp_path: Path):
    settings = rolled_out.lab.settings
    verify(rolled_out, tmp_path / "reports")  # reports and the suite's log to search too
    vault = CameraVault(settings.camera_vault, vault_password(settings.vault_password_file))
    entries = vault.load()
    assert set(entries) == set(CAMERAS)
    passwords = [
        secret.get_secret_value()
        for entry in entries.values()
        for secret in (entry.admin_password, entry.operator_password, entry.probe_password)
        if secret is not None
    ]
    assert len(set(passwords)) == 6 and all(len(p) >= 24 for p in passwords)
    texts = "\n".join(rolled_out.outputs)
    searched = 0
    for folder in (REPO, settings.state_dir, tmp_path):
        skip = [*UNPACKED, REPO / "state"] if folder == REPO else []
        for path in files_under(folder, skip):
            content = read_small(path)
            searched += 1
            for password in passwords:
                assert password.encode() not in content, f"a camera password in clear in {path}"
    for password in passwords:
        assert password not in texts, "a camera password printed by the CLI"
    assert searched > 100
    # the vault itself is ansible-vault ciphertext, readable by root only
    assert settings.camera_vault.read_bytes().startswith(b"$ANSIBLE_VAULT;")
    assert oct(settings.camera_vault.stat().st_mode & 0o777) == "0o600"
    assert not settings.vault_password_file.is_relative_to(REPO)


def test_the_usb_camera_gets_its_udev_rule_and_tools(rolled_out: RolledOut):
    """25195's camera is a USB camera on its reception PC: a stable name, the kiosk's group,
    the room's controls at plug-in (the lab has no camera to plug in: the rule and the tool)."""
    lab = rolled_out.lab
    rule = lab.ssh("tcd-25195-pc1", "cat /etc/udev/rules.d/70-tcd-camera.rules").stdout
    lines = [line for line in rule.splitlines() if line and not line.startswith("#")]
    assert len(lines) == 1, rule
    assert 'SUBSYSTEM=="video4linux"' in lines[0] and 'SYMLINK+="tcd-camera"' in lines[0]
    assert 'GROUP="video"' in lines[0] and "power_line_frequency=1" in lines[0]
    assert lab.ssh("tcd-25195-pc1", "test -x /usr/bin/v4l2-ctl", check=False).returncode == 0
    kiosk = lab.ssh("tcd-25195-pc1", "id -nG kiosk").stdout.split()
    assert "video" in kiosk
    # only the PC the camera is attached to gets the rule
    other = lab.ssh("tcd-26380-pc1", "test -e /etc/udev/rules.d/70-tcd-camera.rules", check=False)
    assert other.returncode == 1
