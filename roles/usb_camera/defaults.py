"""Defaults of roles/usb_camera: the reception room's USB camera, on the PC it is plugged into."""

# v4l2-ctl, which the udev rule runs at every plug-in
PACKAGES = ["v4l-utils"]
# A stable name whatever the USB port or enumeration order: /dev/tcd-camera (udev symlink)
LINK = "tcd-camera"
UDEV_RULES = "/etc/udev/rules.d/70-tcd-camera.rules"
# The device's group and mode: the kiosk's browser uses the camera through its `video` group
# (roles/kiosk puts the kiosk in it); nobody outside the group opens the device
GROUP = "video"
MODE = "0660"
# v4l2 controls applied when the camera is plugged in: automatic exposure with the room's
# mains frequency filtered (50 Hz in Vietnam: no flicker under fluorescent light)
CONTROLS = {"power_line_frequency": 1, "auto_exposure": 3}
