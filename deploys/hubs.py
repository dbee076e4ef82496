"""Deploy both hubs (group `hubs`) with their peers, with the plain pyinfra CLI:

pyinfra -y --limit hubs --sudo deploys/inventory.py deploys/hubs.py
"""

from pyinfra import host

from roles.site import everything

if "hubs" in host.groups:
    everything()
