"""Defaults of roles/ip_camera. What a camera must be set to (main stream, time zone, HTTP off,
discovery off) is policy and lives in inventory/baseline.yml (`camera:`); the NTP servers come
from province.yml; each camera's passwords from the camera vault (tcd.onvif.secrets)."""

ADMIN_USER = "admin"  # the account every camera ships with; kept, its password replaced
# the least-privilege account the reception software streams with (ONVIF level Operator)
OPERATOR_USER = "tcd-viewer"
OPERATOR_LEVEL = "Operator"
# the account `tcd verify` proves the lockout on (TCD-CAM-002): its probe locks the account it
# tries, so it tries one nobody needs. Locking admin instead made every rollout or verify within
# the lock time wait it out (30 s). Level User, the lowest: it can log in and read, nothing more.
PROBE_USER = "tcd-probe"
PROBE_LEVEL = "User"
# Factory passwords tried, in order, when the vault's admin password is refused: a camera fresh
# out of the box, or reset. Each refused one counts towards the camera's lockout (5 in 30 s),
# so the list stays short: vault + these must stay under the limit.
FACTORY_PASSWORDS = ["12345", "admin"]
ONVIF_PORT = 443  # ONVIF over HTTPS only: plain HTTP is switched off (TCD-CAM-007)
RTSP_PORT = 554
