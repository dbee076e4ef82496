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


def ansible_list(inventory: Path, home: Path, env: dict[str, str] | None = None) -> dict:
    """`ansible-inventory --list` of a file or script, an unparsable inventory being an
    error."""
    listed = subprocess.run(
        [ANSIBLE_INVENTORY, "-i", str(inventory), "--list"],
        capture_output=True,
        text=True,
        check=True,
        env={
            "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",
            "PATH": "/usr/bin:/bin",
            "HOME": str(home),
            **(env or {}),
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

    # a play on a wave reaches its SSH hosts; the cameras have groups of their own
    assert set(data["pilot"]["hosts"]) == {
        "tcd-26380-pc1",
        "tcd-25217-gw1",
        "tcd-25217-pc1",
        "tcd-25195-pc1",
    }
    assert set(data["camera_pilot"]["hosts"]) == {
        "tcd-26380-cam1",
        "tcd-25217-cam1",
        "tcd-25195-cam1",
    }
    assert set(data["camera_site_26380"]["hosts"]) == {"tcd-26380-cam1"}
    assert "tcd-26380-cam1" not in data["site_26380"]["hosts"]
    # what every host needs to be reached and to act as root
    pc = hostvars["tcd-26380-pc1"]
    assert pc["ansible_user"] in {a.username for a in load_inventory(INVENTORY).province.admins}
    assert pc["ansible_become"] is True and pc["ansible_become_method"] == "sudo"
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
    one = tcd("inventory", "export", "-i", str(INVENTORY), "--sites", "25195", "-o", str(out))
    assert (
        "4 hosts (1 site and 2 hubs)" in one.stdout
    )  # counts agree in number (its PC, its USB camera)


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
        ssh_user="lab-user",
    )
    out = tmp_path / "lab.yml"
    out.write_text(dump_ansible_inventory(records, target.ansible_variables()))
    hostvars = ansible_list(out, home=tmp_path)["_meta"]["hostvars"]
    for record in records:
        assert hostvars[record.name]["ansible_ssh_common_args"] == "-F /srv/state/x/ssh_config"
    assert hostvars[records[0].name]["ansible_user"] == "lab-user"
    field = field_target(inventory).ansible_variables("qtv-sokhcn")
    assert field["ansible_user"] == "qtv-sokhcn"  # the operator's own SSH setup, no -F
    assert "-F" not in field["ansible_ssh_common_args"]


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


def test_export_to_standard_output_and_as_a_dynamic_inventory_script(tcd, tmp_path):
    out = tmp_path / "pilot.yml"
    assert tcd("inventory", "export", "-i", str(INVENTORY), "--wave", "pilot", "-o", str(out))
    printed = tcd("inventory", "export", "-i", str(INVENTORY), "--wave", "pilot", "-o", "-")
    assert printed.exit_code == 0 and printed.stdout == out.read_text()
    # Ansible runs the script itself, passing only --list or --host; the rest is environment
    script = Path(sys.executable).with_name("tcd-ansible-inventory")
    env = {"TCD_INVENTORY": str(INVENTORY), "TCD_WAVE": "pilot"}
    dynamic = ansible_list(script, home=tmp_path, env=env)
    static = ansible_list(out, home=tmp_path)
    assert dynamic["_meta"]["hostvars"] == static["_meta"]["hostvars"]
    groups = {g for g in static if g != "_meta"}
    assert {g: set(dynamic[g].get("hosts", [])) for g in groups} == {
        g: set(static[g].get("hosts", [])) for g in groups
    }
    one = subprocess.run(
        [str(script), "--host", "tcd-25195-pc1"],
        capture_output=True, text=True, check=True, env={**env, "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert json.loads(one.stdout)["tcd_site_code"] == 25195
