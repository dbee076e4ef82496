"""`tcd status --html`: the page a department head opens offline, rendered by a real browser
(Debian's chromium, headless) with every way out of the machine closed."""

import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import html as lxml_html

from tcd.journal import Journal
from tcd.journal.journal import DATABASE_ENV, HostOutcome, journal_url
from tcd.loading import load_inventory

from .conftest import INVENTORY

CHROMIUM = shutil.which("chromium") or "chromium"  # ./dev setup installs Debian's
# nothing resolves and any connection would go to a closed local port
OFFLINE = ["--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9"]


def chromium(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # root in CI
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={cwd / 'profile'}",
            *OFFLINE,
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=True,
    )
    return done.stdout


@pytest.fixture
def journal(tmp_path, monkeypatch):
    monkeypatch.setenv(DATABASE_ENV, journal_url(tmp_path))
    inventory = load_inventory(INVENTORY)
    a, b, c = inventory.wave("pilot").sites
    with Journal(journal_url(tmp_path)) as journal:
        run = journal.start_run(
            kind="rollout", target="field", wave="pilot", arguments=["rollout", "pilot"],
            inventory_digest="x", sites=[(a, "pilot", 1), (b, "pilot", 2), (c, "pilot", 2)],
        )  # fmt: skip
        journal.record_site(run, a, state="done", hosts=[HostOutcome("pc", "changed")])
        journal.record_site(run, b, state="unreachable", reason="no answer from tcd-25217-pc1")
        journal.set_sites(run, [c], "not started", "the canary batch failed")
        journal.finish_run(run, "failed")
    return {"verified": a, "unreachable": b, "pending": c}


def test_the_status_page_renders_offline_in_chromium(tcd, tmp_path, journal):
    page = tmp_path / "status.html"
    # offline: the field's hub is not asked (tests/test_status_live.py covers the live column)
    result = tcd("status", "--html", str(page), "--no-live")
    assert result.exit_code == 0, result.stderr

    # self-contained: nothing the page would fetch (styles inline, no scripts, no images)
    tree = lxml_html.fromstring(page.read_bytes())
    assert not tree.xpath("//script | //link | //img | //iframe | //@src")
    assert "url(" not in page.read_text(encoding="utf-8")

    dom = lxml_html.fromstring(chromium("--dump-dom", page.as_uri(), cwd=tmp_path))
    waves = dom.xpath("//table[@id='waves']//tr[@class='wave']/@data-wave")
    assert waves == [w.name for w in load_inventory(INVENTORY).waves.waves]
    states = {
        int(row.get("data-site")): row.get("data-state") for row in dom.xpath("//tr[@class='site']")
    }
    assert len(states) == 95
    for state, code in journal.items():
        assert states[code] == state
    assert dom.xpath("string(//td[@id='province']/@data-verified)") == "1"
    assert "Hoàn thành, đạt kiểm tra" in dom.text_content()  # Vietnamese labels first

    shot = tmp_path / "status.png"
    chromium(f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri(), cwd=tmp_path)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
