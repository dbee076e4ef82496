"""IP cameras seen from the controller: their secrets (ansible-vault), the SSH port forward
through the site's gateway that reaches them, and the ONVIF client the camera role drives."""
