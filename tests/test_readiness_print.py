"""The HTML report on paper: headless Chromium prints it to PDF through its print stylesheet.
Chromium is the Debian package `chromium`, which `./dev setup` installs: without it this test
fails (it does not skip), so a CI machine missing it is noticed."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tcd.loading import load_inventory
from tcd.readiness.assess import review
from tcd.readiness.report import HTML_NAME
from tcd.text import format_vnd

from .test_readiness import DEMO

PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")  # a page object, not the /Pages tree
MEDIA_BOX = re.compile(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]")
A4_LANDSCAPE = (841.89, 595.28)  # points


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[bytes]:
    """Headless Chromium that reaches no network: every name fails to resolve and every
    connection goes to a closed local port."""
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail("chromium is not installed: ./dev setup installs it (Debian package chromium)")
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",
        *args,
    ]
    return subprocess.run(command, capture_output=True, timeout=180, check=True)


def test_the_report_prints_on_a4_landscape_with_its_totals(tcd, inventory_copy, tmp_path):
    assert tcd("survey", "import", "--replace-planned", *DEMO).exit_code == 0
    out = tmp_path / "out"
    assert tcd("readiness", "-o", str(out)).exit_code == 0
    page = (out / HTML_NAME).resolve().as_uri()

    pdf = tmp_path / "report.pdf"
    chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page, profile=tmp_path / "profile")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(PAGE.findall(data))
    # 95 units, the charts and three totals tables: a few landscape pages. One page would be
    # a report cut short; dozens, rows or tables each pushed onto pages of their own.
    assert 2 <= pages <= 25, f"{pages} pages"
    boxes = [tuple(float(n) for n in box) for box in MEDIA_BOX.findall(data)]
    assert len(boxes) >= pages
    for left, bottom, right, top in boxes:
        assert (right - left, top - bottom) == pytest.approx(A4_LANDSCAPE, abs=1.5)

    # the text of the PDF is in compressed, glyph-encoded streams: the totals are read from
    # the page as Chromium laid it out
    dom = chromium("--dump-dom", page, profile=tmp_path / "profile").stdout.decode("utf-8")
    result = review(load_inventory(inventory_copy))
    total = re.search(r'id="province-total">(.*?)</tr>', dom, re.S).group(1)
    assert format_vnd(result.province.one_off) in total
    assert format_vnd(result.province.yearly) in total
    for index, totals in enumerate(result.by_province().values(), start=1):
        row = re.search(rf'id="province-{index}">(.*?)</tr>', dom, re.S).group(1)
        assert format_vnd(totals.one_off) in row
    assert dom.count("<thead>") == dom.count("<table>") == 4  # headers repeat on every page
