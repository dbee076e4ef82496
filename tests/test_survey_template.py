"""The survey workbook: what a unit receives, and that what it fills comes back exactly."""

import datetime as dt
from pathlib import Path

import openpyxl

from tcd.loading import load_inventory
from tcd.model.site import Uplink
from tcd.model.survey import SurveyFindings
from tcd.survey.fill import fill
from tcd.survey.layout import AUDIO, IDENTITY, INSTRUCTIONS, NETWORK, PCS, ROOM, SHEETS

from .conftest import site_file

FILLED = {
    "survey": {
        "date": dt.datetime(2025, 10, 6),
        "respondent": "  Văn phòng UBND phường ",
        "notes": "Phòng họp tầng 2",
        "pcs": [
            {
                "count": 2,
                "model": "HP ProDesk 400",
                "cpu": "Core i3-10100",
                "ram_gb": "8GB",
                "storage_gb": "1 TB",
                "storage_kind": "hdd",
                "os": "Win 10 Pro",
                "year_purchased": "2021",
                "has_webcam": "co",
            },
            {
                "count": 1,
                "cpu": "Core i5-12400",
                "ram_gb": "16,0",
                "storage_gb": 512,
                "storage_kind": "SSD",
                "os": "ubuntu 24.04",
                "year_purchased": 2024,
            },
        ],
        "cameras": [{"kind": "webcam", "model": "Logitech C920", "resolution_p": "Full HD"}],
        "audio": {"microphone": "Có", "speakers": "có ", "echo_cancelling": "Khong"},
        "displays": [{"kind": "ti vi", "size_inch": '50"'}],
        "network": {"measured_mbps": "85,5 Mbps", "lan_ports_in_room": "2"},
        "room": {
            "dedicated": "Có",
            "area_m2": "15 m2",
            "air_conditioned": "x",
            "soundproofed": "không",
        },
        "ups": {"present": "Có", "capacity_va": "1.000 VA"},
    },
    "uplink": {"kind": "cap quang", "bandwidth_mbps": "200 Mbps", "provider": "Viettel"},
}
EXPECTED_SURVEY = SurveyFindings(
    date=dt.date(2025, 10, 6),
    respondent="Văn phòng UBND phường",
    notes="Phòng họp tầng 2",
    pcs=[
        {
            "count": 2,
            "model": "HP ProDesk 400",
            "cpu": "Core i3-10100",
            "ram_gb": 8,
            "storage_gb": 1000,
            "storage_kind": "hdd",
            "os": "Windows 10 Pro",
            "year_purchased": 2021,
            "has_webcam": True,
        },
        {
            "count": 1,
            "cpu": "Core i5-12400",
            "ram_gb": 16,
            "storage_gb": 512,
            "storage_kind": "ssd",
            "os": "Ubuntu 24.04 LTS",
            "year_purchased": 2024,
        },
    ],
    cameras=[{"kind": "usb", "model": "Logitech C920", "resolution_p": 1080}],
    audio={"microphone": True, "speakers": True, "echo_cancelling": False},
    displays=[{"kind": "tv", "size_inch": 50}],
    network={"measured_mbps": 85.5, "lan_ports_in_room": 2},
    room={"dedicated": True, "area_m2": 15, "air_conditioned": True, "soundproofed": False},
    ups={"present": True, "capacity_va": 1000},
)


def test_template_has_every_sheet_and_the_units_identity_locked(tcd, inventory_copy, tmp_path):
    out = tmp_path / "khao-sat.xlsx"
    result = tcd("survey", "template", "-o", str(out), "--site", "25222")
    assert result.exit_code == 0, result.stderr
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == [INSTRUCTIONS, *(s.title for s in SHEETS)]
    identity = workbook[IDENTITY.title]
    assert identity[IDENTITY.cell("code")].value == 25222
    assert identity[IDENTITY.cell("name")].value == "Xã Bù Gia Mập"
    assert identity.protection.sheet
    assert identity[IDENTITY.cell("code")].protection.locked
    assert not identity[IDENTITY.cell("survey", "date")].protection.locked
    # dropdowns and number checks are in the cells
    audio = workbook[AUDIO.title].data_validations.dataValidation
    assert any(
        v.type == "list"
        and v.formula1 == '"Có,Không"'
        and AUDIO.cell("survey", "audio", "microphone") in str(v.sqref)
        for v in audio
    )
    pcs = workbook[PCS.title].data_validations.dataValidation
    ram = next(v for v in pcs if PCS.cell("ram_gb", 0) in str(v.sqref))
    assert (ram.type, ram.formula1, ram.formula2) == ("decimal", "0", "1024")
    count = next(v for v in pcs if PCS.cell("count", 0) in str(v.sqref))
    assert (count.type, count.formula1, count.formula2) == ("whole", "1", "50")


def test_unknown_site_is_refused(tcd, inventory_copy, tmp_path):
    result = tcd("survey", "template", "-o", str(tmp_path / "x.xlsx"), "--site", "12345")
    assert result.exit_code == 2
    assert "unknown site code: 12345" in result.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_filled_template_imports_exactly_the_values_filled(tcd, inventory_copy, tmp_path):
    out = tmp_path / "26380.xlsx"
    assert tcd("survey", "template", "-o", str(out), "--site", "26380").exit_code == 0
    workbook = openpyxl.load_workbook(out)
    fill(workbook, FILLED)
    workbook.save(out)

    # 26380 is a pilot unit: its uplink is planned, and this survey finds another
    result = tcd("survey", "import", "--replace-planned", str(out))
    assert result.exit_code == 0, result.stderr
    assert "26380 Phường Long Hưng ← 26380.xlsx: updated" in result.stdout
    site = load_inventory(inventory_copy).sites[26380]
    assert site.survey == EXPECTED_SURVEY
    assert site.uplink == Uplink(kind="ftth", bandwidth_mbps=200, provider="Viettel")
    assert tcd("inventory", "check").exit_code == 0


def test_blank_template_takes_the_code_the_unit_types(tcd, inventory_copy, tmp_path):
    out = tmp_path / "blank.xlsx"
    assert tcd("survey", "template", "-o", str(out)).exit_code == 0
    workbook = openpyxl.load_workbook(out)
    identity = workbook[IDENTITY.title]
    assert identity[IDENTITY.cell("code")].value is None
    assert not identity[IDENTITY.cell("code")].protection.locked
    identity[IDENTITY.cell("code")] = "25222"
    fill(workbook, FILLED)
    workbook.save(out)
    assert tcd("survey", "import", str(out)).exit_code == 0
    assert load_inventory(inventory_copy).sites[25222].survey == EXPECTED_SURVEY


def test_sheets_without_answers_mean_none_found(tcd, inventory_copy, tmp_path):
    """Empty PC and camera tables are findings (none), written as empty lists."""
    out = tmp_path / "none.xlsx"
    tcd("survey", "template", "-o", str(out), "--site", "25222")
    workbook = openpyxl.load_workbook(out)
    answers = {**FILLED, "survey": {**FILLED["survey"], "pcs": [], "cameras": []}}
    fill(workbook, answers)
    workbook.save(out)
    assert tcd("survey", "import", str(out)).exit_code == 0
    site = load_inventory(inventory_copy).sites[25222]
    assert site.survey.pcs == [] and site.survey.cameras == []
    assert "  pcs: []\n" in site_file(inventory_copy, 25222).read_text(encoding="utf-8")


def test_layout_cells_are_where_the_template_puts_labels():
    """The layout is the one description both sides use: spot-check a few addresses."""
    assert IDENTITY.cell("code") == "B4"
    assert PCS.cell("count", 0) == "A4" and PCS.cell("ram_gb", 9) == "D13"
    assert NETWORK.cell("uplink", "kind") == "B4"
    assert ROOM.cell("survey", "ups", "capacity_va") == "B9"


def test_demo_workbooks_are_labelled_synthetic():
    demo = sorted((Path(__file__).parent.parent / "examples" / "survey-demo").glob("*.xlsx"))
    assert len(demo) >= 5
    for path in demo:
        assert "DU-LIEU-MAU-synthetic-demo" in path.name
        workbook = openpyxl.load_workbook(path)
        assert workbook[INSTRUCTIONS]["A1"].value == "DỮ LIỆU MẪU – synthetic demo data"
