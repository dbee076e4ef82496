"""Every managed thing as (name, kind, groups, typed variables): the one list that the Ansible
export, pyinfra's inventory, the lab and verify are cut from. The variables are models; the
Ansible export dumps them under their `tcd_` names."""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tcd.model.province import Office
from tcd.model.site import HostRole, Site
from tcd.planning.addresses import Plan
from tcd.text import slug


class Kind(StrEnum):
    HOST = "host"  # a site's SSH-managed PC or gateway
    HUB = "hub"
    CAMERA = "camera"


class _Variables(BaseModel):
    model_config = ConfigDict(frozen=True)

    address: str | None = Field(serialization_alias="ansible_host")

    def exported(self) -> dict[str, Any]:
        """As Ansible's host variables (ansible_host, tcd_…)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class SiteVariables(_Variables):
    site: int = Field(serialization_alias="tcd_site_code")
    site_name: str = Field(serialization_alias="tcd_site_name")
    wave: str = Field(serialization_alias="tcd_wave")
    lan: str = Field(serialization_alias="tcd_lan")
    lan_gateway: str = Field(serialization_alias="tcd_lan_gateway")


class HostVariables(SiteVariables):
    role: HostRole = Field(serialization_alias="tcd_role")  # the inventory's kind of host
    gateway: bool = Field(serialization_alias="tcd_gateway")
    management_block: str = Field(serialization_alias="tcd_management_block")
    overlay: dict[Office, str] | None = Field(serialization_alias="tcd_overlay")


class CameraVariables(SiteVariables):
    camera_kind: str = Field(serialization_alias="tcd_camera_kind")


class HubVariables(_Variables):
    office: Office = Field(serialization_alias="tcd_office")
    overlay_address: str = Field(serialization_alias="tcd_overlay_address")
    overlay_network: str = Field(serialization_alias="tcd_overlay_network")
    listen_port: int = Field(serialization_alias="tcd_listen_port")
    office_networks: tuple[str, ...] = Field(serialization_alias="tcd_office_networks")


@dataclass(frozen=True)
class HostRecord:
    name: str
    kind: Kind
    groups: tuple[str, ...]
    variables: HostVariables | CameraVariables | HubVariables

    @property
    def address(self) -> str | None:
        return self.variables.address

    @property
    def site(self) -> int | None:
        """The site's code; None for a hub."""
        return self.variables.site if isinstance(self.variables, SiteVariables) else None

    @property
    def office(self) -> Office | None:
        return self.variables.office if isinstance(self.variables, HubVariables) else None


def group_name(text: str) -> str:
    """A valid Ansible group name: 'Huyện Bù Đăng (Bình Phước)' -> huyen_bu_dang_binh_phuoc."""
    return slug(text, "_")


def site_records(plan: Plan, sites: Iterable[Site]) -> list[HostRecord]:
    records: list[HostRecord] = []
    for site in sites:
        site_plan = plan.sites[site.code]
        common = {
            "site": site.code,
            "site_name": site.name,
            "wave": site.wave,
            "lan": str(site_plan.lan),
            "lan_gateway": str(site_plan.lan_gateway),
        }
        site_groups = (
            group_name(site.wave),
            f"site_{site.code}",
            *(f"district_{group_name(d)}" for d in site.former_districts),
        )
        for host in site_plan.hosts:
            kinds = (host.role.value, "gateway") if host.is_gateway else (host.role.value,)
            overlay = {o: str(a) for o, a in site_plan.overlay.items()} if host.is_gateway else None
            variables = HostVariables(
                address=str(host.management_address),
                **common,
                role=host.role,
                gateway=host.is_gateway,
                management_block=str(site_plan.management_block),
                overlay=overlay,
            )
            groups = tuple(dict.fromkeys((*kinds, *site_groups)))
            records.append(HostRecord(host.name, Kind.HOST, groups, variables))
        for camera in site_plan.cameras:
            address = str(camera.address) if camera.address is not None else None
            variables = CameraVariables(address=address, **common, camera_kind=camera.kind)
            # groups of their own: a play on a wave or a site reaches its SSH hosts only
            groups = (
                Kind.CAMERA.value,
                f"camera_{group_name(site.wave)}",
                f"camera_site_{site.code}",
            )
            records.append(HostRecord(camera.name, Kind.CAMERA, groups, variables))
    return records


def hub_records(plan: Plan) -> list[HostRecord]:
    return [
        HostRecord(
            hub.name,
            Kind.HUB,
            (Kind.HUB.value, f"hub_{hub.office.value}"),
            HubVariables(
                address=str(hub.underlay_address),
                office=hub.office,
                overlay_address=str(hub.overlay_address),
                overlay_network=str(hub.overlay_network),
                listen_port=hub.listen_port,
                office_networks=tuple(str(n) for n in hub.office_networks),
            ),
        )
        for hub in plan.hubs.values()
    ]


def fleet_records(plan: Plan, sites: Iterable[Site], hubs: bool = True) -> list[HostRecord]:
    records = site_records(plan, sites)
    return records + hub_records(plan) if hubs else records
