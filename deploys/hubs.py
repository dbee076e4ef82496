"""Deploy both hubs (group `hubs`) with their peers, with the plain pyinfra CLI:

pyinfra -y --limit hubs --sudo --config deploys/config.py deploys/inventory.py deploys/hubs.py

A hub's peers come from the key registry in the journal (TCD_DATABASE_URL: the one the
controllers share). A registry that holds no site's key while the hub has peers is the wrong
journal (a fresh clone's empty state): writing from it would cut every site's tunnel, so the
deploy refuses before it changes anything.
"""

from pyinfra import host
from pyinfra.api.exceptions import PyinfraError

from roles.common.wireguard import WireGuardPeers
from roles.site import everything
from roles.vpn_hub.defaults import INTERFACE
from tcd.exports.pyinfra_inventory import REGISTRY

if "hubs" in host.groups:
    registry = host.data.get(REGISTRY) or {}
    peers = host.get_fact(WireGuardPeers, interface=INTERFACE)
    if peers and not registry.get("site_keys"):
        raise PyinfraError(
            f"{host.name} has {len(peers)} peers but the key registry in "
            f"{registry.get('journal', 'the journal')} holds no site's key: point "
            "TCD_DATABASE_URL at the journal the rollouts share; nothing was changed"
        )
    everything()
