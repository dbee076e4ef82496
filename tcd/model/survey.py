"""What a unit has today, as found by the readiness survey (filled by the unit, read by Sở KH&CN).

A unit nobody has surveyed carries the literal ``survey: not_surveyed``: the inventory never
invents findings.
"""

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag

from tcd.model.base import InputModel

NOT_SURVEYED = "not_surveyed"


class StorageKind(StrEnum):
    SSD = "ssd"
    HDD = "hdd"


class CameraKind(StrEnum):
    USB = "usb"
    IP = "ip"


class DisplayKind(StrEnum):
    TV = "tv"
    MONITOR = "monitor"
    PROJECTOR = "projector"


class SurveyPC(InputModel):
    """One kind of PC the unit has (``count`` identical machines)."""

    count: Annotated[int, Field(ge=1, le=50)] = 1
    model: str | None = None
    cpu: str
    ram_gb: Annotated[float, Field(gt=0, le=1024)]
    storage_gb: Annotated[int, Field(gt=0, le=100_000)]
    storage_kind: StorageKind
    os: str = Field(description="as found, e.g. 'Windows 10 Pro', 'Ubuntu 22.04'")
    year_purchased: Annotated[int, Field(ge=1990, le=2100)] | None = None
    has_webcam: bool = False


class SurveyCamera(InputModel):
    kind: CameraKind
    model: str | None = None
    resolution_p: Annotated[int, Field(ge=240, le=4320)] = Field(
        description="vertical resolution: 720, 1080, 2160"
    )


class SurveyAudio(InputModel):
    microphone: bool
    speakers: bool
    echo_cancelling: bool = False
    model: str | None = None


class SurveyDisplay(InputModel):
    kind: DisplayKind
    size_inch: Annotated[int, Field(ge=10, le=300)]
    model: str | None = None


class SurveyUPS(InputModel):
    present: bool
    capacity_va: Annotated[int, Field(gt=0, le=100_000)] | None = None


class SurveyRoom(InputModel):
    dedicated: bool = Field(description="a room (or a closed corner) used only for reception")
    area_m2: Annotated[float, Field(gt=0, le=1000)] | None = None
    air_conditioned: bool = False
    soundproofed: bool = False


class SurveyNetwork(InputModel):
    measured_mbps: Annotated[float, Field(gt=0, le=100_000)] | None = None
    lan_ports_in_room: Annotated[int, Field(ge=0, le=100)] = 0


class SurveyFindings(InputModel):
    date: dt.date
    respondent: str = Field(description="who filled the survey (office, not a person's phone)")
    pcs: list[SurveyPC] = []
    cameras: list[SurveyCamera] = []
    audio: SurveyAudio | None = None
    displays: list[SurveyDisplay] = []
    ups: SurveyUPS | None = None
    room: SurveyRoom | None = None
    network: SurveyNetwork | None = None
    notes: str | None = None


def _survey_branch(value: object) -> str:
    return "status" if isinstance(value, str) else "findings"


# Tagged so a typo in 'not_surveyed' gets one message, not one per union branch.
Survey = Annotated[
    Annotated[Literal["not_surveyed"], Tag("status")] | Annotated[SurveyFindings, Tag("findings")],
    Discriminator(_survey_branch),
]
