"""The fleet seen by other tools: Ansible's inventory format and pyinfra's Inventory."""
