"""Exports read by other tools, checked by those tools themselves (ansible-inventory, pyinfra)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tcd.exports.ansible import dump_ansible_inventory
from tcd.exports.hosts import fleet_records
from tcd.exports.pyinfra_inventory import pyinfra_inventory
from tcd.loading import load_inventory
from tcd.planning import plan_addresses
from tcd.target import Target, field_target

from .conftest import INVENTORY

ANSIBLE_INVENTORY = shutil.which("ansible-inventory") or str(
    Path(sys.executable).with_name("ansible-inventory")
)


def ansible_list(inventory: Path, home: Path) -> dict:
    """`ansible-inventory --list` of a file, an unparsable inventory being an error."""
    listed = subprocess.run(
        [ANSIBLE_INVENTORY, "-i", str(inventory), "--list"],
        capture_output=True,
        text=True,
        check=True,
        env={
            "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",
            "PATH": "/usr/bin:/bin",
            "HOME": str(home),
        },
    )
    return json.loads(listed.stdout)


def test_ansible_inventory_reads_the_export(tcd, tmp_path):
    out = tmp_path / "fleet.yml"
    result = tcd("inventory", "export", "--inventory", str(INVENTORY), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    data = ansible_list(out, home=tmp_path)
    hostvars = data["_meta"]["hostvars"]
    plan = plan_addresses(load_inventory(INVENTORY))

    assert set(data["pilot"]["hosts"]) == {
        "tcd-26380-pc1",
        "tcd-26380-cam1",
        "tcd-25217-gw1",
        "tcd-25217-pc1",
        "tcd-25217-cam1",
        "tcd-25195-pc1",
        "tcd-25195-cam1",
    }
    for name in ("tcd-26380-pc1", "tcd-25217-gw1", "tcd-25217-pc1", "tcd-25195-pc1"):
        assert hostvars[name]["ansible_host"] == str(plan.host(name).management_address)
    assert hostvars["tcd-26380-pc1"]["tcd_overlay"] == {
        "province": "10.220.5.116",
        "central": "10.221.5.116",
    }
    assert hostvars["tcd-26380-cam1"]["ansible_host"] == "10.211.87.74"
    assert set(data["gateway"]["hosts"]) >= {"tcd-26380-pc1", "tcd-25217-gw1", "tcd-25195-pc1"}
    assert "tcd-25217-pc1" not in data["gateway"]["hosts"]
    assert set(data["hub"]["hosts"]) == {"tcd-hub-province", "tcd-hub-central"}
    assert "tcd-26380-pc1" in data["district_thanh_pho_bien_hoa_dong_nai"]["hosts"]
    assert len(data["reception_pc"]["hosts"]) == 95
    for wave in ("wave_1", "wave_2", "wave_3"):
        assert data[wave]["hosts"]


def test_export_of_one_wave(tcd, tmp_path):
    out = tmp_path / "pilot.yml"
    result = tcd("inventory", "export", "-i", str(INVENTORY), "--wave", "pilot", "-o", str(out))
    assert result.exit_code == 0
    assert "9 hosts (3 sites and 2 hubs)" in result.stdout  # hubs always come with their sites


def test_a_lab_export_reaches_every_host_through_the_labs_ssh_config(tmp_path):
    """What `--lab` adds (the lab's addresses come from its own plan): the lab's ssh_config for
    every host, as Ansible reads it."""
    inventory = load_inventory(INVENTORY)
    records = fleet_records(plan_addresses(inventory), inventory.select(wave="pilot"))
    target = Target(
        name="lab x",
        inventory=inventory,
        state_dir=tmp_path,
        apt_update=False,
        ssh_config=Path("/srv/state/x/ssh_config"),
    )
    out = tmp_path / "lab.yml"
    out.write_text(dump_ansible_inventory(records, target.ansible_variables()))
    hostvars = ansible_list(out, home=tmp_path)["_meta"]["hostvars"]
    for record in records:
        assert hostvars[record.name]["ansible_ssh_common_args"] == "-F /srv/state/x/ssh_config"
    assert field_target(inventory).ansible_variables() == {}  # the operator's own SSH setup


def test_pyinfra_inventory_for_a_selection():
    inventory = load_inventory(INVENTORY)
    plan = plan_addresses(inventory)
    records = fleet_records(plan, inventory.select(wave="pilot"))
    pyinfra = pyinfra_inventory(records, {"tcd-26380-pc1": {"ssh_port": 2222}})

    names = sorted(host.name for host in pyinfra)
    hosts = ["tcd-26380-pc1", "tcd-25217-gw1", "tcd-25217-pc1", "tcd-25195-pc1"]
    assert names == sorted([*hosts, "tcd-hub-province", "tcd-hub-central"])
    pc = pyinfra.get_host("tcd-26380-pc1")
    assert pc.data.ssh_hostname == str(plan.host("tcd-26380-pc1").management_address)
    assert pc.data.ssh_port == 2222
    assert pc.data.tcd_site_code == 26380
    assert {h.name for h in pyinfra.get_group("gateway")} == {
        "tcd-26380-pc1",
        "tcd-25217-gw1",
        "tcd-25195-pc1",
    }
    assert {h.name for h in pyinfra.get_group("hub")} == {"tcd-hub-province", "tcd-hub-central"}
