"""roles/ip_camera: each IP camera of a reception room, configured over ONVIF from the
controller through an SSH port forward on its site's gateway (no SSH on a camera).

role.py declares it, deploy.py configures one camera (run by tcd.rollout.cameras), defaults.py
holds its defaults; the policy (main stream, time zone, HTTP, discovery) is
inventory/baseline.yml `camera:`.
"""
