"""USB cameras, on the reception PC they are plugged into: a udev rule gives the camera a
stable name (/dev/tcd-camera), the video group (the kiosk's) and the room's default controls at
every plug-in. Reads host.data.tcd_usb_cameras."""

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.operations import apt, server

from roles.camera import defaults
from roles.common.files import template


@deploy("USB camera")
def usb_camera() -> None:
    cameras = host.data.tcd_usb_cameras
    apt.packages(
        name="Camera tools", packages=defaults.PACKAGES, update=host.data.tcd_base["apt_update"]
    )
    rules = template(
        "etc/udev/rules.d/70-tcd-camera.rules.j2",
        defaults.USB_UDEV_RULES,
        cameras=cameras,
        link=defaults.USB_CAMERA_LINK,
        controls=defaults.USB_CONTROLS,
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
