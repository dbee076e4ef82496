"""The survey workbook: its sheets, and for every answer cell what it holds and where it goes.

Two shapes of sheet: a *form* (one question per row: label in column A, answer in column B,
hint in column C) and a *table* (one item per row: PCs, cameras, displays). Each answer names
its ``target``: the path under the site file it is written to (``survey.room.dedicated``,
``uplink.kind``); a table names the list its rows go to (``survey.pcs``). Number limits are
not repeated here: the template reads them from the pydantic models (`bounds`), and the
importer lets those models decide.
"""

from dataclasses import dataclass, field
from enum import StrEnum

import annotated_types
from pydantic import BaseModel

from tcd.model.site import Uplink, UplinkKind
from tcd.model.survey import (
    CameraKind,
    DisplayKind,
    StorageKind,
    SurveyCamera,
    SurveyDisplay,
    SurveyFindings,
    SurveyNetwork,
    SurveyPC,
    SurveyRoom,
    SurveyUPS,
)
from tcd.text import match_key

TEMPLATE_VERSION = "tcd-survey-1"
DEMO_LABEL = "DỮ LIỆU MẪU – synthetic demo data"
HEADER_ROW = 3  # column titles; answers start on the row below
TEXT_MAX = 200  # characters in a free-text cell


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"
    DECIMAL = "decimal"
    YESNO = "yesno"
    CHOICE = "choice"
    DATE = "date"
    YEAR = "year"
    OS = "os"
    RESOLUTION = "resolution"


@dataclass(frozen=True)
class Choice:
    """A closed set: ``options`` are (label in the dropdown, value written); ``aliases`` are
    other spellings clerks use, compared after `match_key` (case, diacritics, spaces)."""

    options: tuple[tuple[str, str], ...]
    aliases: tuple[tuple[str, str], ...] = ()

    def lookup(self, text: str) -> str | None:
        # spaces do not count either: "FullHD" is "Full HD", "tivi" is "ti vi"
        key = _spaceless(text)
        for spelling, value in (*self.options, *self.aliases, *((v, v) for _, v in self.options)):
            if _spaceless(spelling) == key:
                return value
        return None

    @property
    def labels(self) -> list[str]:
        return [label for label, _ in self.options]


def _spaceless(text: str) -> str:
    return match_key(text).replace(" ", "")


YES_NO = Choice(
    options=(("Có", "true"), ("Không", "false")),
    aliases=(
        ("c", "true"),
        ("x", "true"),
        ("yes", "true"),
        ("y", "true"),
        ("1", "true"),
        ("k", "false"),
        ("ko", "false"),
        ("ko có", "false"),
        ("chưa", "false"),
        ("không có", "false"),
        ("chưa có", "false"),
        ("no", "false"),
        ("n", "false"),
        ("0", "false"),
    ),
)
STORAGE_KINDS = Choice(
    options=(("SSD", StorageKind.SSD), ("HDD", StorageKind.HDD)),
    aliases=(
        ("ổ SSD", StorageKind.SSD),
        ("NVMe", StorageKind.SSD),
        ("M.2", StorageKind.SSD),
        ("ổ HDD", StorageKind.HDD),
        ("ổ cứng thường", StorageKind.HDD),
        ("ổ cơ", StorageKind.HDD),
    ),
)
CAMERA_KINDS = Choice(
    options=(("USB", CameraKind.USB), ("IP", CameraKind.IP)),
    aliases=(
        ("webcam", CameraKind.USB),
        ("camera USB", CameraKind.USB),
        ("camera IP", CameraKind.IP),
        ("IP/ONVIF", CameraKind.IP),
        ("ONVIF", CameraKind.IP),
    ),
)
DISPLAY_KINDS = Choice(
    options=(
        ("Tivi", DisplayKind.TV),
        ("Màn hình máy tính", DisplayKind.MONITOR),
        ("Máy chiếu", DisplayKind.PROJECTOR),
    ),
    aliases=(
        ("TV", DisplayKind.TV),
        ("ti vi", DisplayKind.TV),
        ("màn hình", DisplayKind.MONITOR),
        ("monitor", DisplayKind.MONITOR),
        ("projector", DisplayKind.PROJECTOR),
    ),
)
UPLINK_KINDS = Choice(
    options=(
        ("Truyền số liệu chuyên dùng (TSLCD)", UplinkKind.TSLCD),
        ("Cáp quang (FTTH)", UplinkKind.FTTH),
        ("4G", UplinkKind.LTE),
        ("Không có", UplinkKind.NONE),
    ),
    aliases=(
        ("truyền số liệu chuyên dùng", UplinkKind.TSLCD),
        ("mạng truyền số liệu chuyên dùng", UplinkKind.TSLCD),
        ("TSL", UplinkKind.TSLCD),
        ("cáp quang", UplinkKind.FTTH),
        ("internet cáp quang", UplinkKind.FTTH),
        ("LTE", UplinkKind.LTE),
        ("không", UplinkKind.NONE),
    ),
)
# Vertical resolution by its common names; plain numbers (720, 1080) are read as such.
RESOLUTIONS = Choice(
    options=(("720p", "720"), ("1080p", "1080"), ("1440p", "1440"), ("2160p", "2160")),
    aliases=(
        ("HD", "720"),
        ("Full HD", "1080"),
        ("FHD", "1080"),
        ("2K", "1440"),
        ("4K", "2160"),
        ("UHD", "2160"),
    ),
)

# Units a number may be typed with, per field: suffix (after match_key, typographic quotes
# made straight) -> multiplier.
GB = {"": 1, "gb": 1, "g": 1, "gib": 1, "tb": 1000}
MBPS = {"": 1, "mbps": 1, "mb/s": 1, "mbit/s": 1, "m": 1, "gbps": 1000}
INCH = {"": 1, "inch": 1, "inches": 1, "in": 1, '"': 1, "''": 1, "ich": 1}
VA = {"": 1, "va": 1, "kva": 1000}
M2 = {"": 1, "m2": 1, "m²": 1, "met vuong": 1}
PLAIN = {"": 1}
# Words that may follow the unit and say what the number is of ("8 GB DDR4", "256GB SSD"):
# they add nothing the row's other cells do not hold, so they are read past.
RAM_WORDS = frozenset({"ram", "ddr", "ddr2", "ddr3", "ddr4", "ddr5"})
DISK_WORDS = frozenset({"ssd", "hdd", "nvme", "sata", "m.2"})


@dataclass(frozen=True)
class Answer:
    """One answer cell. ``target`` is the path written under the site file (forms), or the
    key inside the row's item (tables)."""

    target: tuple[str, ...]
    label: str
    kind: Kind
    model: type[BaseModel] | None = None  # whose field the number limits come from
    required: bool = True
    choice: Choice | None = None
    units: dict[str, float] = field(default_factory=lambda: PLAIN)
    hint: str = ""
    words: frozenset[str] = frozenset()  # read past after the unit (RAM_WORDS)
    # Where a value is believable, when the model's limits are wider: decides which way a
    # number written with a single '.' or ',' before three digits is read (cells.read_number).
    plausible: tuple[float, float] | None = None

    @property
    def key(self) -> str:
        return self.target[-1]

    @property
    def title(self) -> str:
        """The label as the template writes it: required answers are starred."""
        return f"{self.label} *" if self.required else self.label

    def plausible_range(self) -> tuple[float | None, float | None]:
        return self.plausible if self.plausible is not None else self.bounds()

    def bounds(self) -> tuple[float | None, float | None]:
        """The (lowest, highest) value the model accepts, for Excel's input check."""
        low = high = None
        if self.model is None:
            return low, high
        for limit in self.model.model_fields[self.key].metadata:
            if isinstance(limit, annotated_types.Ge | annotated_types.Gt):
                low = limit.ge if isinstance(limit, annotated_types.Ge) else limit.gt
            if isinstance(limit, annotated_types.Le):
                high = limit.le
        return low, high


@dataclass(frozen=True)
class FormSheet:
    title: str
    heading: str
    answers: tuple[Answer, ...]

    def row(self, target: tuple[str, ...]) -> int:
        for offset, answer in enumerate(self.answers, start=HEADER_ROW + 1):
            if answer.target == target:
                return offset
        raise KeyError(target)

    def cell(self, *target: str) -> str:
        """'B4': where the answer for `target` goes."""
        return f"B{self.row(target)}"


@dataclass(frozen=True)
class TableSheet:
    title: str
    heading: str
    target: tuple[str, ...]  # the list the rows are written to
    answers: tuple[Answer, ...]
    rows: int
    overflow: str  # what to do when the rows are not enough, said to the clerk

    @property
    def last_row(self) -> int:
        return HEADER_ROW + self.rows

    def column(self, key: str) -> str:
        # imported here: openpyxl's package import costs 0.16 s, which the readiness review
        # (it needs this module's rules, not its cells) should not pay
        from openpyxl.utils import get_column_letter  # noqa: PLC0415

        for index, answer in enumerate(self.answers, start=1):
            if answer.key == key:
                return get_column_letter(index)
        raise KeyError(key)

    def cell(self, key: str, item: int) -> str:
        """'D5': the `key` of the `item`-th row (0-based)."""
        return f"{self.column(key)}{HEADER_ROW + 1 + item}"


INSTRUCTIONS = "Hướng dẫn"

# The unit's identity: written by the template and locked; read back to find the site file.
IDENTITY = FormSheet(
    title="Đơn vị",
    heading="Thông tin đơn vị và người khảo sát",
    answers=(
        Answer(("code",), "Mã đơn vị hành chính", Kind.INT, hint="Điền sẵn, không sửa"),
        Answer(("name",), "Tên đơn vị", Kind.TEXT, required=False, hint="Điền sẵn, không sửa"),
        Answer(("former_district",), "Thuộc huyện cũ", Kind.TEXT, required=False),
        Answer(("template",), "Phiên bản mẫu", Kind.TEXT, hint="Không sửa"),
        Answer(
            ("survey", "date"), "Ngày khảo sát", Kind.DATE, hint="ngày/tháng/năm, ví dụ 05/10/2025"
        ),
        Answer(
            ("survey", "respondent"),
            "Cơ quan, bộ phận điền phiếu",
            Kind.TEXT,
            hint="ví dụ: Văn phòng HĐND và UBND",
        ),
        Answer(("survey", "notes"), "Ghi chú", Kind.TEXT, required=False),
    ),
)
IDENTITY_LOCKED = ("code", "name", "former_district", "template")

PCS = TableSheet(
    title="Máy tính",
    heading="Máy tính dùng cho tiếp công dân (mỗi dòng một loại máy)",
    target=("survey", "pcs"),
    rows=20,
    overflow="máy giống nhau ghi chung một dòng, số máy ở cột Số lượng",
    answers=(
        Answer(("count",), "Số lượng", Kind.INT, SurveyPC),
        Answer(("model",), "Hãng, model", Kind.TEXT, required=False),
        Answer(("cpu",), "Bộ xử lý (CPU)", Kind.TEXT, hint="ví dụ: Core i5-10400"),
        Answer(("ram_gb",), "RAM (GB)", Kind.DECIMAL, SurveyPC, units=GB, words=RAM_WORDS),
        Answer(
            ("storage_gb",), "Dung lượng ổ (GB)", Kind.INT, SurveyPC, units=GB, words=DISK_WORDS
        ),
        Answer(("storage_kind",), "Loại ổ", Kind.CHOICE, choice=STORAGE_KINDS),
        Answer(("os",), "Hệ điều hành", Kind.OS, hint="ví dụ: Windows 10 Pro, Ubuntu 22.04"),
        Answer(("year_purchased",), "Năm mua", Kind.YEAR, SurveyPC),
        Answer(("has_webcam",), "Có webcam", Kind.YESNO, required=False, choice=YES_NO),
    ),
)
CAMERAS = TableSheet(
    title="Camera",
    heading="Camera (mỗi dòng một chiếc)",
    target=("survey", "cameras"),
    rows=10,
    overflow="chỉ ghi camera dùng cho tiếp công dân; cần thêm dòng thì báo Sở KH&CN",
    answers=(
        Answer(("kind",), "Loại", Kind.CHOICE, choice=CAMERA_KINDS),
        Answer(("model",), "Hãng, model", Kind.TEXT, required=False),
        Answer(
            ("resolution_p",),
            "Độ phân giải",
            Kind.RESOLUTION,
            SurveyCamera,
            choice=RESOLUTIONS,
            hint="720p, 1080p, 4K",
        ),
    ),
)
AUDIO = FormSheet(
    title="Âm thanh",
    heading="Thiết bị âm thanh",
    answers=(
        Answer(("survey", "audio", "microphone"), "Có micrô", Kind.YESNO, choice=YES_NO),
        Answer(("survey", "audio", "speakers"), "Có loa", Kind.YESNO, choice=YES_NO),
        Answer(
            ("survey", "audio", "echo_cancelling"),
            "Có khử tiếng vọng (loa hội nghị)",
            Kind.YESNO,
            choice=YES_NO,
        ),
        Answer(("survey", "audio", "model"), "Hãng, model", Kind.TEXT, required=False),
    ),
)
DISPLAYS = TableSheet(
    title="Màn hình",
    heading="Màn hình hiển thị cho người dân (mỗi dòng một chiếc)",
    target=("survey", "displays"),
    rows=10,
    overflow="chỉ ghi màn hình dùng cho tiếp công dân; cần thêm dòng thì báo Sở KH&CN",
    answers=(
        Answer(("kind",), "Loại", Kind.CHOICE, choice=DISPLAY_KINDS),
        Answer(("size_inch",), "Kích thước (inch)", Kind.INT, SurveyDisplay, units=INCH),
        Answer(("model",), "Hãng, model", Kind.TEXT, required=False),
    ),
)
NETWORK = FormSheet(
    title="Mạng",
    heading="Đường truyền và mạng trong phòng",
    answers=(
        Answer(("uplink", "kind"), "Loại đường truyền", Kind.CHOICE, choice=UPLINK_KINDS),
        Answer(
            ("uplink", "bandwidth_mbps"),
            "Băng thông theo hợp đồng (Mbps)",
            Kind.INT,
            Uplink,
            required=False,
            units=MBPS,
            hint="bỏ trống nếu không có đường truyền",
        ),
        Answer(("uplink", "provider"), "Nhà cung cấp", Kind.TEXT, required=False),
        Answer(
            ("survey", "network", "measured_mbps"),
            "Băng thông đo thực tế (Mbps)",
            Kind.DECIMAL,
            SurveyNetwork,
            units=MBPS,
            hint="đo bằng speedtest tại phòng tiếp công dân",
            plausible=(0.1, 10_000),  # above: a 10 Gbit/s room link, not a commune's
        ),
        Answer(
            ("survey", "network", "lan_ports_in_room"),
            "Số cổng mạng LAN trong phòng",
            Kind.INT,
            SurveyNetwork,
        ),
    ),
)
ROOM = FormSheet(
    title="Phòng và điện",
    heading="Phòng tiếp công dân và nguồn điện",
    answers=(
        Answer(
            ("survey", "room", "dedicated"),
            "Có phòng (khu vực khép kín) dành riêng",
            Kind.YESNO,
            choice=YES_NO,
        ),
        Answer(
            ("survey", "room", "area_m2"),
            "Diện tích (m²)",
            Kind.DECIMAL,
            SurveyRoom,
            units=M2,
            plausible=(3, 1000),  # below: not a room a citizen can sit in
        ),
        Answer(("survey", "room", "air_conditioned"), "Có điều hòa", Kind.YESNO, choice=YES_NO),
        Answer(("survey", "room", "soundproofed"), "Có cách âm", Kind.YESNO, choice=YES_NO),
        Answer(("survey", "ups", "present"), "Có bộ lưu điện (UPS)", Kind.YESNO, choice=YES_NO),
        Answer(
            ("survey", "ups", "capacity_va"),
            "Công suất UPS (VA)",
            Kind.INT,
            SurveyUPS,
            required=False,
            units=VA,
            hint="bỏ trống nếu không có UPS",
        ),
    ),
)

FORMS = (IDENTITY, AUDIO, NETWORK, ROOM)
TABLES = (PCS, CAMERAS, DISPLAYS)
# In the order of the workbook's tabs.
SHEETS: tuple[FormSheet | TableSheet, ...] = (
    IDENTITY,
    PCS,
    CAMERAS,
    AUDIO,
    DISPLAYS,
    NETWORK,
    ROOM,
)

# Every survey section the workbook fills must be one SurveyFindings knows.
_SECTIONS = {a.target[1] for s in FORMS for a in s.answers if a.target[0] == "survey"}
_SECTIONS |= {t.target[1] for t in TABLES}
if _SECTIONS - set(SurveyFindings.model_fields):
    raise RuntimeError(
        f"layout writes unknown survey fields: {_SECTIONS - set(SurveyFindings.model_fields)}"
    )
