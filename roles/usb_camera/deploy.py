"""roles/usb_camera, on the reception PC a USB camera is plugged into: a udev rule gives the
camera a stable name (/dev/tcd-camera), the kiosk's group and the room's default controls at
every plug-in. Reads its UsbCameraData (role.py)."""

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.operations import server

from roles.common.files import template
from roles.common.packages import install
from roles.usb_camera import defaults
from roles.usb_camera.role import USB_CAMERA


@deploy("USB camera")
def main() -> None:
    data = USB_CAMERA.data_of(host.data)
    install("Camera tools", defaults.PACKAGES)
    rules = template(
        "etc/udev/rules.d/70-tcd-camera.rules.j2",
        defaults.UDEV_RULES,
        cameras=data.cameras,
        link=defaults.LINK,
        group=defaults.GROUP,
        device_mode=defaults.MODE,
        controls=defaults.CONTROLS,
    )
    # udev re-reads its rules, and applies them to a camera already plugged in; a host without
    # a running udev (a lab container) has nothing to apply them to
    server.shell(
        name="udev applies the camera rule",
        commands=[
            "if [ -S /run/udev/control ]; then udevadm control --reload && "
            "udevadm trigger --subsystem-match=video4linux; fi"
        ],
        _if=rules.did_change,
    )
