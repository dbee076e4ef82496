"""Writing an xlsx workbook with libxlsxwriter, the C library of XlsxWriter's author (Debian
package libxlsxwriter4), through cffi: the few calls the readiness workbook needs.

A province's workbook has thousands of sheets and some 300,000 cells: XlsxWriter, in Python,
took 4.5-5 s of the 5 s the whole review may take, the C library takes about 2 s
(docs/benchmarks.md). The library copies every string it is given, so nothing passed to it has
to outlive the call; what it returns (workbook, sheets, formats) is freed by workbook_close(),
which is why a Workbook is only used inside its `with` block.
"""

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from cffi import FFI

LIBRARY = "libxlsxwriter.so.4"
PACKAGE = "libxlsxwriter4"
PATTERN_SOLID = 1  # lxw_format_patterns

# From the library's headers (xlsxwriter/workbook.h, worksheet.h, format.h, utility.h, 1.1.x).
_DECLARATIONS = """
typedef struct lxw_workbook lxw_workbook;
typedef struct lxw_worksheet lxw_worksheet;
typedef struct lxw_format lxw_format;
typedef int lxw_error;

lxw_workbook *workbook_new(const char *filename);
lxw_error workbook_validate_sheet_name(lxw_workbook *workbook, const char *sheetname);
lxw_worksheet *workbook_add_worksheet(lxw_workbook *workbook, const char *sheetname);
lxw_format *workbook_add_format(lxw_workbook *workbook);
lxw_error workbook_close(lxw_workbook *workbook);

void format_set_bold(lxw_format *format);
void format_set_num_format(lxw_format *format, const char *num_format);
void format_set_pattern(lxw_format *format, uint8_t index);
void format_set_bg_color(lxw_format *format, uint32_t color);

lxw_error worksheet_set_column(lxw_worksheet *worksheet, uint16_t first_col, uint16_t last_col,
                               double width, lxw_format *format);
lxw_error worksheet_write_string(lxw_worksheet *worksheet, uint32_t row, uint16_t col,
                                 const char *string, lxw_format *format);
lxw_error worksheet_write_number(lxw_worksheet *worksheet, uint32_t row, uint16_t col,
                                 double number, lxw_format *format);

char *lxw_strerror(lxw_error error_num);
"""

_ffi = FFI()
_ffi.cdef(_DECLARATIONS)


class XlsxError(Exception):
    """The library refused something (a sheet title, a cell) or could not write the file."""


@cache
def library() -> Any:
    """The loaded library; XlsxError naming the package when it is not installed."""
    try:
        return _ffi.dlopen(LIBRARY)
    except OSError:
        raise XlsxError(
            f"{LIBRARY} not found: install the Debian/Ubuntu package {PACKAGE} (./dev setup does)"
        ) from None


def _reason(error: int) -> str:
    return _ffi.string(library().lxw_strerror(error)).decode()


class Format:
    """A cell format, made by Workbook.format(); None in a write means the default format.
    It belongs to its workbook (the library frees it with it)."""

    def __init__(self, handle: Any, workbook: "Workbook") -> None:
        self.handle = handle
        self.workbook = workbook


class Cell(NamedTuple):
    """A value with its format (a bare value in a row has the default format)."""

    value: str | float | None
    style: Format | None


CellValue = str | float | None | Cell


class Sheet:
    """One worksheet; cells are written by row and column, counted from 0. A write after the
    workbook is closed raises (the library has freed the sheet)."""

    def __init__(self, workbook: "Workbook", handle: Any, title: str) -> None:
        self.title = title
        self._workbook = workbook
        self._handle = handle
        lib = library()  # looked up once: a province's workbook has 300,000 cells
        self._set_column = lib.worksheet_set_column
        self._string = lib.worksheet_write_string
        self._number = lib.worksheet_write_number

    def set_width(self, column: int, width: float) -> None:
        """Width in characters, as Excel shows it."""
        self._workbook.check_open()
        error = self._set_column(self._handle, column, column, width, _ffi.NULL)
        if error:
            raise self._error(error, None, column)

    def write_row(self, row: int, cells: Sequence["CellValue"]) -> None:
        """The cells of a row from its first column: text always as text ('=1+1' and
        'http://…' stay text), numbers as numbers, None left empty; a Cell has a format."""
        self._workbook.check_open()  # the library freed the sheet with its workbook
        book, string, number, handle = self._workbook, self._string, self._number, self._handle
        for column, cell in enumerate(cells):
            value, style = cell if type(cell) is Cell else (cell, None)
            if value is None:
                continue
            if style is None:
                fmt = _ffi.NULL
            elif style.workbook is book:
                fmt = style.handle
            else:
                raise XlsxError(f"sheet {self.title!r}: a format of another workbook")
            if isinstance(value, str):
                if "\0" in value:  # C would silently end the text there
                    raise XlsxError(f"sheet {self.title!r}, {_where(row, column)}: NUL in text")
                error = string(handle, row, column, value.encode(), fmt)
            else:
                error = number(handle, row, column, value, fmt)
            if error:
                raise self._error(error, row, column)

    def _error(self, error: int, row: int | None, column: int) -> XlsxError:
        return XlsxError(f"sheet {self.title!r}, {_where(row, column)}: {_reason(error)}")


def _where(row: int | None, column: int) -> str:
    return f"row {row + 1}, column {column + 1}" if row is not None else f"column {column + 1}"


class Workbook:
    """An xlsx file being written; see workbook()."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self._titles: set[str] = set()
        self.closed = False

    def check_open(self) -> None:
        if self.closed:
            raise XlsxError("the workbook is closed")

    def format(
        self, *, bold: bool = False, fill: str | None = None, num_format: str | None = None
    ) -> Format:
        """A format; `fill` is a solid background colour as 'RRGGBB'."""
        self.check_open()
        lib = library()
        handle = lib.workbook_add_format(self._handle)
        if bold:
            lib.format_set_bold(handle)
        if fill is not None:
            lib.format_set_pattern(handle, PATTERN_SOLID)
            lib.format_set_bg_color(handle, int(fill.removeprefix("#"), 16))
        if num_format is not None:
            lib.format_set_num_format(handle, num_format.encode())
        return Format(handle, self)

    def sheet(self, title: str) -> Sheet:
        """A new sheet at the end. Excel compares titles ignoring case (in any script); the
        library only ignores ASCII case, so a title differing in case only is refused here."""
        self.check_open()
        lib = library()
        if title.casefold() in self._titles:
            raise XlsxError(f"sheet title {title!r} is already used (case is ignored)")
        name = title.encode()
        # validated first: the library would print its own warning on stderr when refusing
        error = lib.workbook_validate_sheet_name(self._handle, name)
        if error:
            raise XlsxError(f"sheet title {title!r}: {_reason(error)}")
        handle = lib.workbook_add_worksheet(self._handle, name)
        if handle == _ffi.NULL:
            raise XlsxError(f"sheet title {title!r}: the library refused it")
        self._titles.add(title.casefold())
        return Sheet(self, handle, title)

    def close(self) -> None:
        """Write the file and free everything; the workbook cannot be used afterwards."""
        if self.closed:
            return
        handle, self._handle, self.closed = self._handle, None, True
        error = library().workbook_close(handle)
        if error:
            raise XlsxError(f"writing the workbook: {_reason(error)}")


@contextmanager
def workbook(path: Path) -> Iterator[Workbook]:
    """A workbook written to `path` when the block ends (or earlier, by close()). When the
    block raises, the file is written as far as it got, to free the library's memory: give a
    temporary path."""
    handle = library().workbook_new(os.fsencode(path))
    if handle == _ffi.NULL:
        raise XlsxError(f"{path}: cannot create the workbook")
    book = Workbook(handle)
    try:
        yield book
    except BaseException:
        with suppress(XlsxError):
            book.close()
        raise
    book.close()
