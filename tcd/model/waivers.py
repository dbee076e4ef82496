"""inventory/waivers.yml: accepted exceptions to the baseline, each justified and time-limited.

A waiver turns one control's failure on one site (or one host) into "waived"; after its expiry
date it no longer applies and the failure counts again (and the report says it expired).
"""

import datetime as dt
from typing import Annotated, Self

from pydantic import Field, model_validator

from tcd.model.base import InputModel
from tcd.model.baseline import ControlId
from tcd.model.site import AdminCode


class Waiver(InputModel):
    control: ControlId
    site: AdminCode | None = None
    host: Annotated[str, Field(pattern=r"^tcd-[a-z0-9-]+$")] | None = None
    justification: Annotated[str, Field(min_length=10)]
    expires: dt.date = Field(description="the last day the waiver applies")
    approved_by: str | None = None

    @model_validator(mode="after")
    def _site_or_host(self) -> Self:
        if (self.site is None) == (self.host is None):
            raise ValueError("give exactly one of site or host")
        return self

    def covers(self, control: str, site: int | None, host: str) -> bool:
        return self.control == control and (
            self.host == host or (site is not None and self.site == site)
        )

    def active(self, today: dt.date) -> bool:
        return today <= self.expires


class Waivers(InputModel):
    waivers: list[Waiver] = []
