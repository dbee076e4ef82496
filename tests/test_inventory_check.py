"""The committed inventory is valid, complete and honest."""

import csv
from pathlib import Path

import pytest

from tcd.loading import load_inventory
from tcd.model.site import HostRole
from tcd.model.survey import NOT_SURVEYED

from .conftest import INVENTORY, REPO

PILOT = {26380, 25217, 25195}
SHARED_UNITS = REPO.parent / "shared" / "data" / "dongnai_units.csv"


def test_check_prints_summary_and_exits_0(tcd):
    result = tcd("inventory", "check", "--inventory", str(INVENTORY))
    assert result.exit_code == 0, result.stderr
    assert "95 units" in result.stdout
    assert "pilot  │     3 │" in result.stdout
    assert "is valid" in result.stdout


def test_every_official_unit_has_one_site_file():
    inventory = load_inventory(INVENTORY)
    assert set(inventory.sites) == set(inventory.register)
    assert len(inventory.sites) == 95


@pytest.mark.skipif(not SHARED_UNITS.exists(), reason="../shared is not beside this clone")
def test_register_is_the_provinces_list():
    """inventory/admin_units.csv is the published list this project was seeded from (CI has
    ../shared beside the clone; a developer's clone elsewhere may not)."""
    with (
        SHARED_UNITS.open(encoding="utf-8") as shared,
        (INVENTORY / "admin_units.csv").open(encoding="utf-8") as ours,
    ):
        assert list(csv.DictReader(ours)) == list(csv.DictReader(shared))


def test_pilot_is_the_three_units_of_the_letter():
    inventory = load_inventory(INVENTORY)
    assert set(inventory.wave("pilot").sites) == PILOT
    assert inventory.waves.waves[0].name == "pilot"


def test_pilot_sites_carry_deployable_hosts_and_devices():
    inventory = load_inventory(INVENTORY)
    for code in PILOT:
        site = inventory.sites[code]
        assert site.uplink is not None
        assert site.gateway is not None
        assert any(h.role is HostRole.RECEPTION_PC for h in site.hosts)
        assert site.cameras and site.displays and site.audio
        assert all(h.hardware is not None and h.os for h in site.hosts)


def test_nobody_invented_survey_findings():
    """No real survey has been imported yet: every unit says so explicitly."""
    inventory = load_inventory(INVENTORY)
    assert all(site.survey == NOT_SURVEYED for site in inventory.sites.values())
    for site in inventory.sites.values():
        if site.code not in PILOT:
            assert site.uplink is None and not site.cameras


def test_site_files_are_named_by_code_and_ascii_slug():
    for path in (INVENTORY / "sites").glob("*.yml"):
        assert path.name.isascii()
        assert path.stem.split("-", 1)[0].isdigit()


def test_default_inventory_is_the_working_directorys(tcd, monkeypatch):
    monkeypatch.chdir(REPO)
    assert tcd("inventory", "check").exit_code == 0
    monkeypatch.chdir(Path("/"))
    result = tcd("inventory", "check")
    assert result.exit_code == 2
    assert "inventory folder not found" in result.stderr
