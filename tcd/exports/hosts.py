"""Every managed thing as (name, groups, variables): one list that all exports are cut from."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tcd.model.site import Site
from tcd.planning.addresses import Plan
from tcd.text import slug


@dataclass(frozen=True)
class HostRecord:
    name: str
    kind: str  # "host" (SSH-managed PC or gateway), "hub", "camera"
    groups: tuple[str, ...]
    variables: dict[str, Any] = field(default_factory=dict)

    @property
    def address(self) -> str | None:
        return self.variables.get("ansible_host")


def group_name(text: str) -> str:
    """A valid Ansible group name: 'Huyện Bù Đăng (Bình Phước)' -> huyen_bu_dang_binh_phuoc."""
    return slug(text, "_")


def site_records(plan: Plan, sites: Iterable[Site]) -> list[HostRecord]:
    records: list[HostRecord] = []
    for site in sites:
        site_plan = plan.sites[site.code]
        common = {
            "tcd_site_code": site.code,
            "tcd_site_name": site.name,
            "tcd_wave": site.wave,
            "tcd_lan": str(site_plan.lan),
            "tcd_lan_gateway": str(site_plan.lan_gateway),
        }
        site_groups = (
            group_name(site.wave),
            f"site_{site.code}",
            *(f"district_{group_name(d)}" for d in site.former_districts),
        )
        for host in site_plan.hosts:
            roles = (host.role.value, "gateway") if host.is_gateway else (host.role.value,)
            variables = {
                "ansible_host": str(host.management_address),
                **common,
                "tcd_role": host.role.value,
                "tcd_gateway": host.is_gateway,
                "tcd_management_block": str(site_plan.management_block),
            }
            if host.is_gateway:
                variables["tcd_overlay"] = {
                    office.value: str(a) for office, a in site_plan.overlay.items()
                }
            records.append(
                HostRecord(
                    host.name, "host", tuple(dict.fromkeys((*roles, *site_groups))), variables
                )
            )
        for camera in site_plan.cameras:
            variables = {**common, "tcd_camera_kind": camera.kind}
            if camera.address is not None:
                variables = {"ansible_host": str(camera.address), **variables}
            records.append(HostRecord(camera.name, "camera", ("camera", *site_groups), variables))
    return records


def hub_records(plan: Plan) -> list[HostRecord]:
    return [
        HostRecord(
            hub.name,
            "hub",
            ("hub", f"hub_{hub.office.value}"),
            {
                "ansible_host": str(hub.underlay_address),
                "tcd_office": hub.office.value,
                "tcd_overlay_address": str(hub.overlay_address),
                "tcd_overlay_network": str(hub.overlay_network),
                "tcd_listen_port": hub.listen_port,
                "tcd_office_networks": [str(n) for n in hub.office_networks],
            },
        )
        for hub in plan.hubs.values()
    ]


def fleet_records(plan: Plan, sites: Iterable[Site], hubs: bool = True) -> list[HostRecord]:
    records = site_records(plan, sites)
    return records + hub_records(plan) if hubs else records
