"""inventory/waves.yml: the rollout order. The pilot comes first (item 3 of letter 5896)."""

from typing import Annotated

from pydantic import Field

from tcd.model.base import InputModel
from tcd.model.site import AdminCode


class Wave(InputModel):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
    title: str
    rationale: str
    sites: Annotated[list[AdminCode], Field(min_length=1)]


class Waves(InputModel):
    waves: Annotated[list[Wave], Field(min_length=1)]
