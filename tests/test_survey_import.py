"""Importing filled workbooks: what clerks type is normalised, every bad cell is named as
FILE › sheet › cell with its reason, nothing is half-written, and a second import changes
nothing."""

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from tcd.survey.cells import canonical_os, read_answer
from tcd.survey.layout import AUDIO, CAMERAS, DISPLAYS, IDENTITY, NETWORK, PCS, ROOM

from .conftest import REPO, site_file, tree_digest

DEMO = REPO / "examples" / "survey-demo"
LONG_HUNG = DEMO / "26380-long-hung.DU-LIEU-MAU-synthetic-demo.xlsx"


def answer(sheet, key):
    return next(a for a in sheet.answers if a.key == key)


@pytest.mark.parametrize(
    ("typed", "sheet", "key", "expected"),
    [
        ("8GB", PCS, "ram_gb", 8),
        ("8 GB", PCS, "ram_gb", 8),
        ("8,0", PCS, "ram_gb", 8),
        (" 8 ", PCS, "ram_gb", 8),
        ("7,5", PCS, "ram_gb", 7.5),
        (8.0, PCS, "ram_gb", 8),
        ("1 TB", PCS, "storage_gb", 1000),
        ("1.500 VA", ROOM, "capacity_va", 1500),
        ("2 kVA", ROOM, "capacity_va", 2000),
        ("Win 10", PCS, "os", "Windows 10"),
        ("win10 pro ", PCS, "os", "Windows 10 Pro"),
        ("Ubuntu 22.04", PCS, "os", "Ubuntu 22.04 LTS"),
        ("debian12", PCS, "os", "Debian 12"),
        ("Có", AUDIO, "microphone", True),
        ("co ", AUDIO, "microphone", True),
        ("KHÔNG", AUDIO, "microphone", False),
        ("khong co", AUDIO, "microphone", False),
        ("ssd", PCS, "storage_kind", "ssd"),
        ("Ổ cứng thường", PCS, "storage_kind", "hdd"),
        ("o cung thuong", PCS, "storage_kind", "hdd"),
        ("Cap quang", NETWORK, "kind", "ftth"),
        ("Truyền số liệu chuyên dùng (TSLCD)", NETWORK, "kind", "tslcd"),
        ("may chieu", DISPLAYS, "kind", "projector"),
        ("Full HD", CAMERAS, "resolution_p", 1080),
        ("720p", CAMERAS, "resolution_p", 720),
        ("  Core  i5 ", PCS, "cpu", "Core i5"),
        ("06/10/2025", IDENTITY, "date", dt.date(2025, 10, 6)),
    ],
)
def test_what_clerks_type_is_normalised(typed, sheet, key, expected):
    assert read_answer(typed, "s", answer(sheet, key), dt.date(2026, 1, 1)) == expected


def test_os_spellings_meet_the_baselines_list():
    assert canonical_os("Ubuntu 23.10") == "Ubuntu 23.10"  # not an LTS: stays off the list
    assert canonical_os("Windows 10 Pro") == "Windows 10 Pro"
    assert canonical_os("macOS 14") == "macOS 14"


def _put(path: Path, sheet: str, cell: str, value) -> None:
    workbook = openpyxl.load_workbook(path)
    workbook[sheet][cell] = value
    workbook.save(path)


# Each bad cell: (sheet, cell, value typed, the start of the Vietnamese reason, English reason)
P = PCS.title
BAD_CELLS = {
    "not a number": (P, PCS.cell("ram_gb", 0), "tám", "không phải là số", "not a number"),
    "unknown unit": (P, PCS.cell("ram_gb", 0), "8 MB", "đơn vị 'MB'", "unknown unit"),
    "not whole": (P, PCS.cell("count", 0), "1,5", "phải là số nguyên", "must be a whole"),
    "zero RAM": (P, PCS.cell("ram_gb", 0), "0", "phải lớn hơn 0", "Input should be greater"),
    "too large": (
        DISPLAYS.title,
        DISPLAYS.cell("size_inch", 0),
        "550",
        "không được lớn hơn 300",
        "Input should be less than or equal to 300",
    ),
    "unknown choice": (
        P,
        PCS.cell("storage_kind", 0),
        "Băng từ",
        "'Băng từ' không có trong danh sách (SSD, HDD)",
        "is not one of the choices",
    ),
    "yes/no": (
        AUDIO.title,
        AUDIO.cell("survey", "audio", "microphone"),
        "có lẽ",
        "hãy chọn Có hoặc Không",
        "choose Có (yes) or Không (no)",
    ),
    "bad date": (
        IDENTITY.title,
        IDENTITY.cell("survey", "date"),
        "31/02/2025",
        "ngày không hợp lệ",
        "not a valid date",
    ),
    "future date": (
        IDENTITY.title,
        IDENTITY.cell("survey", "date"),
        "01/01/2999",
        "ngày khảo sát 01/01/2999 ở tương lai",
        "is in the future",
    ),
    "year after survey": (
        P,
        PCS.cell("year_purchased", 0),
        2025 + 1,
        "năm mua 2026 sau ngày khảo sát",
        "after the survey date",
    ),
    "two-digit year": (
        P,
        PCS.cell("year_purchased", 0),
        "19",
        "năm phải đủ 4 chữ số",
        "a year has 4 digits",
    ),
    "too old": (
        P,
        PCS.cell("year_purchased", 0),
        1985,
        "không được nhỏ hơn 1990",
        "greater than or equal to 1990",
    ),
    "required empty": (P, PCS.cell("cpu", 0), None, "bắt buộc, chưa điền", "required"),
    "formula": (
        P,
        PCS.cell("ram_gb", 0),
        "=4*2",
        "ô chứa công thức",
        "the cell holds a formula",
    ),
    "unknown resolution": (
        CAMERAS.title,
        CAMERAS.cell("resolution_p", 0),
        "HDR",
        "độ phân giải 'HDR' không nhận ra",
        "unknown resolution",
    ),
    "bandwidth without uplink": (
        NETWORK.title,
        NETWORK.cell("uplink", "kind"),
        "Không có",
        "không có đường truyền thì không ghi băng thông",
        "no uplink",
    ),
    "uplink without bandwidth": (
        NETWORK.title,
        NETWORK.cell("uplink", "bandwidth_mbps"),
        None,
        "cần ghi băng thông",
        "contracted bandwidth is required",
    ),
    "UPS capacity without UPS": (
        ROOM.title,
        ROOM.cell("survey", "ups", "present"),
        "Không",
        "không có UPS thì không ghi công suất",
        "no UPS",
    ),
    "UPS without capacity": (
        ROOM.title,
        ROOM.cell("survey", "ups", "capacity_va"),
        None,
        "có UPS thì cần ghi công suất",
        "capacity (VA) is required",
    ),
    "unknown code": (
        IDENTITY.title,
        IDENTITY.cell("code"),
        12345,
        "mã đơn vị 12345 không có trong danh mục",
        "is not a unit of the inventory",
    ),
    "name not the code's": (
        IDENTITY.title,
        IDENTITY.cell("name"),
        "Phường Hố Nai",
        "tên 'Phường Hố Nai' không khớp với mã 26380",
        "does not match code 26380",
    ),
    "text too long": (
        IDENTITY.title,
        IDENTITY.cell("survey", "respondent"),
        "x" * 201,
        "quá dài (201 ký tự, tối đa 200)",
        "too long",
    ),
    "template version": (
        IDENTITY.title,
        IDENTITY.cell("template"),
        "khảo sát v0",
        "phiên bản mẫu",
        "template version",
    ),
}
# Where the message points when it is not the cell that was changed.
BLAMED = {
    "bandwidth without uplink": NETWORK.cell("uplink", "bandwidth_mbps"),
    "UPS capacity without UPS": ROOM.cell("survey", "ups", "capacity_va"),
}


@pytest.mark.parametrize("case", BAD_CELLS, ids=BAD_CELLS)
def test_bad_cell_is_named_and_nothing_is_written(tcd, inventory_copy, tmp_path, case):
    sheet, cell, value, vi, en = BAD_CELLS[case]
    workbook = tmp_path / "phieu.xlsx"
    shutil.copy(LONG_HUNG, workbook)
    _put(workbook, sheet, cell, value)
    before = tree_digest(tmp_path)

    result = tcd("survey", "import", str(workbook))

    assert result.exit_code == 2, result.stdout
    *problems, closing = result.stderr.splitlines()
    assert len(problems) == 1, result.stderr
    where = f"phieu.xlsx › {sheet} › {BLAMED.get(case, cell)}: "
    assert problems[0].startswith(where + vi), problems[0]
    assert en in problems[0].split(" — ", 1)[1], problems[0]
    assert closing == "1 problem in 1 workbook; nothing was written."
    assert tree_digest(tmp_path) == before


def test_bad_cell_kinds_have_their_own_messages():
    assert len(BAD_CELLS) >= 15
    assert len({vi for *_, vi, _ in BAD_CELLS.values()}) == len(BAD_CELLS)


def test_not_a_workbook_and_missing_sheet(tcd, inventory_copy, tmp_path):
    text = tmp_path / "phieu.xlsx"
    text.write_text("not a workbook", encoding="utf-8")
    result = tcd("survey", "import", str(text))
    assert result.exit_code == 2
    assert result.stderr.startswith("phieu.xlsx: không mở được tệp Excel (.xlsx) — cannot be")

    broken = tmp_path / "thieu.xlsx"
    workbook = openpyxl.load_workbook(LONG_HUNG)
    del workbook[CAMERAS.title]
    workbook.save(broken)
    result = tcd("survey", "import", str(broken))
    assert result.exit_code == 2
    assert result.stderr.startswith("thieu.xlsx › Camera: thiếu trang này")


def test_one_bad_workbook_stops_the_whole_import(tcd, inventory_copy, tmp_path):
    bad = tmp_path / "bad.xlsx"
    shutil.copy(DEMO / "25217-phuoc-long.DU-LIEU-MAU-synthetic-demo.xlsx", bad)
    _put(bad, PCS.title, PCS.cell("ram_gb", 0), "tám")
    before = tree_digest(tmp_path)
    result = tcd("survey", "import", str(LONG_HUNG), str(bad))
    assert result.exit_code == 2
    assert "bad.xlsx › Máy tính › D4: không phải là số" in result.stderr
    assert result.stderr.endswith("1 problem in 2 workbooks; nothing was written.\n")
    assert tree_digest(tmp_path) == before


def test_same_unit_twice_in_one_import(tcd, inventory_copy, tmp_path):
    copy = tmp_path / "again.xlsx"
    shutil.copy(LONG_HUNG, copy)
    result = tcd("survey", "import", str(LONG_HUNG), str(copy))
    assert result.exit_code == 2
    assert "again.xlsx › Đơn vị › B4: đơn vị 26380 đã có phiếu khác" in result.stderr


def test_import_keeps_comments_and_order_and_twice_changes_nothing(tcd, inventory_copy, tmp_path):
    demo = sorted(str(p) for p in DEMO.glob("*.xlsx"))
    path = site_file(inventory_copy, 25222)
    before = path.read_text(encoding="utf-8")

    # two pilot units' surveys found another uplink than the planned one
    first = tcd("survey", "import", "--replace-planned", *demo)
    assert first.exit_code == 0, first.stderr
    assert first.stderr == ""  # no warning: nothing outside the answer cells
    assert f"{len(demo)} site files updated, 0 unchanged." in first.stdout
    assert (
        "  replaced planned uplink.bandwidth_mbps 200 → 100; uplink.provider VNPT Đồng Nai →"
        " VNPT Bình Phước\n" in first.stdout
    )
    after = path.read_text(encoding="utf-8")
    assert "survey: not_surveyed" not in after
    # every comment stays, in order, except the seeded ones the survey made untrue
    stale = ("Nobody has surveyed it yet", "(`tcd survey import`) fills this in", "unknown until")
    kept = [line for line in before.splitlines() if line.startswith("#")]
    kept = [line for line in kept if not any(s in line for s in stale)]
    now = [line for line in after.splitlines() if line.startswith("#")]
    assert [line for line in now if line in kept] == kept
    # the top-level keys keep their order; uplink is added after survey
    keys = [line.split(":")[0] for line in after.splitlines() if line[:1].isalpha()]
    assert keys[keys.index("survey") + 1] == "uplink"
    assert tcd("inventory", "check").exit_code == 0

    digest = tree_digest(inventory_copy)
    second = tcd("survey", "import", *demo)
    assert second.exit_code == 0
    assert f"0 site files updated, {len(demo)} unchanged." in second.stdout
    assert tree_digest(inventory_copy) == digest


def test_dry_run_shows_the_change_and_writes_nothing(tcd, inventory_copy, tmp_path):
    before = tree_digest(tmp_path)
    result = tcd("survey", "import", "--dry-run", str(LONG_HUNG))
    assert result.exit_code == 0, result.stderr
    assert "-survey: not_surveyed" in result.stdout
    assert "+  respondent: Văn phòng HĐND và UBND phường (DỮ LIỆU MẪU)" in result.stdout
    assert "dry run: 1 site file would change; nothing was written." in result.stdout
    assert tree_digest(tmp_path) == before
