"""roles/usb_camera: the reception PC a USB camera is plugged into. role.py declares it,
deploy.py is its pyinfra deploy, defaults.py its defaults."""
