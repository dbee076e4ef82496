"""pyinfra inventory of the fleet, for the plain `pyinfra` CLI (tcd rollout builds the same).

    TCD_WAVE=pilot pyinfra deploys/inventory.py deploys/site.py          # the field
    TCD_LAB=1 TCD_WAVE=pilot pyinfra deploys/inventory.py deploys/site.py  # the lab

Selection: TCD_WAVE=<wave> or TCD_SITES=<code,code>; when neither is set, every site (in
the lab: every site the lab has). Two groups: `sites` (the SSH hosts of the selected sites)
and `hubs`. WireGuard public keys come from the registry `tcd rollout` keeps in the journal:
the target's own (SQLite in its state folder) or, with TCD_DATABASE_URL, the one several
controllers share. deploys/hubs.py refuses to write a hub's peers from an empty registry.
"""

import os

from tcd.exports.hosts import Kind, fleet_records
from tcd.exports.pyinfra_inventory import REGISTRY, pyinfra_host
from tcd.journal import journal_url
from tcd.journal.journal import masked
from tcd.lab.settings import LabSettings
from tcd.lab.target import lab_target
from tcd.loading import load_inventory
from tcd.paths import DEFAULT_INVENTORY
from tcd.planning import plan_addresses
from tcd.target import field_target

_loaded = load_inventory(os.environ.get("TCD_INVENTORY", DEFAULT_INVENTORY))
_target = (
    lab_target(_loaded, LabSettings.from_env())
    if os.environ.get("TCD_LAB")
    else field_target(_loaded)
)
_inventory = _target.inventory
_sites_env = os.environ.get("TCD_SITES")
_codes = [int(c) for c in _sites_env.split(",")] if _sites_env else None
if _codes is None and not os.environ.get("TCD_WAVE") and _target.hosts is not None:
    # a lab holds only some sites: by default, those
    _codes = [
        code
        for code, site in _inventory.sites.items()
        if site.hosts and {h.name for h in site.hosts} <= _target.hosts
    ]
_selected = _inventory.select(wave=os.environ.get("TCD_WAVE"), codes=_codes)
_plan = plan_addresses(_inventory)
_keys = _target.load_keys()
_data = _target.host_data(_plan, _keys)
_records = [r for r in fleet_records(_plan, _selected) if r.kind is not Kind.CAMERA]
# what deploys/hubs.py checks before it writes a hub's peers from the registry
_registry = {
    REGISTRY: {"site_keys": len(_keys.spokes), "journal": masked(journal_url(_target.state_dir))}
}
_hosts = {
    r.name: pyinfra_host(
        r, **_target.pyinfra_data(r, _data[r.name]), **(_registry if r.kind is Kind.HUB else {})
    )
    for r in _records
}
sites = [_hosts[r.name] for r in _records if r.kind is Kind.HOST]
hubs = [_hosts[r.name] for r in _records if r.kind is Kind.HUB]
