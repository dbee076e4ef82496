"""What a rushed clerk does to the survey workbook, imported: nothing is misread or dropped
without a word, and every problem is told in one run (the survey import issue).

Every workbook is built here from the template by `survey_workbooks.build`; each test asserts
the value stored in the site file or the exact message, and that nothing is written on error.
"""

import datetime as dt
import zipfile

import pytest
from openpyxl.workbook.protection import hash_password
from ruamel.yaml import YAML

from tcd.loading import load_inventory
from tcd.survey.layout import AUDIO, CAMERAS, DISPLAYS, IDENTITY, NETWORK, PCS, ROOM
from tcd.survey.template import survey_template

from .conftest import site_file, tree_digest
from .survey_workbooks import answers, build, computed


def stored(inventory, code=25222):
    """The site file as written, read back as plain data."""
    return YAML(typ="safe").load(site_file(inventory, code).read_text(encoding="utf-8"))


def refused(tcd, tmp_path, workbook, *args):
    """Import `workbook`, expecting it refused with nothing written: its stderr lines."""
    before = tree_digest(tmp_path)
    result = tcd("survey", "import", *args, str(workbook))
    assert result.exit_code == 2, result.stdout
    assert tree_digest(tmp_path) == before
    return result.stderr.splitlines()


def one_problem(tcd, tmp_path, workbook, *args):
    """Import `workbook`, expecting exactly one problem and nothing written: the problem."""
    problem, closing = refused(tcd, tmp_path, workbook, *args)
    assert closing == "1 problem in 1 workbook; nothing was written."
    return problem


def imported(tcd, workbook, *args):
    result = tcd("survey", "import", *args, str(workbook))
    assert result.exit_code == 0, result.stderr
    return result


# ---- numbers as Vietnamese writes them --------------------------------------------------------

NUMBERS = {
    # '.' groups thousands: "1.000" Mbps is a thousand, not one
    "1.000 Mbps measured": ("survey.network.measured_mbps", "1.000", 1000),
    "1.000 Mbps contracted": ("uplink.bandwidth_mbps", "1.000 Mbps", 1000),
    "85,5 Mbps": ("survey.network.measured_mbps", "85,5", 85.5),
    # a '.' before other than three digits can only be a decimal point
    "85.5 Mbps": ("survey.network.measured_mbps", "85.5", 85.5),
    "1.234,5 Mbps": ("survey.network.measured_mbps", "1.234,5", 1234.5),
    "12,5 m²": ("survey.room.area_m2", "12,5 m²", 12.5),
    # whole-number fields: one mark before three digits groups thousands either way
    "1,500 VA": ("survey.ups.capacity_va", "1,500 VA", 1500),
    "1,5 kVA": ("survey.ups.capacity_va", "1,5 kVA", 1500),
}


@pytest.mark.parametrize("case", NUMBERS, ids=NUMBERS)
def test_numbers_are_read_the_vietnamese_way(tcd, inventory_copy, tmp_path, case):
    place, typed, expected = NUMBERS[case]
    workbook = build(tmp_path / "phieu.xlsx", inventory_copy, typed=answers({place: typed}))
    imported(tcd, workbook)
    *path, key = place.split(".")
    node = stored(inventory_copy)
    for part in path:
        node = node[part]
    assert node[key] == expected
    assert type(node[key]) is type(expected)


def test_a_number_too_large_the_vietnamese_way_is_not_read_the_other_way(
    tcd, inventory_copy, tmp_path
):
    """'1.500' m² is 1500 m², refused by the limit; never 1,5 m² (too small to be a room)."""
    typed = answers({"survey.room.area_m2": "1.500"})
    workbook = build(tmp_path / "phieu.xlsx", inventory_copy, typed=typed)
    assert one_problem(tcd, tmp_path, workbook) == (
        "phieu.xlsx › Phòng và điện › B5: không được lớn hơn 1000 — Input should be less than or"
        " equal to 1000 (got 1500)"
    )


AMBIGUOUS = [
    (
        "survey.network.measured_mbps",
        "Mạng › B7",
        "85.500",
        "số '85.500' không rõ: theo cách viết Việt Nam là 85500, ngoài khoảng thường gặp"
        " 0,1–10000; nếu là 85,5 hãy ghi 85,5 — ambiguous number '85.500': 85500 as"
        " Vietnamese writes it, outside the plausible 0.1–10000, or 85.5; write 85,5 if"
        " that is meant",
    ),
    (
        "survey.room.area_m2",
        "Phòng và điện › B5",
        "12.000 m2",
        "số '12.000 m2' không rõ: theo cách viết Việt Nam là 12000, ngoài khoảng thường gặp"
        " 3–1000; nếu là 12 hãy ghi 12 — ambiguous number '12.000 m2': 12000 as Vietnamese"
        " writes it, outside the plausible 3–1000, or 12; write 12 if that is meant",
    ),
    (
        "survey.pcs.0.ram_gb",
        "Máy tính › D4",
        "8.000",
        "số '8.000' không rõ: theo cách viết Việt Nam là 8000, ngoài khoảng thường gặp"
        " 0–1024; nếu là 8 hãy ghi 8 — ambiguous number '8.000': 8000 as Vietnamese writes"
        " it, outside the plausible 0–1024, or 8; write 8 if that is meant",
    ),
]


@pytest.mark.parametrize("case", AMBIGUOUS, ids=[typed for _, _, typed, _ in AMBIGUOUS])
def test_an_ambiguous_number_is_refused_with_both_readings(tcd, inventory_copy, tmp_path, case):
    place, cell, typed, message = case
    workbook = build(tmp_path / "phieu.xlsx", inventory_copy, typed=answers({place: typed}))
    assert one_problem(tcd, tmp_path, workbook) == f"phieu.xlsx › {cell}: {message}"


def test_a_limit_of_zero_is_printed_as_0(tcd, inventory_copy, tmp_path):
    typed = answers({"survey.pcs.0.ram_gb": "0"})
    workbook = build(tmp_path / "phieu.xlsx", inventory_copy, typed=typed)
    assert one_problem(tcd, tmp_path, workbook) == (
        "phieu.xlsx › Máy tính › D4: phải lớn hơn 0 — Input should be greater than 0 (got 0)"
    )


# ---- names: normalised for matching, the clerk's words kept -----------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Windows 8.1", "Windows 8.1"),
        ("Win 10 bản quyền", "Windows 10 bản quyền"),
        ("Win 7 SP1", "Windows 7 SP1"),
        ("win 7 sp1 Ultimate", "Windows 7 SP1 Ultimate"),
        ("ubuntu 22.04 desktop", "Ubuntu 22.04 LTS desktop"),
    ],
)
def test_os_names_keep_what_the_clerk_typed(tcd, inventory_copy, tmp_path, typed, expected):
    workbook = build(
        tmp_path / "phieu.xlsx", inventory_copy, typed=answers({"survey.pcs.0.os": typed})
    )
    imported(tcd, workbook)
    assert stored(inventory_copy)["survey"]["pcs"][0]["os"] == expected


# ---- what is plain is accepted -----------------------------------------------------------------

PLAIN = {
    "8 Gb RAM": ("survey.pcs.0.ram_gb", "8 Gb RAM", ("pcs", 0, "ram_gb"), 8),
    "8GB DDR4": ("survey.pcs.0.ram_gb", "8GB DDR4", ("pcs", 0, "ram_gb"), 8),
    "256GB SSD": ("survey.pcs.1.storage_gb", "256GB SSD", ("pcs", 1, "storage_gb"), 256),
    "ko": ("survey.audio.echo_cancelling", "ko", ("audio", "echo_cancelling"), False),
    "FullHD": ("survey.cameras.0.resolution_p", "FullHD", ("cameras", 0, "resolution_p"), 1080),
    "55”": ("survey.displays.0.size_inch", "55”", ("displays", 0, "size_inch"), 55),
    "5/10/25": ("survey.date", "5/10/25", ("date",), dt.date(2025, 10, 5)),
}


@pytest.mark.parametrize("case", PLAIN, ids=PLAIN)
def test_what_is_plain_is_accepted(tcd, inventory_copy, tmp_path, case):
    place, typed, where, expected = PLAIN[case]
    workbook = build(tmp_path / "phieu.xlsx", inventory_copy, typed=answers({place: typed}))
    imported(tcd, workbook)
    node = stored(inventory_copy)["survey"]
    for part in where:
        node = node[part]
    assert node == expected


def test_a_formula_is_read_by_its_computed_value(tcd, inventory_copy, tmp_path):
    typed = answers({"survey.pcs.0.ram_gb": "=4*2"})
    workbook = build(tmp_path / "phieu.xlsx", inventory_copy, typed=typed)
    computed(workbook, "4*2", "8")
    imported(tcd, workbook)
    assert stored(inventory_copy)["survey"]["pcs"][0]["ram_gb"] == 8


def test_a_formula_never_computed_is_still_refused(tcd, inventory_copy, tmp_path):
    typed = answers({"survey.pcs.0.ram_gb": "=4*2"})
    workbook = build(tmp_path / "phieu.xlsx", inventory_copy, typed=typed)
    assert one_problem(tcd, tmp_path, workbook) == (
        "phieu.xlsx › Máy tính › D4: ô chứa công thức chưa được tính ra giá trị, hãy nhập trực"
        " tiếp giá trị — the cell holds a formula with no computed value; type the value itself"
    )


# ---- nothing typed is dropped ------------------------------------------------------------------


def test_an_answer_beside_its_cell_is_an_error(tcd, inventory_copy, tmp_path):
    def beside(workbook):
        workbook[ROOM.title]["C6"] = "Có"  # B6: air conditioning, left empty

    typed = answers({"survey.room.air_conditioned": None})
    workbook = build(tmp_path / "phieu.xlsx", inventory_copy, typed=typed, edit=beside)
    assert ROOM.cell("survey", "room", "air_conditioned") == "B6"
    assert one_problem(tcd, tmp_path, workbook) == (
        "phieu.xlsx › Phòng và điện › C6: 'Có' ghi ngoài ô trả lời: câu trả lời cho “Có điều"
        " hòa” phải ghi vào ô B6 (đang trống) — 'Có' is outside the answer cell: the answer to"
        " 'Có điều hòa' goes in B6, which is empty"
    )


def test_a_note_outside_the_form_is_a_warning(tcd, inventory_copy, tmp_path):
    def notes(workbook):
        workbook[NETWORK.title]["E5"] = "đường truyền hay rớt vào buổi chiều"
        workbook[PCS.title]["K4"] = "máy hỏng ổ cứng"

    workbook = build(tmp_path / "phieu.xlsx", inventory_copy, edit=notes)
    result = imported(tcd, workbook)
    assert result.stderr.splitlines() == [
        "warning: phieu.xlsx › Máy tính › K4: ô ngoài phiếu có nội dung 'máy hỏng ổ cứng',"
        " không được nhập — a cell outside the answers holds 'máy hỏng ổ cứng'; it is not"
        " imported",
        "warning: phieu.xlsx › Mạng › E5: ô ngoài phiếu có nội dung 'đường truyền hay rớt vào"
        " buổi chiều', không được nhập — a cell outside the answers holds 'đường truyền hay rớt"
        " vào buổi chiều'; it is not imported",
    ]
    assert "1 site file updated" in result.stdout


def test_a_row_below_a_table_is_an_error(tcd, inventory_copy, tmp_path):
    last = PCS.last_row
    assert last == 23  # 20 kinds of PC

    def extra_pc(workbook):
        sheet = workbook[PCS.title]
        sheet[f"A{last + 1}"] = 1
        sheet[f"C{last + 1}"] = "Core i3-4130"

    workbook = build(tmp_path / "phieu.xlsx", inventory_copy, edit=extra_pc)
    assert one_problem(tcd, tmp_path, workbook) == (
        "phieu.xlsx › Máy tính › A24: dòng 24 ('1') ở dưới bảng, không được nhập: bảng có 20 dòng"
        " (dòng 4–23); máy giống nhau ghi chung một dòng, số máy ở cột Số lượng — row 24 ('1') is"
        " below the table and is not imported: the table has 20 rows (4–23); fit it into them"
    )


def test_a_table_takes_twenty_kinds_of_pc(tcd, inventory_copy, tmp_path):
    pc = answers()["survey"]["pcs"][1]
    pcs = [{**pc, "model": f"Máy {n}"} for n in range(1, 21)]
    typed = answers({"survey.pcs": pcs})
    imported(tcd, build(tmp_path / "phieu.xlsx", inventory_copy, typed=typed))
    found = stored(inventory_copy)["survey"]["pcs"]
    assert [p["model"] for p in found] == [f"Máy {n}" for n in range(1, 21)]


# ---- the form's rows stay where the template put them -----------------------------------------


def test_a_deleted_row_refuses_the_sheet_naming_the_row_that_moved(tcd, inventory_copy, tmp_path):
    def delete_microphone(workbook):
        workbook[AUDIO.title].delete_rows(AUDIO.row(("survey", "audio", "microphone")))

    workbook = build(tmp_path / "phieu.xlsx", inventory_copy, edit=delete_microphone)
    assert one_problem(tcd, tmp_path, workbook) == (
        "phieu.xlsx › Âm thanh › A4: ô A4 ghi 'Có loa *', mẫu ghi 'Có micrô *': trang đã bị xoá,"
        " chèn hoặc sửa dòng từ dòng 4, câu trả lời không còn đúng câu hỏi nên trang này không"
        " được nhập; hãy chép câu trả lời sang một mẫu mới nguyên vẹn — A4 reads 'Có loa *'"
        " where the template has 'Có micrô *': rows were deleted, inserted or edited from row 4"
        " on, so answers no longer face their questions; the sheet is not read (copy the"
        " answers into a fresh template)"
    )


def test_an_inserted_row_in_a_table_header_refuses_the_table(tcd, inventory_copy, tmp_path):
    def insert(workbook):
        workbook[DISPLAYS.title].insert_rows(2)

    workbook = build(tmp_path / "phieu.xlsx", inventory_copy, edit=insert)
    assert one_problem(tcd, tmp_path, workbook).startswith(
        "phieu.xlsx › Màn hình › A2: ô A2 ghi (trống), mẫu ghi 'Mỗi dòng một thiết bị"
    )


def test_sheets_are_protected_with_a_password_the_workbook_does_not_hold(tmp_path):
    password = "khong-luu-o-dau-42"
    workbook = survey_template(None, password=password)
    path = tmp_path / "mau.xlsx"
    workbook.save(path)
    with zipfile.ZipFile(path) as saved:
        text = b"".join(saved.read(name) for name in saved.namelist())
    assert password.encode() not in text
    assert workbook.security.lockStructure
    assert workbook.security.workbookPassword == hash_password(password)
    for sheet in workbook.worksheets:
        assert sheet.protection.sheet
        assert sheet.protection.deleteRows and sheet.protection.insertRows  # not allowed
        assert sheet.protection.password == hash_password(password)
    # without one given, each workbook gets its own
    first, second = survey_template(None), survey_template(None)
    assert first.security.workbookPassword != second.security.workbookPassword


def test_a_merged_answer_cell_is_reported_as_a_merge(tcd, inventory_copy, tmp_path):
    def merge(workbook):
        workbook[AUDIO.title].merge_cells("A6:B6")  # echo cancelling: label and answer

    workbook = build(tmp_path / "phieu.xlsx", inventory_copy, edit=merge)
    assert one_problem(tcd, tmp_path, workbook) == (
        "phieu.xlsx › Âm thanh › B6: ô nằm trong vùng gộp ô A6:B6 nên không đọc được; hãy bỏ gộp"
        " ô (Unmerge) và điền lại — the cell is part of the merged range A6:B6, so it cannot be"
        " read; unmerge it and type the answer again"
    )


# ---- every problem at once ---------------------------------------------------------------------


def test_every_problem_of_every_cell_is_reported_in_one_run(tcd, inventory_copy, tmp_path):
    """A future date used to hide the rest; limits and rules between cells waited for a
    clean workbook. Here each problem is independent of the others and all are told."""
    typed = answers(
        {
            "survey.date": "01/01/2999",  # future
            "survey.respondent": None,  # required, empty
            "survey.pcs.0.count": "1,5",  # not whole
            "survey.pcs.0.ram_gb": "tám",  # not a number
            "survey.pcs.0.storage_kind": "Băng từ",  # not a choice
            "survey.pcs.1.year_purchased": 1985,  # below the model's limit
            "survey.cameras.0.resolution_p": "HDR",  # unknown resolution
            "survey.audio.microphone": "có lẽ",  # not yes/no
            "survey.displays.0.size_inch": 550,  # above the model's limit
            "survey.network.measured_mbps": "85.500",  # ambiguous
            "uplink.bandwidth_mbps": None,  # an uplink without its bandwidth
            "survey.ups.present": "Không",  # and yet a capacity
            "survey.room.air_conditioned": None,  # answered beside its cell
        }
    )

    def rushed(workbook):
        workbook[ROOM.title]["C6"] = "Có"
        workbook[PCS.title][f"A{PCS.last_row + 1}"] = 1  # a row below the table
        workbook[AUDIO.title].merge_cells("A6:B6")  # a merged answer cell
        # a note beside an empty answer, but no answer to it: a warning
        workbook[NETWORK.title]["E5"] = "hay rớt mạng"

    workbook = build(tmp_path / "phieu.xlsx", inventory_copy, typed=typed, edit=rushed)
    lines = refused(tcd, tmp_path, workbook)
    assert lines[0].startswith("warning: ")
    told = [line.removeprefix("warning: ").split(": ", 1) for line in lines[:-1]]
    assert [where for where, _ in told] == [
        "phieu.xlsx › Mạng › E5",
        f"phieu.xlsx › {IDENTITY.title} › {IDENTITY.cell('survey', 'date')}",
        f"phieu.xlsx › {IDENTITY.title} › {IDENTITY.cell('survey', 'respondent')}",
        f"phieu.xlsx › {PCS.title} › {PCS.cell('count', 0)}",
        f"phieu.xlsx › {PCS.title} › {PCS.cell('ram_gb', 0)}",
        f"phieu.xlsx › {PCS.title} › {PCS.cell('storage_kind', 0)}",
        f"phieu.xlsx › {PCS.title} › {PCS.cell('year_purchased', 1)}",
        f"phieu.xlsx › {PCS.title} › A24",
        f"phieu.xlsx › {CAMERAS.title} › {CAMERAS.cell('resolution_p', 0)}",
        f"phieu.xlsx › {AUDIO.title} › {AUDIO.cell('survey', 'audio', 'microphone')}",
        f"phieu.xlsx › {AUDIO.title} › {AUDIO.cell('survey', 'audio', 'echo_cancelling')}",
        f"phieu.xlsx › {DISPLAYS.title} › {DISPLAYS.cell('size_inch', 0)}",
        f"phieu.xlsx › {NETWORK.title} › {NETWORK.cell('uplink', 'bandwidth_mbps')}",
        f"phieu.xlsx › {NETWORK.title} › {NETWORK.cell('survey', 'network', 'measured_mbps')}",
        f"phieu.xlsx › {ROOM.title} › C6",
        f"phieu.xlsx › {ROOM.title} › {ROOM.cell('survey', 'ups', 'capacity_va')}",
    ]
    assert [reason.split(" — ")[0] for _, reason in told] == [
        "ô ngoài phiếu có nội dung 'hay rớt mạng', không được nhập",
        "ngày khảo sát 01/01/2999 ở tương lai",
        "bắt buộc, chưa điền",
        "phải là số nguyên, không phải 1,5",
        "không phải là số: 'tám'",
        "'Băng từ' không có trong danh sách (SSD, HDD)",
        "không được nhỏ hơn 1990",
        "dòng 24 ('1') ở dưới bảng, không được nhập: bảng có 20 dòng (dòng 4–23); máy giống"
        " nhau ghi chung một dòng, số máy ở cột Số lượng",
        "độ phân giải 'HDR' không nhận ra (ví dụ 720p, 1080p, 4K)",
        "hãy chọn Có hoặc Không (đã ghi 'có lẽ')",
        "ô nằm trong vùng gộp ô A6:B6 nên không đọc được; hãy bỏ gộp ô (Unmerge) và điền lại",
        "không được lớn hơn 300",
        "cần ghi băng thông theo hợp đồng của đường truyền",
        "số '85.500' không rõ: theo cách viết Việt Nam là 85500, ngoài khoảng thường gặp"
        " 0,1–10000; nếu là 85,5 hãy ghi 85,5",
        "'Có' ghi ngoài ô trả lời: câu trả lời cho “Có điều hòa” phải ghi vào ô B6 (đang trống)",
        "không có UPS thì không ghi công suất",
    ]
    assert lines[-1] == "15 problems in 1 workbook; nothing was written."


# ---- planned values ---------------------------------------------------------------------------

PILOT_FTTH = answers({"uplink.kind": "Cáp quang (FTTH)", "uplink.provider": "Viettel"})


def test_planned_values_are_not_replaced_silently(tcd, inventory_copy, tmp_path):
    workbook = build(tmp_path / "phieu.xlsx", inventory_copy, code=26380, typed=PILOT_FTTH)
    assert one_problem(tcd, tmp_path, workbook) == (
        "phieu.xlsx › Mạng › B4: inventory/sites/26380-long-hung.yml ghi đường truyền dự kiến"
        " (đơn vị chưa được khảo sát), phiếu này thay đổi: uplink.kind tslcd → ftth;"
        " uplink.provider VNPT Đồng Nai → Viettel; kiểm tra lại rồi nhập với --replace-planned"
        " để thay — inventory/sites/26380-long-hung.yml holds a planned uplink (the unit was"
        " never surveyed) that this survey changes: uplink.kind tslcd → ftth; uplink.provider"
        " VNPT Đồng Nai → Viettel; check, then import with --replace-planned to replace it"
    )


def test_replace_planned_shows_and_writes_the_change(tcd, inventory_copy, tmp_path):
    workbook = build(tmp_path / "phieu.xlsx", inventory_copy, code=26380, typed=PILOT_FTTH)
    shown = "uplink.kind tslcd → ftth; uplink.provider VNPT Đồng Nai → Viettel"
    before = tree_digest(tmp_path)
    dry = imported(tcd, workbook, "--replace-planned", "--dry-run")
    assert f"  would replace planned {shown}\n" in dry.stdout
    assert tree_digest(tmp_path) == before

    result = imported(tcd, workbook, "--replace-planned")
    assert f"26380 Phường Long Hưng ← phieu.xlsx: updated\n  replaced planned {shown}\n" in (
        result.stdout
    )
    assert stored(inventory_copy, 26380)["uplink"] == {
        "kind": "ftth",
        "bandwidth_mbps": 200,
        "provider": "Viettel",
    }
    # surveyed now: a corrected workbook replaces the surveyed uplink without the flag
    again = answers({"uplink.bandwidth_mbps": "300"}, base=PILOT_FTTH)
    imported(tcd, build(tmp_path / "phieu.xlsx", inventory_copy, code=26380, typed=again))
    assert load_inventory(inventory_copy).sites[26380].uplink.bandwidth_mbps == 300
