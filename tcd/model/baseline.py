"""What "ready" and "compliant" mean: inventory/baseline.yml.

Three parts, each used by a different stage:

- ``readiness``: requirements a unit's survey must meet; each gap is costed from its ``remedy``.
- ``controls``: the compliance controls ``tcd verify`` checks on deployed hosts.
- ``prices``: the price catalogue the remedies refer to.

Requirement checks name the fields they read after the survey and site models, so the readiness
evaluator can look them up without a translation table: ``pc`` reads SurveyPC, ``camera``
SurveyCamera, ``audio`` SurveyAudio, ``display`` SurveyDisplay, ``ups`` SurveyUPS, ``room``
SurveyRoom, and ``network`` reads Site.uplink (kind, bandwidth_mbps) and SurveyNetwork (the
others). In areas with several items (pc, camera, display) ``count`` is the total; a check on an
item the unit does not have fails.
"""

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Literal, Self, get_args

from pydantic import Field, model_validator

from tcd.model.base import InputModel
from tcd.model.site import UplinkKind
from tcd.model.survey import CameraKind, DisplayKind, StorageKind

Text = Annotated[str, Field(min_length=1)]
RequirementId = Annotated[str, Field(pattern=r"^RDY-[A-Z]+-[0-9]{3}$")]
ControlId = Annotated[str, Field(pattern=r"^TCD-[A-Z]+-[0-9]{3}$")]
PriceId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")]
# a registered role (roles/registry.py; the inventory loader checks it is one)
RoleName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")]


class Area(StrEnum):
    PC = "pc"
    CAMERA = "camera"
    AUDIO = "audio"
    DISPLAY = "display"
    NETWORK = "network"
    UPS = "ups"
    ROOM = "room"


class Level(StrEnum):
    """Both levels are gaps (the unit is not "Đạt"); the level is printed in the proposal so the
    Province can defer SHOULD items first."""

    MUST = "must"  # required for the room
    SHOULD = "should"  # recommended: reported and costed, the unit can start without it


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


# Each check kind accepts only fields of the type it can compare; which area a field belongs to
# is checked on the requirement (a Literal cannot depend on a sibling value).
NumericField = Literal[
    "count",
    "ram_gb",
    "storage_gb",
    "resolution_p",
    "size_inch",
    "bandwidth_mbps",
    "measured_mbps",
    "lan_ports_in_room",
    "capacity_va",
    "area_m2",
]
ChoiceField = Literal["storage_kind", "os", "kind"]
FlagField = Literal[
    "microphone",
    "speakers",
    "echo_cancelling",
    "present",
    "dedicated",
    "air_conditioned",
    "soundproofed",
]
DateField = Literal["year_purchased"]

AREA_FIELDS: dict[Area, frozenset[str]] = {
    Area.PC: frozenset({"count", "ram_gb", "storage_gb", "storage_kind", "os", "year_purchased"}),
    Area.CAMERA: frozenset({"count", "kind", "resolution_p"}),
    Area.AUDIO: frozenset({"microphone", "speakers", "echo_cancelling"}),
    Area.DISPLAY: frozenset({"count", "kind", "size_inch"}),
    Area.NETWORK: frozenset({"kind", "bandwidth_mbps", "measured_mbps", "lan_ports_in_room"}),
    Area.UPS: frozenset({"present", "capacity_va"}),
    Area.ROOM: frozenset({"dedicated", "area_m2", "air_conditioned", "soundproofed"}),
}

# Closed value sets: a one_of over these fields must use their spelling, so a requirement
# cannot silently never match ("SSD" vs "ssd"). Free-text fields (os) are matched by the evaluator.
CHOICES: dict[tuple[Area, str], type[StrEnum]] = {
    (Area.PC, "storage_kind"): StorageKind,
    (Area.CAMERA, "kind"): CameraKind,
    (Area.DISPLAY, "kind"): DisplayKind,
    (Area.NETWORK, "kind"): UplinkKind,
}


class MinValue(InputModel):
    kind: Literal["min_value"]
    field: NumericField
    value: Annotated[float, Field(ge=0)]


class MaxAge(InputModel):
    """Age is counted from the year of purchase to the survey date, not to today."""

    kind: Literal["max_age"]
    field: DateField
    years: Annotated[int, Field(ge=1, le=30)]


class OneOf(InputModel):
    kind: Literal["one_of"]
    field: ChoiceField
    values: Annotated[list[Text], Field(min_length=1)]


class Required(InputModel):
    """The flag must be true (an absent section counts as false)."""

    kind: Literal["required"]
    field: FlagField


Check = Annotated[MinValue | MaxAge | OneOf | Required, Field(discriminator="kind")]


class RemedyItem(InputModel):
    price: PriceId
    quantity: Annotated[int, Field(ge=1, le=100)] = 1


class Requirement(InputModel):
    id: RequirementId
    area: Area
    level: Level = Level.MUST
    blocking: bool = Field(
        default=False,
        description="a gap means no session can take place at all (the thing is missing): the"
        " unit is 'Chưa đáp ứng', and the area's other requirements are not assessed",
    )
    title: Text = Field(description="Vietnamese, as printed in the proposal")
    title_en: Text
    check: Check
    remedy: list[RemedyItem] = Field(
        default=[], description="what closes the gap; empty when money cannot (e.g. room size)"
    )
    source: Text

    @model_validator(mode="after")
    def _blocking_is_a_must(self) -> Self:
        if self.blocking and self.level is not Level.MUST:
            raise ValueError(f"{self.id}: a blocking requirement has level 'must'")
        return self

    @model_validator(mode="after")
    def _field_fits_area(self) -> Self:
        field = self.check.field
        if field not in AREA_FIELDS[self.area]:
            known = ", ".join(sorted(AREA_FIELDS[self.area]))
            raise ValueError(f"{self.id}: field '{field}' is not a {self.area} field ({known})")
        enum = CHOICES.get((self.area, field))
        if isinstance(self.check, OneOf) and enum is not None:
            allowed = {e.value for e in enum}
            bad = [v for v in self.check.values if v not in allowed]
            if bad:
                raise ValueError(
                    f"{self.id}: {bad} not among {self.area}.{field} values {sorted(allowed)}"
                )
        return self


class Repair(StrEnum):
    """What brings a failed control back."""

    ROLLOUT = "rollout"  # one `tcd rollout` repairs it
    MANUAL = "manual"  # a person decides (repair_reason says why); a rollout reports it


class Control(InputModel):
    id: ControlId
    title: Text = Field(description="English, as printed by `tcd verify`")
    title_vi: Text
    role: RoleName = Field(description="the role that promises it: its hosts are checked")
    severity: Severity
    repair: Repair
    repair_reason: Text | None = Field(
        default=None, description="why a rollout does not repair it (repair: manual only)"
    )
    source: Text

    @model_validator(mode="after")
    def _manual_says_why(self) -> Self:
        if (self.repair is Repair.MANUAL) != (self.repair_reason is not None):
            raise ValueError(f"{self.id}: repair_reason is given exactly when repair is manual")
        return self


class PriceItem(InputModel):
    id: PriceId
    title: Text
    title_en: Text
    unit: Text = Field(description="Vietnamese unit of count: bộ, chiếc, gói/năm")
    unit_price_vnd: Annotated[int, Field(gt=0, le=10_000_000_000)]
    recurring: bool = Field(default=False, description="a yearly cost, not a one-off purchase")


class CameraStream(InputModel):
    """The main stream every IP camera is set to (ONVIF video encoder configuration)."""

    encoding: Literal["H264"]
    width: Annotated[int, Field(gt=0, le=7680)]
    height: Annotated[int, Field(gt=0, le=4320)]
    fps: Annotated[int, Field(ge=1, le=60)]
    bitrate_kbps: Annotated[int, Field(ge=64, le=65_536)]
    gop: Annotated[int, Field(ge=1, le=600)] = Field(description="frames between key frames")


class CameraPolicy(InputModel):
    """What roles/ip_camera sets on every IP camera and the TCD-CAM controls check."""

    main_stream: CameraStream
    timezone: Text = Field(description="POSIX TZ string, as ONVIF takes it (ICT-7 for Vietnam)")
    plain_http: bool = Field(description="false: the camera's unencrypted HTTP port is closed")
    discovery: bool = Field(description="false: the camera does not answer WS-Discovery probes")
    lockout_attempts: Annotated[int, Field(ge=1, le=20)]
    lockout_window_s: Annotated[int, Field(ge=1, le=3600)]
    clock_tolerance_s: Annotated[float, Field(gt=0, le=60)]


def _duplicates(ids: Iterable[str]) -> list[str]:
    return sorted(i for i, n in Counter(ids).items() if n > 1)


class Baseline(InputModel):
    # Only VND today; the field exists so a total is never printed without its currency.
    currency: Literal["VND"]
    prices_as_of: dt.date
    readiness: Annotated[list[Requirement], Field(min_length=1)]
    controls: Annotated[list[Control], Field(min_length=1)]
    camera: CameraPolicy
    prices: Annotated[list[PriceItem], Field(min_length=1)]

    @model_validator(mode="after")
    def _ids_unique_and_resolved(self) -> Self:
        for part, ids in (
            ("readiness", [r.id for r in self.readiness]),
            ("controls", [c.id for c in self.controls]),
            ("prices", [p.id for p in self.prices]),
        ):
            if dup := _duplicates(ids):
                raise ValueError(f"{part}: duplicate id {', '.join(dup)}")
        known = {p.id for p in self.prices}
        for req in self.readiness:
            for item in req.remedy:
                if item.price not in known:
                    raise ValueError(f"{req.id}: remedy refers to unknown price id '{item.price}'")
        return self

    def price(self, price_id: str) -> PriceItem:
        """The catalogue entry for ``price_id``; KeyError names it when absent."""
        for item in self.prices:
            if item.id == price_id:
                return item
        raise KeyError(price_id)


# Checked at import (not by assert, which -O strips) so the literals and AREA_FIELDS cannot drift.
_TYPED = {f for lit in (NumericField, ChoiceField, FlagField, DateField) for f in get_args(lit)}
if set().union(*AREA_FIELDS.values()) != _TYPED:
    raise RuntimeError("AREA_FIELDS and the field literals of baseline checks disagree")
