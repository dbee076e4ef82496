"""tcd.xlsx writes workbooks that a reader (openpyxl) opens with their values, styles and
column widths, and refuses what Excel would refuse."""

import io
from enum import IntEnum

import openpyxl
import pytest

from tcd.readiness.assess import Status
from tcd.xlsx import Cell, Style, XlsxBook, column_letter

MONEY = Style(number_format='#,##0 "₫"')
HEADER = Style(bold=True, fill="DDEBF7")


class Level(IntEnum):
    TWO = 2


def read_back(book: XlsxBook) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(book.to_bytes()))


def test_values_styles_and_widths_are_read_back():
    book = XlsxBook()
    sheet = book.add_sheet("Tổng hợp", widths=(6, 28.5))
    sheet.append([Cell("Mã", HEADER), Cell("Đơn vị", HEADER)])
    sheet.append([])
    sheet.append([26380, "Long Hưng & <Phước>", Cell(40_700_000, MONEY), 1.5, None, True])
    sheet.append([" lề ", None, Cell(None, HEADER), Status.READY, Level.TWO])
    other = book.add_sheet("26380 Long Hưng")
    other.append(["Long Hưng & <Phước>"])

    workbook = read_back(book)
    assert workbook.sheetnames == ["Tổng hợp", "26380 Long Hưng"]
    first = workbook["Tổng hợp"]
    assert list(first.iter_rows(values_only=True)) == [
        ("Mã", "Đơn vị", None, None, None, None),
        (None,) * 6,
        (26380, "Long Hưng & <Phước>", 40_700_000, 1.5, None, True),
        (" lề ", None, None, "Đạt", 2, None),
    ]
    assert first["A1"].font.b and first["A1"].fill.fgColor.rgb == "FFDDEBF7"
    assert not first["A3"].font.b and first["A3"].number_format == "General"
    assert first["C3"].number_format == '#,##0 "₫"'
    assert first["C4"].font.b  # a styled empty cell keeps its style
    assert first.column_dimensions["A"].width == 6
    assert first.column_dimensions["B"].width == 28.5
    assert workbook["26380 Long Hưng"]["A1"].value == "Long Hưng & <Phước>"


def test_an_empty_book_of_empty_sheets_opens():
    book = XlsxBook()
    book.add_sheet("Trống")
    assert read_back(book).sheetnames == ["Trống"]


@pytest.mark.parametrize("title", ["", "a" * 32, "a/b", "[x]", "'quoted'", "TRỐNG"])
def test_titles_excel_refuses_are_refused(title):
    book = XlsxBook()
    book.add_sheet("trống")
    with pytest.raises(ValueError, match="sheet"):
        book.add_sheet(title)


def test_what_a_cell_cannot_hold_is_refused():
    sheet = XlsxBook().add_sheet("x")
    with pytest.raises(TypeError):
        sheet.append([object()])
    with pytest.raises(ValueError, match="control character"):
        sheet.append(["bell\x07"])


def test_column_letters():
    assert [column_letter(i) for i in (1, 26, 27, 52, 703, 16_384)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "AAA",
        "XFD",
    ]
    with pytest.raises(ValueError):
        column_letter(0)
