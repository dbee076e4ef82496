"""roles/usb_camera on the reception PC a USB camera is plugged into: the udev rule that names
the camera, gives it to the kiosk's group and sets the room's controls; the kiosk in that group;
the tools the rule runs."""

import re

import pytest

from roles.kiosk.defaults import KIOSK_USER
from roles.usb_camera import defaults
from roles.usb_camera.role import USB_CAMERA
from tcd.compliance.host import CheckedHost

ROLE = USB_CAMERA  # the role whose hosts this module checks
control = pytest.mark.control
# one key/operator/value of a udev rule (udev(7)): KEY=="v", ATTR{index}=="0", GROUP="video"
PAIR = re.compile(r'([A-Z_]+(?:\{[^}]*\})?)\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"')


def camera_rules(target: CheckedHost) -> list[list[tuple[str, str, str]]]:
    """The rules of the role's file that match a video capture device, as (key, op, value)."""
    text = target.file(defaults.UDEV_RULES)
    assert text is not None, f"{defaults.UDEV_RULES} is missing"
    rules = [PAIR.findall(line) for line in text.splitlines() if not line.lstrip().startswith("#")]
    found = [rule for rule in rules if ("SUBSYSTEM", "==", "video4linux") in rule]
    assert found, f"{defaults.UDEV_RULES} has no rule for video devices"
    return found


@control("TCD-USBCAM-001")
def test_udev_rule_names_and_sets_up_the_camera(target: CheckedHost) -> None:
    for rule in camera_rules(target):
        assigned = {key: value for key, op, value in rule if op in ("=", ":=", "+=")}
        link = assigned.get("SYMLINK")
        assert link == defaults.LINK, f"the rule names the camera {link!r}, not {defaults.LINK}"
        group, mode = assigned.get("GROUP"), assigned.get("MODE")
        assert group == defaults.GROUP, f"the rule gives the camera to group {group!r}"
        assert mode == defaults.MODE, f"the rule sets mode {mode!r}, expected {defaults.MODE}"
        run = assigned.get("RUN", "")
        for name, value in defaults.CONTROLS.items():
            assert f"--set-ctrl={name}={value}" in run, f"the rule does not set {name}={value}"


@control("TCD-USBCAM-002")
def test_kiosk_is_in_the_camera_group(target: CheckedHost) -> None:
    groups = set(target.section("kiosk_groups").split())
    assert defaults.GROUP in groups, (
        f"{KIOSK_USER} is not in {defaults.GROUP}, the camera's group (in {sorted(groups)})"
    )


@control("TCD-USBCAM-003")
def test_camera_tools_installed(target: CheckedHost) -> None:
    status = dict(line.split("\t", 1) for line in target.lines("packages") if "\t" in line)
    missing = [p for p in defaults.PACKAGES if not status.get(p, "").startswith("ii")]
    assert not missing, f"not installed: {', '.join(missing)}"
