"""One commune or ward: inventory/sites/<code>-<slug>.yml.

The admin-unit code is the key of everything; names and unit types change, codes don't.
"""

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from tcd.model.base import InputModel
from tcd.model.netaddr_types import IPAddr
from tcd.model.survey import CameraKind, DisplayKind, Survey

UnitType = Literal["xã", "phường", "đặc khu"]
AdminCode = Annotated[int, Field(ge=1, le=99_999, description="mã đơn vị hành chính")]
HostName = Annotated[str, Field(pattern=r"^tcd-[0-9]{5}-[a-z][a-z0-9]{0,14}$")]
# A commune uplink beyond 10 Gbit/s does not exist; anything above is a typo (e.g. kbit/s).
Bandwidth = Annotated[int, Field(gt=0, le=10_000)]


class UplinkKind(StrEnum):
    TSLCD = "tslcd"  # the government's dedicated data network (truyền số liệu chuyên dùng)
    FTTH = "ftth"
    LTE = "4g"
    NONE = "none"


class HostRole(StrEnum):
    RECEPTION_PC = "reception_pc"
    GATEWAY = "gateway"


class AudioKind(StrEnum):
    SPEAKERPHONE = "speakerphone"
    MICROPHONE = "microphone"
    SPEAKERS = "speakers"
    SOUNDBAR = "soundbar"


class Uplink(InputModel):
    kind: UplinkKind
    bandwidth_mbps: Bandwidth | None = None
    provider: str | None = None

    @model_validator(mode="after")
    def _bandwidth_matches_kind(self) -> Self:
        if self.kind is UplinkKind.NONE and self.bandwidth_mbps is not None:
            raise ValueError("an uplink of kind 'none' cannot have a bandwidth")
        if self.kind is not UplinkKind.NONE and self.bandwidth_mbps is None:
            raise ValueError(f"an uplink of kind '{self.kind}' needs bandwidth_mbps")
        return self


class Hardware(InputModel):
    model: str
    cpu: str
    ram_gb: Annotated[int, Field(gt=0, le=1024)]
    storage_gb: Annotated[int, Field(gt=0, le=100_000)]


class Host(InputModel):
    """A machine the deploy manages. The site's VPN gateway is its `gateway` host if it has
    one, otherwise its first reception PC."""

    name: HostName
    role: HostRole
    management_address: IPAddr | None = Field(
        default=None, description="on the TSLCD segment; planned from the code when omitted"
    )
    os: str | None = None
    hardware: Hardware | None = None


class Camera(InputModel):
    name: Annotated[str, Field(pattern=r"^tcd-[0-9]{5}-cam[0-9]{1,2}$")]
    kind: CameraKind
    model: str
    address: IPAddr | None = Field(default=None, description="IP cameras only, on the site LAN")
    attached_to: HostName | None = Field(default=None, description="USB cameras only")

    @model_validator(mode="after")
    def _kind_fields(self) -> Self:
        if self.kind is CameraKind.IP:
            if self.address is None:
                raise ValueError("an IP camera needs an address")
            if self.attached_to is not None:
                raise ValueError("an IP camera is not attached_to a host")
        else:
            if self.address is not None:
                raise ValueError("a USB camera has no address")
            if self.attached_to is None:
                raise ValueError("a USB camera needs attached_to (the reception PC)")
        return self


class Display(InputModel):
    kind: DisplayKind
    model: str
    size_inch: Annotated[int, Field(ge=10, le=300)]
    attached_to: HostName


class AudioDevice(InputModel):
    kind: AudioKind
    model: str
    attached_to: HostName


class Site(InputModel):
    code: AdminCode
    name: str
    type: UnitType
    name_2025: str
    type_2025: UnitType
    former_districts: Annotated[list[str], Field(min_length=1)]
    merged_from: list[str] = []
    wave: str
    survey: Survey
    uplink: Uplink | None = Field(default=None, description="omitted until surveyed")
    hosts: list[Host] = []
    cameras: list[Camera] = []
    displays: list[Display] = []
    audio: list[AudioDevice] = []
    notes: str | None = None

    @property
    def gateway(self) -> Host | None:
        by_role = [h for h in self.hosts if h.role is HostRole.GATEWAY]
        if by_role:
            return by_role[0]
        return next((h for h in self.hosts if h.role is HostRole.RECEPTION_PC), None)
