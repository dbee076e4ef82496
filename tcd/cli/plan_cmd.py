"""`tcd plan`: the derived address plan."""

import json
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from tcd.cli.common import (
    DEFAULT,
    AllOption,
    InventoryOption,
    SitesOption,
    WaveOption,
    console,
    fail,
    load_planned,
    select_sites,
)
from tcd.model.province import Office
from tcd.planning import Plan, SitePlan


class PlanFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def plan(
    inventory: InventoryOption = DEFAULT,
    site: Annotated[int | None, typer.Option("--site", help="One site, by admin code.")] = None,
    wave: WaveOption = None,
    sites: SitesOption = None,
    all_sites: AllOption = False,
    format: Annotated[PlanFormat, typer.Option("--format", "-f")] = PlanFormat.TABLE,
) -> None:
    """Show the address plan: each site's management block, LAN and two tunnel addresses (every
    site unless --wave, --sites or --site narrows it)."""
    loaded, full_plan = load_planned(inventory)
    if site is not None and sites is not None:
        fail("give --site or --sites, not both")
    selected = select_sites(loaded, wave, str(site) if site is not None else sites, all_sites)
    site_plans = [full_plan.sites[s.code] for s in selected]
    if format is PlanFormat.JSON:
        console.print_json(json.dumps(_as_json(full_plan, site_plans), ensure_ascii=False))
        return
    hubs = Table(title="hubs", title_justify="left")
    for column in ("hub", "underlay", "overlay", "overlay network", "port", "office networks"):
        hubs.add_column(column)
    for hub in full_plan.hubs.values():
        hubs.add_row(
            hub.name,
            str(hub.underlay_address),
            str(hub.overlay_address),
            str(hub.overlay_network),
            str(hub.listen_port),
            ", ".join(map(str, hub.office_networks)),
        )
    console.print(hubs)
    table = Table(title=f"sites ({len(site_plans)})", title_justify="left")
    for column in (
        "code",
        "unit",
        "wave",
        "host",
        "management",
        "site LAN",
        "overlay province",
        "overlay central",
    ):
        table.add_column(column, no_wrap=column not in ("unit",))
    for site_plan, unit in zip(site_plans, selected, strict=True):
        for index, host in enumerate(site_plan.hosts):
            first = index == 0
            table.add_row(
                str(site_plan.code) if first else "",
                unit.name if first else "",
                unit.wave if first else "",
                f"{host.name}{' (gw)' if host.is_gateway else ''}",
                str(host.management_address),
                str(site_plan.lan) if first else "",
                str(site_plan.overlay[Office.PROVINCE]) if first else "",
                str(site_plan.overlay[Office.CENTRAL]) if first else "",
            )
    console.print(table)


def _as_json(full_plan: Plan, site_plans: list[SitePlan]) -> dict[str, Any]:
    return {
        "hubs": {
            hub.name: {
                "office": hub.office.value,
                "underlay_address": str(hub.underlay_address),
                "overlay_address": str(hub.overlay_address),
                "overlay_network": str(hub.overlay_network),
                "listen_port": hub.listen_port,
                "office_networks": [str(n) for n in hub.office_networks],
            }
            for hub in full_plan.hubs.values()
        },
        "sites": {
            str(p.code): {
                "management_block": str(p.management_block),
                "lan": str(p.lan),
                "lan_gateway": str(p.lan_gateway),
                "overlay": {office.value: str(address) for office, address in p.overlay.items()},
                "hosts": {
                    h.name: {
                        "role": h.role.value,
                        "gateway": h.is_gateway,
                        "management_address": str(h.management_address),
                    }
                    for h in p.hosts
                },
                "cameras": {
                    c.name: {"kind": c.kind, "address": str(c.address) if c.address else None}
                    for c in p.cameras
                },
            }
            for p in site_plans
        },
    }
