"""inventory/waves.yml: the rollout order. The pilot comes first (item 3 of letter 5896)."""

import re
from typing import Annotated

from pydantic import BeforeValidator, Field

from tcd.model.base import InputModel
from tcd.model.site import AdminCode

PERCENT = re.compile(r"^(\d{1,3})%$")


def batch_size(value: object) -> int | str:
    """A count ≥ 1 or a percentage "1%"…"100%" (as waves.yml and --batch write them)."""
    if isinstance(value, bool):
        raise ValueError("a batch size is a count or a percentage, e.g. 5 or 25%")
    if isinstance(value, int):
        if value < 1:
            raise ValueError(f"a batch has at least 1 site (got {value})")
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return batch_size(int(text))
        match = PERCENT.match(text)
        if match and 1 <= int(match.group(1)) <= 100:
            return text
    raise ValueError(f"a batch size is a count ≥ 1 or a percentage 1%…100% (got {value!r})")


BatchSize = Annotated[int | str, BeforeValidator(batch_size)]


class Wave(InputModel):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
    title: str
    rationale: str
    sites: Annotated[list[AdminCode], Field(min_length=1)]
    # as Ansible's `serial`: sizes or percentages of the wave, the last repeating; the first
    # batch is the canary. Empty: the wave goes in one batch (`--batch` overrides).
    batches: list[BatchSize] = []


class Waves(InputModel):
    waves: Annotated[list[Wave], Field(min_length=1)]
