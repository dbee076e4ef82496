"""What clerks really type, turned into the values the models take.

"8GB", "8 GB", "8,0" are 8; "1.000 VA" is 1000; "Win 10" is "Windows 10"; "co", "Có ", "x"
are yes; a choice matches with or without diacritics. Anything else raises CellError with a
reason in Vietnamese and in English. Limits (RAM > 0, a display ≤ 300") are not checked here:
the pydantic models decide those.
"""

import datetime as dt
import re
import unicodedata
from functools import cache
from typing import Any

from tcd.survey.layout import TEXT_MAX, YES_NO, Answer, Kind
from tcd.text import match_key


class CellError(ValueError):
    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi = vi
        self.en = en


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_answer(value: Any, data_type: str, answer: Answer, today: dt.date) -> Any:
    """The value to write for one cell, None for a blank one; CellError when it can't be read.
    `data_type` is openpyxl's: 'f' a formula, 'e' an error value such as #N/A."""
    if data_type == "f":
        raise CellError(
            "ô chứa công thức, hãy nhập trực tiếp giá trị",
            "the cell holds a formula; type the value itself",
        )
    if data_type == "e":
        raise CellError(f"ô báo lỗi {value}", f"the cell shows an error value ({value})")
    if is_blank(value):
        return None
    match answer.kind:
        case Kind.TEXT:
            return read_text(value)
        case Kind.OS:
            return canonical_os(read_text(value))
        case Kind.INT | Kind.DECIMAL:
            return read_number(value, answer.units, integer=answer.kind is Kind.INT)
        case Kind.YESNO:
            return read_yes_no(value)
        case Kind.CHOICE:
            return read_choice(value, answer)
        case Kind.DATE:
            return read_date(value, today)
        case Kind.YEAR:
            return read_year(value)
        case Kind.RESOLUTION:
            return read_resolution(value, answer)
    raise AssertionError(answer.kind)


def read_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(unicodedata.normalize("NFC", str(value)).split())
    if len(text) > TEXT_MAX:
        raise CellError(
            f"quá dài ({len(text)} ký tự, tối đa {TEXT_MAX})",
            f"too long ({len(text)} characters, at most {TEXT_MAX})",
        )
    return text


_NUMBER = re.compile(r"^(?P<number>[-+]?[0-9][0-9.,]*)\s*(?P<unit>.*)$")


def read_number(value: Any, units: dict[str, float], integer: bool) -> int | float:
    if isinstance(value, bool):
        raise CellError("không phải là số", f"not a number ({value!r})")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = unicodedata.normalize("NFC", str(value)).strip()
        match = _NUMBER.match(text)
        if match is None:
            raise CellError(f"không phải là số: {text!r}", f"not a number: {text!r}")
        unit = match_key(match["unit"]) if match["unit"] else ""
        if unit not in units:
            known = ", ".join(u for u in units if u) or "không có đơn vị"
            raise CellError(
                f"đơn vị {match['unit']!r} không nhận ra (dùng: {known})",
                f"unknown unit {match['unit']!r} (use: {known or 'none'})",
            )
        number = _parse_digits(match["number"], integer) * units[unit]
    if integer and not number.is_integer():
        raise CellError(
            f"phải là số nguyên, không phải {number:g}", f"must be a whole number, not {number:g}"
        )
    return int(number) if number.is_integer() else number


def _parse_digits(digits: str, integer: bool) -> float:
    """Vietnamese writes 1.000 for a thousand and 8,5 for eight and a half; both are accepted.
    With both marks, the last one is the decimal mark. A lone mark followed by groups of three
    digits in a whole-number field groups thousands."""
    if "." in digits and "," in digits:
        decimal = "." if digits.rindex(".") > digits.rindex(",") else ","
        thousands = "," if decimal == "." else "."
        digits = digits.replace(thousands, "").replace(decimal, ".")
    elif integer and re.fullmatch(r"[-+]?[0-9]{1,3}([.,][0-9]{3})+", digits):
        digits = digits.replace(".", "").replace(",", "")
    else:
        digits = digits.replace(",", ".")
    try:
        return float(digits)
    except ValueError:
        raise CellError(f"không phải là số: {digits!r}", f"not a number: {digits!r}") from None


def read_yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    found = YES_NO.lookup(str(value))
    if found is None:
        raise CellError(
            f"hãy chọn Có hoặc Không (đã ghi {str(value).strip()!r})",
            f"choose Có (yes) or Không (no), not {str(value).strip()!r}",
        )
    return found == "true"


def read_choice(value: Any, answer: Answer) -> str:
    assert answer.choice is not None
    found = answer.choice.lookup(str(value))
    if found is None:
        labels = ", ".join(answer.choice.labels)
        raise CellError(
            f"{str(value).strip()!r} không có trong danh sách ({labels})",
            f"{str(value).strip()!r} is not one of the choices ({labels})",
        )
    return str(found)


_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")


def read_date(value: Any, today: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        date = value.date()
    elif isinstance(value, dt.date):
        date = value
    else:
        text = str(value).strip()
        for form in _DATE_FORMATS:
            try:
                date = dt.datetime.strptime(text, form).date()
                break
            except ValueError:
                continue
        else:
            raise CellError(
                f"ngày không hợp lệ: {text!r} (ghi ngày/tháng/năm, ví dụ 05/10/2025)",
                f"not a valid date: {text!r} (write day/month/year, e.g. 05/10/2025)",
            )
    if date > today:
        raise CellError(
            f"ngày khảo sát {date:%d/%m/%Y} ở tương lai",
            f"the survey date {date.isoformat()} is in the future",
        )
    return date


def read_year(value: Any) -> int:
    if isinstance(value, dt.date):
        return value.year
    year = read_number(value, {"": 1}, integer=True)
    if not 1000 <= year <= 9999:
        raise CellError(
            f"năm phải đủ 4 chữ số, ví dụ 2019 (đã ghi {year})",
            f"a year has 4 digits, e.g. 2019 (got {year})",
        )
    return int(year)


def read_resolution(value: Any, answer: Answer) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return read_number(value, {"": 1}, integer=True)  # type: ignore[return-value]
    assert answer.choice is not None
    named = answer.choice.lookup(str(value))
    if named is not None:
        return int(named)
    try:
        return read_number(value, {"": 1, "p": 1}, integer=True)  # type: ignore[return-value]
    except CellError:
        raise CellError(
            f"độ phân giải {str(value).strip()!r} không nhận ra (ví dụ 720p, 1080p, 4K)",
            f"unknown resolution {str(value).strip()!r} (e.g. 720p, 1080p, 4K)",
        ) from None


_WINDOWS = re.compile(r"^(?:microsoft )?win(?:dows)? ?(?P<version>[0-9]+|xp|vista)(?P<rest>.*)$")
_UBUNTU = re.compile(r"^ubuntu ?(?P<version>[0-9]{2}\.[0-9]{2})(?: ?lts)?(?P<rest>.*)$")
_DEBIAN = re.compile(r"^debian ?(?P<version>[0-9]+)(?P<rest>.*)$")


@cache  # a few spellings recur in thousands of surveys
def canonical_os(text: str) -> str:
    """One spelling per system, so the baseline's list of supported systems can be matched:
    'win 10 pro' -> 'Windows 10 Pro', 'ubuntu 22.04' -> 'Ubuntu 22.04 LTS' (an LTS release:
    even year, April), 'debian12' -> 'Debian 12'. Anything else is kept as typed."""
    key = match_key(text)
    if match := _WINDOWS.match(key):
        version = match["version"].upper() if match["version"] == "xp" else match["version"]
        return _joined("Windows", version.title() if version == "vista" else version, match)
    if match := _UBUNTU.match(key):
        version = match["version"]
        lts = version.endswith(".04") and int(version[:2]) % 2 == 0
        return _joined("Ubuntu", f"{version} LTS" if lts else version, match)
    if match := _DEBIAN.match(key):
        return _joined("Debian", match["version"], match)
    return text


def _joined(name: str, version: str, match: re.Match[str]) -> str:
    rest = " ".join(word.capitalize() for word in match["rest"].split())
    return " ".join(part for part in (name, version, rest) if part)
