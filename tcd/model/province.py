"""inventory/province.yml: the two hubs, the address pools, province-wide services, admins."""

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AnyHttpUrl, Field, model_validator

from tcd.model.base import InputModel
from tcd.model.netaddr_types import IPAddr, IPNet


class Office(StrEnum):
    PROVINCE = "province"
    CENTRAL = "central"


class PoolName(StrEnum):
    MANAGEMENT = "management"
    SITE_LAN = "site_lan"
    OVERLAY_PROVINCE = "overlay_province"
    OVERLAY_CENTRAL = "overlay_central"


HUB_NAMES = {Office.PROVINCE: "tcd-hub-province", Office.CENTRAL: "tcd-hub-central"}
OVERLAY_POOL = {
    Office.PROVINCE: PoolName.OVERLAY_PROVINCE,
    Office.CENTRAL: PoolName.OVERLAY_CENTRAL,
}


class ProvinceInfo(InputModel):
    name: str
    timezone: str = "Asia/Ho_Chi_Minh"
    issuing_office: str | None = Field(
        default=None,
        description="the department that issues the readiness proposal, printed under"
        " 'UBND <name>' in its header (e.g. 'SỞ KHOA HỌC VÀ CÔNG NGHỆ'); default: none",
    )
    place: str | None = Field(
        default=None,
        description="the place in a document's date line ('Đồng Nai, ngày …'); default: the"
        " name without 'Tỉnh' or 'Thành phố'",
    )


class Hub(InputModel):
    name: str
    office: Office
    title: str
    underlay_address: IPAddr = Field(description="where sites send their WireGuard packets")
    overlay_address: IPAddr
    listen_port: Annotated[int, Field(ge=1, le=65_535)] = 51820
    office_networks: list[IPNet] = Field(
        default=[], description="the office's reception networks that sites may reach"
    )

    @model_validator(mode="after")
    def _name_matches_office(self) -> Self:
        if self.name != HUB_NAMES[self.office]:
            raise ValueError(f"the {self.office} hub must be named {HUB_NAMES[self.office]}")
        return self


class CodeRange(InputModel):
    """The admin codes the pools are sized for: a site's block index is code - first."""

    first: Annotated[int, Field(ge=1, le=99_999)]
    last: Annotated[int, Field(ge=1, le=99_999)]

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.last < self.first:
            raise ValueError(f"last ({self.last}) is below first ({self.first})")
        return self


class Pool(InputModel):
    cidr: IPNet
    per_site_prefix: Annotated[int, Field(ge=8, le=32)]
    reserved_blocks: Annotated[int, Field(ge=0)] = Field(
        default=0, description="leading blocks kept for infrastructure (hubs, routers)"
    )

    @model_validator(mode="after")
    def _prefix_fits(self) -> Self:
        if self.per_site_prefix < self.cidr.prefixlen:
            raise ValueError(
                f"per_site_prefix /{self.per_site_prefix} is larger than the pool {self.cidr}"
            )
        return self


class AddressPlan(InputModel):
    codes: CodeRange
    pools: dict[PoolName, Pool]

    @model_validator(mode="after")
    def _all_pools(self) -> Self:
        missing = sorted(set(PoolName) - set(self.pools))
        if missing:
            raise ValueError(f"missing pools: {', '.join(missing)}")
        return self


Weekday = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
ClockTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class OfficeHours(InputModel):
    """When reception rooms are in use: the kiosk's screen never blanks in these hours."""

    days: Annotated[list[Weekday], Field(min_length=1)]
    start: ClockTime
    end: ClockTime


class Services(InputModel):
    ntp_servers: Annotated[list[IPAddr], Field(min_length=1)]
    dns_servers: Annotated[list[IPAddr], Field(min_length=1)]
    reception_platform_url: AnyHttpUrl
    control_nodes: Annotated[list[IPAddr], Field(min_length=1)] = Field(
        description="where the IT team runs tcd: the only sources besides hubs allowed to SSH"
    )
    office_hours: OfficeHours


class Monitoring(InputModel):
    """How often the provincial Prometheus looks and how long a fault must last before it
    alerts. The lab shortens all three (tcd.lab.addressing), so its tests wait seconds."""

    scrape_interval: Annotated[int, Field(ge=1, le=300, description="seconds")] = 15
    evaluation_interval: Annotated[int, Field(ge=1, le=300, description="seconds")] = 15
    alert_after: Annotated[
        int, Field(ge=0, le=3600, description="seconds a fault lasts before its alert fires")
    ] = 120
    retention_days: Annotated[int, Field(ge=1, le=3650, description="provincial Prometheus")] = 90
    central_retention_days: Annotated[
        int, Field(ge=1, le=3650, description="the central federation's, of site-level series")
    ] = 400


class Admin(InputModel):
    username: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_-]{0,31}$")]
    title: str
    ssh_keys: Annotated[
        list[
            Annotated[
                str,
                Field(pattern=r"^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) [A-Za-z0-9+/=]+( .*)?$"),
            ]
        ],
        Field(min_length=1),
    ]


class Province(InputModel):
    province: ProvinceInfo
    hubs: Annotated[list[Hub], Field(min_length=2, max_length=2)]
    address_plan: AddressPlan
    services: Services
    admins: Annotated[list[Admin], Field(min_length=1)]
    admin_group: str = "tcdadmin"
    monitoring: Monitoring = Monitoring()

    @model_validator(mode="after")
    def _one_hub_per_office(self) -> Self:
        offices = [hub.office for hub in self.hubs]
        if sorted(offices) != sorted(Office):
            raise ValueError("hubs must be exactly one 'province' hub and one 'central' hub")
        return self

    def hub(self, office: Office) -> Hub:
        return next(hub for hub in self.hubs if hub.office is office)
