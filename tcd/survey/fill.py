"""Filling a survey workbook from data, as a clerk would type it: the demo workbooks
(scripts/make_survey_demo.py) and the tests use it. The inverse of reader.py."""

from collections.abc import Mapping
from typing import Any

from openpyxl.workbook.workbook import Workbook

from tcd.survey.layout import FORMS, TABLES


def fill(workbook: Workbook, answers: Mapping[str, Any]) -> None:
    """Type `answers` into the workbook's answer cells. `answers` is shaped like the site file
    (``{"survey": {"date": …, "pcs": [{…}], "room": {…}}, "uplink": {…}}``); values are
    typed as given ("8 GB", "Có", 1080), keys the layout does not know raise KeyError."""
    for form in FORMS:
        for answer in form.answers:
            value = _at(answers, answer.target)
            if value is not None:
                workbook[form.title][form.cell(*answer.target)] = value
    for table in TABLES:
        items = _at(answers, table.target) or []
        if len(items) > table.rows:
            raise ValueError(f"{table.title}: {len(items)} rows, the sheet has {table.rows}")
        for index, item in enumerate(items):
            for key, value in item.items():
                workbook[table.title][table.cell(key, index)] = value


def _at(answers: Mapping[str, Any], target: tuple[str, ...]) -> Any:
    node: Any = answers
    for part in target:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node
