"""Defaults of roles/camera. What a camera must be set to (main stream, time zone, HTTP off,
discovery off) is policy and lives in inventory/baseline.yml (`camera:`); the NTP servers come
from province.yml; each camera's passwords from the camera vault (tcd.camera.secrets)."""

# IP cameras -------------------------------------------------------------------------------
ADMIN_USER = "admin"  # the account every camera ships with; kept, its password replaced
# the least-privilege account the reception software streams with (ONVIF level Operator)
OPERATOR_USER = "tcd-viewer"
OPERATOR_LEVEL = "Operator"
# Factory passwords tried, in order, when the vault's admin password is refused: a camera fresh
# out of the box, or reset. Each refused one counts towards the camera's lockout (5 in 30 s),
# so the list stays short: vault + these must stay under the limit.
FACTORY_PASSWORDS = ["12345", "admin"]
ONVIF_PORT = 443  # ONVIF over HTTPS only: plain HTTP is switched off (TCD-CAM-007)
RTSP_PORT = 554

# USB cameras on the reception PC ----------------------------------------------------------
# A stable name whatever the USB port or enumeration order: /dev/tcd-camera (udev symlink)
USB_CAMERA_LINK = "tcd-camera"
USB_UDEV_RULES = "/etc/udev/rules.d/70-tcd-camera.rules"
# v4l2 controls applied when the camera is plugged in: automatic exposure with the room's
# mains frequency filtered (50 Hz in Vietnam: no flicker under fluorescent light)
USB_CONTROLS = {"power_line_frequency": 1, "auto_exposure": 3}
PACKAGES = ["v4l-utils"]
