"""roles/vpn_spoke: role.py declares it, deploy.py is its pyinfra deploy, defaults.py its
defaults."""
