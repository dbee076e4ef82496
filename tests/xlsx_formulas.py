"""Recalculating a workbook's formulas as Excel would, for the few functions the readiness
workbook uses (SUM, COUNT, COUNTIF(S), SUMIF(S), + and *), so the tests can prove what a
formula computes: that it gives the figure saved with it, and follows an edited cell. No
spreadsheet program is needed; any other function fails the test loudly."""

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import range_boundaries

REFERENCE = re.compile(
    r"(?:'(?P<quoted>(?:[^']|'')+)'!|(?P<plain>[A-Za-z_][\w.]*)!)?"
    r"\$?(?P<col>[A-Z]{1,3})\$?(?P<row>\d+)(?::\$?(?P<col2>[A-Z]{1,3})\$?(?P<row2>\d+))?"
)
STRING = re.compile(r'"((?:[^"]|"")*)"')
FUNCTIONS = {"SUM", "COUNT", "COUNTIF", "COUNTIFS", "SUMIF", "SUMIFS"}


class Recalculation:
    """Every formula of a workbook read with openpyxl (data_only=False), recalculated."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.value = cache(self._value)

    def _value(self, sheet: str, cell: str) -> Any:
        raw = self.book[sheet][cell].value
        if isinstance(raw, str) and raw.startswith("="):
            return self._evaluate(sheet, raw[1:])
        return raw

    def _range(self, sheet: str, first: str, last: str) -> list[Any]:
        low_col, low_row, high_col, high_row = range_boundaries(f"{first}:{last}")
        cells = self.book[sheet].iter_rows(low_row, high_row, low_col, high_col)
        return [self.value(sheet, cell.coordinate) for row in cells for cell in row]

    def _evaluate(self, sheet: str, formula: str) -> Any:
        strings: list[str] = []

        def keep_string(match: re.Match[str]) -> str:
            strings.append(match.group(1).replace('""', '"'))
            return f"__s[{len(strings) - 1}]"

        code = STRING.sub(keep_string, formula)
        names = set(re.findall(r"\b([A-Z]+)\(", code))
        unknown = names - FUNCTIONS
        assert not unknown, f"{sheet}: a function the test cannot recalculate: {unknown}"

        def reference(match: re.Match[str]) -> str:
            target = match["quoted"] or match["plain"]
            target = target.replace("''", "'") if target else sheet
            first = f"{match['col']}{match['row']}"
            if match["col2"]:
                return f"__r({target!r}, {first!r}, '{match['col2']}{match['row2']}')"
            return f"__c({target!r}, {first!r})"

        code = REFERENCE.sub(reference, code)
        scope: dict[str, Callable[..., Any] | list[str]] = {
            "__s": strings,
            "__r": self._range,
            "__c": self.value,
            "SUM": lambda values: sum(v for v in _cells(values) if isinstance(v, int | float)),
            "COUNT": lambda values: sum(isinstance(v, int | float) for v in _cells(values)),
            "COUNTIF": _countifs,
            "COUNTIFS": _countifs,
            "SUMIF": lambda values, criterion, amounts: _sumifs(amounts, values, criterion),
            "SUMIFS": _sumifs,
        }
        # eval of the test's own workbook's formulas, turned into calls of the functions above
        return eval(code, {"__builtins__": {}}, scope)


def _meets(value: Any, criterion: Any) -> bool:
    """Excel's criterion: '<>text' is anything else (empty cells included); otherwise equal,
    text compared regardless of case."""
    if isinstance(criterion, str) and criterion.startswith("<>"):
        return not _meets(value, criterion[2:])
    if isinstance(criterion, str):
        return isinstance(value, str) and value.casefold() == criterion.casefold()
    return value == criterion


def _cells(values: Any) -> list[Any]:
    """A range's values; a range of one cell is that cell ('$I$9', not '$I$9:$I$9')."""
    return values if isinstance(values, list) else [values]


def _countifs(*pairs: Any) -> int:
    ranges, criteria = [_cells(r) for r in pairs[0::2]], pairs[1::2]
    return sum(
        all(_meets(r[i], c) for r, c in zip(ranges, criteria, strict=True))
        for i in range(len(ranges[0]))
    )


def _sumifs(amounts: Any, *pairs: Any) -> float:
    ranges, criteria = [_cells(r) for r in pairs[0::2]], pairs[1::2]
    return sum(
        amount
        for i, amount in enumerate(_cells(amounts))
        if isinstance(amount, int | float)
        and all(_meets(r[i], c) for r, c in zip(ranges, criteria, strict=True))
    )
