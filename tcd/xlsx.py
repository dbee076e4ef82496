"""A streaming xlsx writer for large generated workbooks: thousands of sheets and hundreds of
thousands of cells in about a second.

openpyxl, even in write-only mode, costs ~100 µs a cell (a cell object, its style objects, an
XML element serialised in pure Python) and checks every new sheet's title against all the
others: the 3,321-unit readiness workbook took ~40 s (docs/benchmarks.md). This writes the
SpreadsheetML parts directly and supports only what the generated reports use: text and
numbers, a few cell styles (bold, a solid fill, a number format), column widths. Reading
workbooks stays with openpyxl, which the tests use to read these back.

The XML here is file format, not report text: the words of a report stay with the report.
"""

import io
import re
import zipfile
from collections.abc import Iterable
from functools import cache
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

MAX_TITLE = 31
MAX_COLUMNS = 16_384
FIRST_CUSTOM_FORMAT = 164  # ids below are Excel's built-in number formats
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
SPREADSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
FORBIDDEN_IN_TITLE = re.compile(r"[\[\]:*?/\\]")
# characters XML 1.0 cannot carry at all (tab, newline and carriage return it can)
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Style(NamedTuple):
    # a tuple, not a dataclass: hashed for every styled cell, and tuples hash in C
    bold: bool = False
    fill: str | None = None  # RGB hex of a solid background, e.g. "DDEBF7"
    number_format: str | None = None  # e.g. '#,##0 "₫"'


class Cell(NamedTuple):
    """A value with a style; a plain value in a row has the default style."""

    value: str | int | float | None
    style: Style


Value = str | int | float | None | Cell


@cache
def column_letter(index: int) -> str:
    """'A' for 1, 'AA' for 27."""
    if not 1 <= index <= MAX_COLUMNS:
        raise ValueError(f"column {index} is outside 1..{MAX_COLUMNS}")
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


class Sheet:
    """Rows are serialised as they are appended; nothing is kept per cell."""

    def __init__(self, book: "XlsxBook", title: str, widths: Iterable[float]) -> None:
        self.title = title
        self._book = book
        self._widths = tuple(widths)
        self._rows: list[str] = []
        self._row = 0

    def append(self, row: Iterable[Value]) -> None:
        # the hot path of a large workbook: type() over isinstance, no per-cell objects
        self._row += 1
        number = str(self._row)
        book = self._book
        cells = []
        for column, item in enumerate(row, start=1):
            kind = type(item)
            if kind is Cell:
                value, style = item.value, book.style_id(item.style)  # type: ignore[union-attr]
                kind = type(value)
            elif item is None:
                continue
            else:
                value, style = item, 0
            ref = column_letter(column) + number
            styled = f' s="{style}"' if style else ""
            if kind is str:
                cells.append(f'<c r="{ref}"{styled} t="s"><v>{book.string_id(value)}</v></c>')
            elif kind is int or kind is float:
                cells.append(f'<c r="{ref}"{styled}><v>{value!r}</v></c>')
            elif value is None:
                cells.append(f'<c r="{ref}"{styled}/>')
            else:
                cells.append(self._other_cell(ref, styled, value))
        if cells:
            self._rows.append(f'<row r="{number}">{"".join(cells)}</row>')

    def _other_cell(self, ref: str, styled: str, value: object) -> str:
        """bool, and subclasses of str, int and float (a StrEnum is written as its text)."""
        if isinstance(value, bool):
            return f'<c r="{ref}"{styled} t="b"><v>{int(value)}</v></c>'
        if isinstance(value, str):
            return f'<c r="{ref}"{styled} t="s"><v>{self._book.string_id(str(value))}</v></c>'
        if isinstance(value, int | float):
            plain = int(value) if isinstance(value, int) else float(value)
            return f'<c r="{ref}"{styled}><v>{plain!r}</v></c>'
        raise TypeError(f"cannot write a {type(value).__name__} to a cell: {value!r}")

    def xml(self) -> str:
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>'
            for i, width in enumerate(self._widths, start=1)
        )
        return "".join(
            (
                DECLARATION,
                f'<worksheet xmlns="{MAIN_NS}">',
                f"<cols>{cols}</cols>" if cols else "",
                "<sheetData>",
                *self._rows,
                "</sheetData></worksheet>",
            )
        )


class XlsxBook:
    def __init__(self) -> None:
        self.sheets: list[Sheet] = []
        self._titles: set[str] = set()
        self._strings: dict[str, int] = {}
        self._string_uses = 0
        self._styles: dict[Style, int] = {Style(): 0}

    def add_sheet(self, title: str, widths: Iterable[float] = ()) -> Sheet:
        """A new sheet after the others; `widths` are the first columns' widths in characters."""
        if not title or len(title) > MAX_TITLE or FORBIDDEN_IN_TITLE.search(title):
            raise ValueError(f"invalid sheet title {title!r}: 1 to 31 characters, none of []:*?/\\")
        if title.startswith("'") or title.endswith("'"):
            raise ValueError(f"invalid sheet title {title!r}: Excel refuses ' at either end")
        if title.casefold() in self._titles:  # Excel compares titles case-insensitively
            raise ValueError(f"two sheets titled {title!r}")
        self._titles.add(title.casefold())
        sheet = Sheet(self, title, widths)
        self.sheets.append(sheet)
        return sheet

    def string_id(self, text: str) -> int:
        self._string_uses += 1
        found = self._strings.get(text)
        if found is None:
            if ILLEGAL.search(text):
                raise ValueError(f"{text!r} has a control character XML cannot carry")
            found = self._strings[text] = len(self._strings)
        return found

    def style_id(self, style: Style) -> int:
        return self._styles.setdefault(style, len(self._styles))

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        # level 1: the workbook is rewritten on every run; level 6 only saves ~15% more
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
            package.writestr("[Content_Types].xml", self._content_types())
            package.writestr("_rels/.rels", _relationships([("officeDocument", "xl/workbook.xml")]))
            package.writestr("xl/workbook.xml", self._workbook())
            parts = [
                ("worksheet", f"worksheets/sheet{i}.xml") for i in range(1, len(self.sheets) + 1)
            ]
            parts += [("styles", "styles.xml"), ("sharedStrings", "sharedStrings.xml")]
            package.writestr("xl/_rels/workbook.xml.rels", _relationships(parts))
            package.writestr("xl/styles.xml", self._stylesheet())
            package.writestr("xl/sharedStrings.xml", self._shared_strings())
            for number, sheet in enumerate(self.sheets, start=1):
                package.writestr(f"xl/worksheets/sheet{number}.xml", sheet.xml())
        return buffer.getvalue()

    def _content_types(self) -> str:
        overrides = [
            ("/xl/workbook.xml", "sheet.main+xml"),
            ("/xl/styles.xml", "styles+xml"),
            ("/xl/sharedStrings.xml", "sharedStrings+xml"),
            *(
                (f"/xl/worksheets/sheet{i}.xml", "worksheet+xml")
                for i in range(1, len(self.sheets) + 1)
            ),
        ]
        return "".join(
            (
                DECLARATION,
                f'<Types xmlns="{CONTENT_NS}">',
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                'relationships+xml"/>',
                '<Default Extension="xml" ContentType="application/xml"/>',
                *(
                    f'<Override PartName="{part}" ContentType="{SPREADSHEET_TYPE}.{kind}"/>'
                    for part, kind in overrides
                ),
                "</Types>",
            )
        )

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name={quoteattr(sheet.title)} sheetId="{i}" r:id="rId{i}"/>'
            for i, sheet in enumerate(self.sheets, start=1)
        )
        namespaces = f'xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"'
        return f"{DECLARATION}<workbook {namespaces}><sheets>{sheets}</sheets></workbook>"

    def _shared_strings(self) -> str:
        items = []
        for text in self._strings:  # in the order of their ids
            space = ' xml:space="preserve"' if text != text.strip() else ""
            items.append(f"<si><t{space}>{escape(text)}</t></si>")
        return "".join(
            (
                DECLARATION,
                f'<sst xmlns="{MAIN_NS}" count="{self._string_uses}" uniqueCount="{len(items)}">',
                *items,
                "</sst>",
            )
        )

    def _stylesheet(self) -> str:
        formats = list(dict.fromkeys(s.number_format for s in self._styles if s.number_format))
        format_ids = {f: FIRST_CUSTOM_FORMAT + i for i, f in enumerate(formats)}
        fills = list(dict.fromkeys(s.fill for s in self._styles if s.fill))
        # fills 0 and 1 are reserved by Excel (none, gray125)
        fill_ids = {f: 2 + i for i, f in enumerate(fills)}
        xfs = []
        for style in self._styles:  # in the order of their ids
            number = format_ids.get(style.number_format, 0) if style.number_format else 0
            fill = fill_ids[style.fill] if style.fill else 0
            applied = (
                (' applyNumberFormat="1"' if number else "")
                + (' applyFont="1"' if style.bold else "")
                + (' applyFill="1"' if fill else "")
            )
            xfs.append(
                f'<xf numFmtId="{number}" fontId="{int(style.bold)}" fillId="{fill}" '
                f'borderId="0" xfId="0"{applied}/>'
            )
        font = '<sz val="11"/><name val="Calibri"/><family val="2"/>'
        return "".join(
            (
                DECLARATION,
                f'<styleSheet xmlns="{MAIN_NS}">',
                f'<numFmts count="{len(formats)}">' if formats else "",
                *(
                    f'<numFmt numFmtId="{format_ids[f]}" formatCode={quoteattr(f)}/>'
                    for f in formats
                ),
                "</numFmts>" if formats else "",
                f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>',
                f'<fills count="{2 + len(fills)}">',
                '<fill><patternFill patternType="none"/></fill>',
                '<fill><patternFill patternType="gray125"/></fill>',
                *(
                    f'<fill><patternFill patternType="solid"><fgColor rgb="FF{f}"/>'
                    '<bgColor indexed="64"/></patternFill></fill>'
                    for f in fills
                ),
                "</fills>",
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
                "</borders>",
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
                "</cellStyleXfs>",
                f'<cellXfs count="{len(xfs)}">',
                *xfs,
                "</cellXfs>",
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
                "</cellStyles>",
                "</styleSheet>",
            )
        )


def _relationships(targets: list[tuple[str, str]]) -> str:
    return "".join(
        (
            DECLARATION,
            f'<Relationships xmlns="{PACKAGE_REL_NS}">',
            *(
                f'<Relationship Id="rId{i}" Type="{REL_NS}/{kind}" Target="{target}"/>'
                for i, (kind, target) in enumerate(targets, start=1)
            ),
            "</Relationships>",
        )
    )
