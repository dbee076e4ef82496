"""The official register of admin units (inventory/admin_units.csv), the list codes must come from.

It is a copy of the province's published list (shared/data/dongnai_units.csv when this project
started); update it when the State changes a unit, never from a survey.
"""

import csv
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, ValidationError

from tcd.loading.problems import Problem
from tcd.model.base import InputModel
from tcd.model.site import AdminCode, UnitType

REGISTER_FILE = "admin_units.csv"


def _split_semicolons(value: object) -> object:
    return (
        [part.strip() for part in value.split(";") if part.strip()]
        if isinstance(value, str)
        else value
    )


def _split_commas(value: object) -> object:
    return (
        [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, str)
        else value
    )


class AdminUnit(InputModel):
    code: AdminCode
    name: str
    type: UnitType
    name_2025: str
    type_2025: UnitType
    former_districts: Annotated[list[str], BeforeValidator(_split_semicolons)]
    merged_from: Annotated[list[str], BeforeValidator(_split_commas)]


def read_register(path: Path) -> tuple[dict[int, AdminUnit], list[Problem]]:
    units: dict[int, AdminUnit] = {}
    problems: list[Problem] = []
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                line = reader.line_num
                try:
                    unit = AdminUnit.model_validate(row)
                except ValidationError as exc:
                    problems.extend(
                        Problem(path, line, ".".join(map(str, e["loc"])), e["msg"])
                        for e in exc.errors()
                    )
                    continue
                if unit.code in units:
                    problems.append(Problem(path, line, "code", f"code {unit.code} listed twice"))
                units[unit.code] = unit
    except FileNotFoundError:
        problems.append(Problem(path, 1, "", "the official register of admin units is missing"))
    except UnicodeDecodeError as exc:
        problems.append(Problem(path, 1, "", f"not UTF-8 ({exc.reason})"))
    return units, problems
