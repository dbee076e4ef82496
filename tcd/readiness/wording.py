"""What the workbook and the HTML report both print: titles, labels, the letterhead and the
date line of a Vietnamese administrative document, and a gap's finding in words."""

import datetime as dt
import re
from dataclasses import dataclass
from fractions import Fraction

from tcd.model.province import ProvinceInfo
from tcd.readiness.assess import Gap, Status

TITLE = "Tổng hợp rà soát cơ sở vật chất, trang thiết bị phục vụ tiếp công dân trực tuyến"
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
SIGNERS = ("NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ")
SIGN_HERE = "(Ký, ghi rõ họ tên)"
STATUS_ORDER = (Status.READY, Status.UPGRADE, Status.NOT_MET, Status.NOT_SURVEYED)
LEVELS = {"must": "Bắt buộc", "should": "Khuyến nghị"}
RECURRING = "hằng năm"  # a yearly line's note: the workbook's yearly totals add these lines
UNITS = {
    "ram_gb": "GB",
    "storage_gb": "GB",
    "resolution_p": "p",
    "size_inch": "inch",
    "bandwidth_mbps": "Mbps",
    "measured_mbps": "Mbps",
    "capacity_va": "VA",
    "area_m2": "m²",
    "lan_ports_in_room": "cổng",
}


@dataclass(frozen=True)
class Letterhead:
    """The header of the proposal: who issues it (the People's Committee, and the department
    under it when province.yml names one) and where it is dated."""

    superior: str  # 'UBND THÀNH PHỐ ĐỒNG NAI'
    office: str | None  # 'SỞ KHOA HỌC VÀ CÔNG NGHỆ'
    place: str  # 'Đồng Nai'

    @classmethod
    def of(cls, info: ProvinceInfo) -> "Letterhead":
        place = info.place or re.sub(r"^(Tỉnh|Thành phố) ", "", info.name)
        office = info.issuing_office.upper() if info.issuing_office else None
        return cls(f"UBND {info.name.upper()}", office, place)

    def dated(self, day: dt.date) -> str:
        """'Đồng Nai, ngày 03 tháng 11 năm 2025': days below 10 and months below 3 take a
        leading zero (Nghị định 30/2020/NĐ-CP, the form of administrative documents)."""
        month = f"{day.month:02d}" if day.month < 3 else str(day.month)
        return f"{self.place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def describe(gap: Gap) -> str:
    """What the survey found, as printed: '4 GB', 'không có', 'hdd'."""
    value = gap.found
    if value is None or value is False:
        return "không có"
    if value is True:
        return "có"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    unit = UNITS.get(gap.requirement.check.field)
    return " ".join(str(part) for part in (value, unit) if part not in (None, ""))


def note(gap: Gap) -> str:
    """Why a gap has no cost line."""
    if gap.counted_in:
        return "đã tính ở " + ", ".join(gap.counted_in)
    return "không khắc phục được bằng mua sắm"


def share_text(share: Fraction) -> str:
    """'1/2': a unit's share in a former district, as the tables print it."""
    return f"{share.numerator}/{share.denominator}"


def province_label(province: str) -> str:
    """'tỉnh Bình Phước (cũ)', the usual way of naming a province merged away in 2025."""
    name = re.sub(r"^[Tt]ỉnh ", "", province)
    return f"{name} (cũ)" if name.startswith("Thành phố") else f"tỉnh {name} (cũ)"
