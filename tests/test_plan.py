"""The address plan: derived from codes alone, no overlaps, exhaustion named with both parties."""

import json
import shutil
from itertools import combinations
from pathlib import Path

import netaddr

from tcd.loading import load_inventory
from tcd.model.province import Office
from tcd.planning import plan_addresses

from .conftest import INVENTORY, replace_in, site_file

NEW_CODE = 26600  # in the plan's code range, not used by any of the 95 units


def add_unit(inventory: Path, code: int = NEW_CODE) -> None:
    """A synthetic 96th unit: in the register copy, with a site file, in a wave."""
    with (inventory / "admin_units.csv").open("a", encoding="utf-8") as register:
        register.write(
            f'{code},Xã Thử Nghiệm,xã,Xã Thử Nghiệm,xã,Huyện Thử (Đồng Nai),"Xã A, Xã B"\n'
        )
    path = inventory / "sites" / f"{code}-thu-nghiem.yml"
    shutil.copy(site_file(inventory, 26503), path)
    text = path.read_text(encoding="utf-8")
    text = text.replace("26503", str(code)).replace("Xã Phước An", "Xã Thử Nghiệm")
    path.write_text(text, encoding="utf-8")
    replace_in(inventory / "waves.yml", "      - 26503", f"      - 26503\n      - {code}")


def test_adding_a_unit_moves_no_other_units_addresses(inventory_copy):
    before = plan_addresses(load_inventory(inventory_copy))
    add_unit(inventory_copy)
    after = plan_addresses(load_inventory(inventory_copy))
    assert set(after.sites) == set(before.sites) | {NEW_CODE}
    for code, site_plan in before.sites.items():
        assert after.sites[code] == site_plan
    assert after.hubs == before.hubs
    new = after.sites[NEW_CODE]
    for other in before.sites.values():
        assert (
            not new.lan.__contains__(other.lan.ip)
            and new.management_block != other.management_block
        )
        assert new.overlay[Office.PROVINCE] != other.overlay[Office.PROVINCE]


def test_removing_a_unit_moves_no_other_units_addresses(inventory_copy):
    before = plan_addresses(load_inventory(inventory_copy))
    site_file(inventory_copy, 26503).unlink()
    replace_in(inventory_copy / "waves.yml", "      - 26503  # Xã Phước An\n", "")
    after = plan_addresses(load_inventory(inventory_copy))
    assert {c: p for c, p in before.sites.items() if c != 26503} == after.sites


def test_no_two_sites_share_a_block_and_everything_is_in_its_pool():
    inventory = load_inventory(INVENTORY)
    plan = plan_addresses(inventory)
    pools = inventory.province.address_plan.pools
    for a, b in combinations(plan.sites.values(), 2):
        assert a.lan != b.lan and a.management_block != b.management_block
        assert a.overlay[Office.PROVINCE] != b.overlay[Office.PROVINCE]
        assert a.overlay[Office.CENTRAL] != b.overlay[Office.CENTRAL]
    for site_plan in plan.sites.values():
        assert site_plan.lan in pools["site_lan"].cidr
        assert site_plan.management_block in pools["management"].cidr
        assert site_plan.overlay[Office.PROVINCE] in pools["overlay_province"].cidr
        assert site_plan.overlay[Office.CENTRAL] in pools["overlay_central"].cidr
        for host in site_plan.hosts:
            assert host.management_address in site_plan.management_block
            assert host.management_address != site_plan.management_block[1]  # the router's


def test_a_sites_block_is_computed_from_its_code():
    """Long Hưng (26380): index 16 + 26380 - 25000 = 1396 in each pool."""
    plan = plan_addresses(load_inventory(INVENTORY))
    site = plan.sites[26380]
    assert site.management_block == netaddr.IPNetwork("10.210.0.0/29").next(1396)
    assert site.lan == netaddr.IPNetwork("10.211.0.0/28").next(1396)
    assert site.overlay[Office.PROVINCE] == netaddr.IPAddress("10.220.0.0") + 1396
    assert site.gateway is not None and site.gateway.name == "tcd-26380-pc1"
    assert plan.sites[25217].gateway.name == "tcd-25217-gw1"


def test_pool_too_small_for_the_code_range_is_named(tcd, inventory_copy):
    path = inventory_copy / "province.yml"
    line = replace_in(path, "cidr: 10.220.0.0/21", "cidr: 10.220.0.0/22")
    result = tcd("plan")
    assert result.exit_code == 2
    assert (
        f"{path}:{line - 1}: address_plan.pools.overlay_province: pool overlay_province "
        "10.220.0.0/22 is exhausted: it holds 1024 /32 blocks, codes 25000-26999 need 2000 "
        "plus 16 reserved" in result.stderr
    )


def test_code_outside_the_plans_range_is_named(tcd, inventory_copy):
    path = inventory_copy / "province.yml"
    replace_in(path, "first: 25000", "first: 25500")
    result = tcd("plan")
    assert result.exit_code == 2
    first = site_file(inventory_copy, 25195)
    assert (
        f"{first}:4: code: code 25195 is outside the address plan's code range 25500-26999"
        in result.stderr
    )


def test_hub_overlay_address_must_be_in_the_reserved_start_of_its_pool(tcd, inventory_copy):
    path = inventory_copy / "province.yml"
    line = replace_in(path, "overlay_address: 10.221.0.1", "overlay_address: 10.221.5.116")
    result = tcd("plan")
    assert result.exit_code == 2
    assert (
        f"{path}:{line}: hubs.1.overlay_address: 10.221.5.116 is outside the reserved start of "
        "pool overlay_central 10.221.0.0/21" in result.stderr
    )


def test_office_network_overlapping_a_pool_is_named(tcd, inventory_copy):
    path = inventory_copy / "province.yml"
    replace_in(path, "- 10.231.0.0/24", "- 10.211.1.0/24")
    result = tcd("plan")
    assert result.exit_code == 2
    assert "pool site_lan 10.211.0.0/17 overlaps tcd-hub-central office network 10.211.1.0/24" in (
        result.stderr
    )


def test_plan_json_for_one_site(tcd):
    result = tcd("plan", "--inventory", str(INVENTORY), "--site", "25217", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data["sites"]) == ["25217"]
    site = data["sites"]["25217"]
    assert site["hosts"]["tcd-25217-gw1"] == {
        "role": "gateway",
        "gateway": True,
        "management_address": "10.210.7.74",
    }
    assert site["hosts"]["tcd-25217-pc1"]["gateway"] is False
    assert set(data["hubs"]) == {"tcd-hub-province", "tcd-hub-central"}


def test_plan_table_for_a_wave(tcd):
    result = tcd("plan", "--inventory", str(INVENTORY), "--wave", "pilot")
    assert result.exit_code == 0
    assert "sites (3)" in result.stdout
    assert "tcd-25217-gw1 (gw)" in result.stdout
