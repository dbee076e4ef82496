"""Deploy the hosts of the selected sites (group `sites`), with the plain pyinfra CLI:

TCD_WAVE=pilot pyinfra -y --limit sites --sudo --config deploys/config.py deploys/inventory.py \
    deploys/site.py
"""

from pyinfra import host

from roles.site import everything

if "sites" in host.groups:
    everything()
