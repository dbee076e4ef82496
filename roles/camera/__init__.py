"""roles/camera: the reception room's cameras.

- IP cameras (`ip_camera.configure_ip_camera`): over ONVIF from the controller, through an SSH
  port forward on the site's gateway; driven by tcd.rollout.cameras.
- USB cameras (`usb_camera.usb_camera`): a pyinfra deploy on the reception PC they are plugged
  into; reads host.data.tcd_usb_cameras.

Defaults in defaults.py; the policy (main stream, time zone, HTTP, discovery) in
inventory/baseline.yml under `camera:`.
"""
