"""The readiness review: statuses, costs without double counting, and totals that add up the
same in the units, the districts, the province, the workbook and the HTML report."""

import datetime as dt
import re
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest

from tcd.loading import load_inventory
from tcd.readiness.assess import Status, former_province, review
from tcd.readiness.report import HTML_NAME, WORKBOOK_NAME
from tcd.readiness.wording import STATUS_ORDER
from tcd.readiness.workbook import SUMMARY_SHEET
from tcd.text import format_number, format_vnd

from .conftest import INVENTORY, REPO

DEMO = sorted(str(p) for p in (REPO / "examples" / "survey-demo").glob("*.xlsx"))


@pytest.fixture
def surveyed(tcd, inventory_copy):
    """A copy of the inventory with the synthetic demo workbooks imported."""
    assert tcd("survey", "import", "--replace-planned", *DEMO).exit_code == 0
    return load_inventory(inventory_copy)


def test_money_is_written_the_vietnamese_way():
    assert format_vnd(19_500_000) == "19.500.000 ₫"
    assert format_vnd(0) == "0 ₫"
    assert format_vnd(1_300_000_000) == "1.300.000.000 ₫"
    assert format_vnd(Fraction(40_700_001, 2)) == "20.350.000 ₫"  # a share, to the đồng
    assert [format_number(n) for n in (95, Fraction(5, 2), Fraction(7, 3))] == ["95", "2,5", "2,33"]


def test_the_former_province_is_in_parentheses():
    assert former_province("Thành phố Đồng Xoài (Bình Phước)") == "Bình Phước"
    assert former_province("Huyện Long Thành (Đồng Nai)") == "Đồng Nai"
    assert former_province("Huyện 12 (Tỉnh 3)") == "Tỉnh 3"
    assert former_province("Huyện Không Ghi") == "Không rõ tỉnh cũ"


def test_committed_inventory_is_all_not_surveyed():
    result = review(load_inventory(INVENTORY))
    assert {unit.status for unit in result.units} == {Status.NOT_SURVEYED}
    assert result.province.one_off == result.province.yearly == 0


def test_statuses_of_the_demo_units(surveyed):
    units = {u.site.code: u for u in review(surveyed).units}
    assert units[26380].status is Status.READY
    assert units[25993].status is Status.READY  # its better PC meets everything
    assert units[25217].status is Status.UPGRADE
    assert units[25195].status is Status.UPGRADE
    assert units[25222].status is Status.NOT_MET  # no camera, no display, no microphone
    assert units[26005].status is Status.NOT_MET  # no PC, no uplink
    assert sum(u.status is Status.NOT_SURVEYED for u in units.values()) == 95 - len(DEMO)


def test_a_price_item_two_gaps_ask_for_is_counted_once(surveyed):
    unit = next(u for u in review(surveyed).units if u.site.code == 25217)
    gaps = {gap.requirement.id: gap for gap in unit.gaps}
    # HDD (RDY-PC-004) and Windows (RDY-PC-006) both need the OS installed: once, on the first
    assert [line.price.id for line in gaps["RDY-PC-004"].costs] == [
        "ssd_512gb",
        "os_install_service",
    ]
    assert gaps["RDY-PC-006"].costs == ()
    assert gaps["RDY-PC-006"].counted_in == ("RDY-PC-004",)
    # no UPS (RDY-UPS-001) and no UPS capacity (RDY-UPS-002): one UPS
    assert gaps["RDY-UPS-002"].costs == () and gaps["RDY-UPS-002"].counted_in == ("RDY-UPS-001",)
    bought = [line.price.id for gap in unit.gaps for line in gap.costs]
    assert len(bought) == len(set(bought))
    # 1.2 + 0.5 (SSD, OS) + 12 (camera) + 6.5 (speakerphone) + 13.5 (display) + 7 (UPS) million
    assert unit.one_off == 40_700_000 and unit.yearly == 0


def test_a_new_pc_replaces_the_upgrades_of_the_old_one(surveyed):
    unit = next(u for u in review(surveyed).units if u.site.code == 25222)
    pc = [gap for gap in unit.gaps if gap.requirement.area == "pc"]
    assert {gap.requirement.id for gap in pc} == {
        "RDY-PC-002",
        "RDY-PC-004",
        "RDY-PC-005",
        "RDY-PC-006",
    }
    assert [line.price.id for gap in pc for line in gap.costs] == ["reception_pc_new"]


def test_a_blocking_gap_supersedes_the_rest_of_its_area(surveyed):
    unit = next(u for u in review(surveyed).units if u.site.code == 26005)
    ids = [gap.requirement.id for gap in unit.gaps]
    assert "RDY-PC-001" in ids and not any(
        i.startswith("RDY-PC-00") and i != "RDY-PC-001" for i in ids
    )
    assert "RDY-NET-000" in ids and "RDY-NET-002" not in ids
    assert unit.yearly == 9_600_000  # the FTTH line


def test_totals_add_up(surveyed):
    result = review(surveyed)
    for unit in result.units:
        assert unit.one_off == sum(g.one_off for g in unit.gaps)
        assert unit.one_off + unit.yearly == sum(line.amount for g in unit.gaps for line in g.costs)
        assert sum(unit.districts.values()) == sum(unit.provinces.values()) == 1
    province = result.province
    assert province.units == 95
    assert province.one_off == sum(u.one_off for u in result.units) > 0
    # districts (with shares), former provinces, waves: each adds up to the whole, exactly
    for groups in (result.by_district(), result.by_province(), result.by_wave()):
        assert sum(t.units for t in groups.values()) == province.units
        assert sum(t.one_off for t in groups.values()) == province.one_off
        assert sum(t.yearly for t in groups.values()) == province.yearly
        for status in STATUS_ORDER:
            assert sum(t.statuses[status] for t in groups.values()) == province.statuses[status]
    districts = result.by_district()
    for name, names in result.districts_by_province().items():
        totals = result.by_province()[name]
        assert sum(districts[d].one_off for d in names) == totals.one_off
        assert sum(districts[d].units for d in names) == totals.units
    assert result.by_province()["Bình Phước"].units == 40
    assert result.by_province()["Đồng Nai"].units == 55
    assert [w.name for w in result.waves] == list(result.by_wave())


def test_a_unit_of_two_districts_is_shared_equally(surveyed):
    """Hố Nai (26005) was formed from Biên Hòa and Trảng Bom: half of it in each, not all of
    it in the first."""
    result = review(surveyed)
    unit = next(u for u in result.units if u.site.code == 26005)
    assert len(unit.site.former_districts) == 2 and unit.one_off > 0
    half = Fraction(1, 2)
    for name in unit.site.former_districts:
        totals = result.by_district()[name]
        assert (unit, half) in totals.shared
        assert totals.statuses[Status.NOT_MET] == half  # the only unit not met there
    trang_bom = result.by_district()["Huyện Trảng Bom (Đồng Nai)"]
    whole = [u for u in result.units if u.site.former_districts == ["Huyện Trảng Bom (Đồng Nai)"]]
    assert trang_bom.units == len(whole) + half
    assert trang_bom.one_off == sum(u.one_off for u in whole) + half * unit.one_off
    assert unit.provinces == {"Đồng Nai": 1}
    assert unit.wave == "wave-1"


def test_workbook_and_html_report_match_the_review(tcd, surveyed, tmp_path):
    out = tmp_path / "out"
    result = tcd("readiness", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "Chưa đáp ứng" in result.stdout and "wrote" in result.stdout
    expected = review(surveyed)
    province = expected.province
    assert f"proposed investment: {format_vnd(province.one_off)} one-off" in result.stdout

    workbook = openpyxl.load_workbook(out / WORKBOOK_NAME, data_only=True)
    assert len(workbook.sheetnames) == 1 + 95
    summary = workbook[SUMMARY_SHEET]
    rows = list(summary.iter_rows(values_only=True))
    assert summary["A8"].value == "STT" and summary["A8"].font.b
    assert summary["I9"].number_format == '#,##0 "₫"'  # amounts are money, not bare numbers
    unit_rows = {row[1]: row for row in rows[8 : 8 + 95]}
    assert len(unit_rows) == 95
    for unit in expected.units:
        row = unit_rows[unit.site.code]
        assert (row[5], row[8], row[9]) == (str(unit.status), unit.one_off, unit.yearly)
    total = next(row for row in rows if row[0] == "Toàn tỉnh")
    assert total[3] == 95
    assert list(total[4:8]) == [province.statuses[s] for s in STATUS_ORDER]
    assert (total[8], total[9]) == (province.one_off, province.yearly)
    districts = expected.by_district()
    district_rows = [row for row in rows[8 + 95 :] if row[0] in districts]
    assert len(district_rows) == len(districts)
    assert sum(row[8] for row in district_rows) == province.one_off
    # each unit's sheet adds up to its line in the summary
    detail = workbook["25217 Phước Long"]
    sums = [row for row in detail.iter_rows(values_only=True) if row[0] == "Cộng đầu tư một lần"]
    assert sums[0][8] == unit_rows[25217][8]

    html = (out / HTML_NAME).read_text(encoding="utf-8")
    assert "<svg" in html and "<script" not in html
    assert not re.search(r"(src|href)=\"https?:", html)  # opens offline
    province_row = re.search(r'<tr class="total" id="province-total">(.*?)</tr>', html).group(1)
    assert format_vnd(province.one_off) in province_row
    assert format_vnd(province.yearly) in province_row
    for unit in expected.units:
        row = re.search(rf'id="unit-{unit.site.code}">(.*?)</tr>', html, re.S).group(1)
        assert format_vnd(unit.one_off) in row and str(unit.status) in row
    # the shares and the subtotals per former province and per wave, as in the workbook
    trang_bom = re.search(r"<td>Huyện Trảng Bom \(Đồng Nai\)</td>(.*?)</tr>", html).group(1)
    assert format_number(districts["Huyện Trảng Bom (Đồng Nai)"].units) in trang_bom
    assert "26005 Phường Hố Nai (1/2)" in trang_bom
    for index, totals in enumerate(expected.by_province().values(), start=1):
        row = re.search(rf'id="province-{index}">(.*?)</tr>', html).group(1)
        assert format_vnd(totals.one_off) in row
    assert html.count('<tr class="wave">') == 4


def test_report_is_in_vietnamese_with_diacritics(tcd, surveyed, tmp_path):
    tcd("readiness", "-o", str(tmp_path))
    html = (tmp_path / HTML_NAME).read_text(encoding="utf-8")
    for text in (
        "Tổng theo huyện cũ và tỉnh cũ",
        "Cộng tỉnh Bình Phước (cũ)",
        "Tổng theo đợt triển khai",
        "Toàn tỉnh",
        "Số đơn vị theo trạng thái",
        "Chưa khảo sát",
    ):
        assert text in html
    assert f"Lập ngày {dt.date.today():%d/%m/%Y}" in html
    assert Path(tmp_path / WORKBOOK_NAME).stat().st_mode & 0o044 == 0o044  # shareable


def test_report_has_a_print_stylesheet(tcd, surveyed, tmp_path):
    """What Chromium prints (tests/test_readiness_print.py) comes from these rules."""
    tcd("readiness", "-o", str(tmp_path))
    html = (tmp_path / HTML_NAME).read_text(encoding="utf-8")
    style = html[html.index("@media print") : html.index("</style>")]
    assert re.search(r"@page\s*{\s*size:\s*A4 landscape;", style)
    assert "thead { display: table-header-group; }" in style
    assert re.search(r"tr, th, td[^{]*{ break-inside: avoid; page-break-inside: avoid; }", style)
    assert html.count("<thead>") == html.count("<table>") == 4
