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

from tcd.survey.layout import PLAIN, TEXT_MAX, YES_NO, Answer, Kind
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
        # the reader passes a formula's computed value instead; this is one never computed
        raise CellError(
            "ô chứa công thức chưa được tính ra giá trị, hãy nhập trực tiếp giá trị",
            "the cell holds a formula with no computed value; type the value itself",
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
            return read_number(
                value,
                answer.units,
                integer=answer.kind is Kind.INT,
                words=answer.words,
                plausible=answer.plausible_range(),
            )
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


_NUMBER = re.compile(r"^(?P<sign>[-+]?)(?P<digits>[0-9][0-9.,]*)\s*(?P<unit>.*)$")
# The two ways of writing 1234.5: Vietnamese "1.234,5" ('.' groups thousands, ',' is the
# decimal mark) and the one Excel and phones use elsewhere, "1,234.5".
_VIETNAMESE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?|[0-9]+(?:,[0-9]+)?")
_OTHER = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?")
_QUOTES = str.maketrans({"”": '"', "“": '"', "″": '"', "’": "'", "′": "'"})


def read_number(
    value: Any,
    units: dict[str, float],
    integer: bool,
    words: frozenset[str] = frozenset(),
    plausible: tuple[float | None, float | None] = (None, None),
) -> int | float:
    """A number as Vietnamese writes it ("1.000" is a thousand, "8,5" eight and a half), with
    one of `units` and then any of `words` ("8 GB DDR4"). Where the two conventions read the
    text differently ("1.500", "1,500"), a whole-number field takes the thousands; a decimal
    field takes the Vietnamese reading when it is `plausible`, and refuses the text as
    ambiguous when only the other reading is."""
    if isinstance(value, bool):
        raise CellError("không phải là số", f"not a number ({value!r})")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = unicodedata.normalize("NFC", str(value)).strip()
        match = _NUMBER.match(text)
        if match is None:
            raise CellError(f"không phải là số: {text!r}", f"not a number: {text!r}")
        scale = _unit(match["unit"], units, words) * (-1 if match["sign"] == "-" else 1)
        readings = {scale * r for r in _readings(match["digits"]) if r is not None}
        if not readings:
            raise CellError(f"không phải là số: {text!r}", f"not a number: {text!r}")
        if len(readings) == 1:
            (number,) = readings
        elif integer:
            # one mark before groups of three digits: a whole number has no decimals to write
            number = max(readings, key=abs)
        else:
            vietnamese, other = (scale * r for r in _readings(match["digits"]))  # type: ignore[operator]
            number = _decimal(text, vietnamese, other, plausible)
    if integer and not number.is_integer():
        raise CellError(
            f"phải là số nguyên, không phải {vi_number(number)}",
            f"must be a whole number, not {number:g}",
        )
    return int(number) if number.is_integer() else number


def _decimal(
    text: str, vietnamese: float, other: float, plausible: tuple[float | None, float | None]
) -> float:
    """The Vietnamese reading, unless only the other one is plausible: then neither is sure."""
    if _within(vietnamese, plausible) or not _within(other, plausible):
        return vietnamese
    low, high = plausible
    raise CellError(
        f"số {text!r} không rõ: theo cách viết Việt Nam là {vi_number(vietnamese)}, ngoài"
        f" khoảng thường gặp {vi_number(low)}–{vi_number(high)}; nếu là {vi_number(other)}"
        f" hãy ghi {vi_number(other)}",
        f"ambiguous number {text!r}: {vietnamese:g} as Vietnamese writes it, outside the"
        f" plausible {_g(low)}–{_g(high)}, or {other:g}; write {vi_number(other)} if that is meant",
    )


def _g(number: float | None) -> str:
    return "?" if number is None else f"{number:g}"


def _unit(typed: str, units: dict[str, float], words: frozenset[str]) -> float:
    key = match_key(typed.translate(_QUOTES)) if typed else ""
    unit, *rest = key.split(" ", 1) if key not in units else (key,)
    if unit in units and all(word in words for word in " ".join(rest).split()):
        return units[unit]
    known = ", ".join(u for u in units if u) or "không có đơn vị"
    raise CellError(
        f"đơn vị {typed!r} không nhận ra (dùng: {known})",
        f"unknown unit {typed!r} (use: {known or 'none'})",
    )


def _readings(digits: str) -> tuple[float | None, float | None]:
    """(Vietnamese, other) readings of the digits; None where the convention cannot read them."""
    vietnamese = other = None
    if _VIETNAMESE.fullmatch(digits):
        vietnamese = float(digits.replace(".", "").replace(",", "."))
    if _OTHER.fullmatch(digits):
        other = float(digits.replace(",", ""))
    return vietnamese, other


def _within(number: float, limits: tuple[float | None, float | None]) -> bool:
    low, high = limits
    return (low is None or number >= low) and (high is None or number <= high)


def vi_number(number: float | None) -> str:
    """As a Vietnamese reader writes it, without grouping (a year stays 1990): 0, 8,5, 1024."""
    if number is None:
        return "?"
    if float(number).is_integer():
        return str(int(number))
    return f"{number:g}".replace(".", ",")


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


# Day first, as Vietnamese writes dates; a two-digit year is this century's ("5/10/25").
_DATE_FORMATS = (
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y-%m-%d",
    "%d/%m/%y",
    "%d-%m-%y",
    "%d.%m.%y",
)


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
    year = read_number(value, PLAIN, integer=True)
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


# Matched on the text as typed (case aside), so what follows the version keeps its spelling.
_WINDOWS = re.compile(
    r"^(?:microsoft\s*)?win(?:dows)?\s*(?P<version>[0-9]+(?:\.[0-9]+)?|xp|vista)(?P<rest>.*)$",
    re.IGNORECASE,
)
_UBUNTU = re.compile(
    r"^ubuntu\s*(?P<version>[0-9]{2}\.[0-9]{2})(?:\s*lts\b)?(?P<rest>.*)$", re.IGNORECASE
)
_DEBIAN = re.compile(r"^debian\s*(?P<version>[0-9]+)(?P<rest>.*)$", re.IGNORECASE)
# Edition words spelled one way, so "win 10 pro" and "Windows 10 Pro" meet the same list.
_EDITIONS = {
    word.lower(): word
    for word in (
        "Pro",
        "Professional",
        "Home",
        "Enterprise",
        "Education",
        "Ultimate",
        "Starter",
        "LTSC",
        "LTSB",
        "IoT",
        "x64",
        "x86",
        "32-bit",
        "64-bit",
    )
}
_SERVICE_PACK = re.compile(r"^sp([0-9])$", re.IGNORECASE)


@cache  # a few spellings recur in thousands of surveys
def canonical_os(text: str) -> str:
    """One spelling per system, so the baseline's list of supported systems can be matched:
    'win 10 pro' -> 'Windows 10 Pro', 'ubuntu 22.04' -> 'Ubuntu 22.04 LTS' (an LTS release:
    even year, April), 'debian12' -> 'Debian 12', 'Win 7 sp1' -> 'Windows 7 SP1'. Other words
    stay as the clerk typed them ('Win 10 bản quyền' -> 'Windows 10 bản quyền'), and so does a
    system not listed here."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if match := _WINDOWS.match(text):
        version = match["version"].lower()
        version = {"xp": "XP", "vista": "Vista"}.get(version, version)
        return _joined("Windows", version, match["rest"])
    if match := _UBUNTU.match(text):
        version = match["version"]
        lts = version.endswith(".04") and int(version[:2]) % 2 == 0
        return _joined("Ubuntu", f"{version} LTS" if lts else version, match["rest"])
    if match := _DEBIAN.match(text):
        return _joined("Debian", match["version"], match["rest"])
    return text


def _joined(name: str, version: str, rest: str) -> str:
    words = [_edition(word) for word in rest.split()]
    return " ".join((name, version, *words))


def _edition(word: str) -> str:
    if found := _SERVICE_PACK.match(word):
        return f"SP{found[1]}"
    return _EDITIONS.get(word.lower(), word)
