"""The role registry is the one list of roles: every other list — the baseline's controls, the
compliance suite's modules and reads, the lab image, which host gets which role — agrees with it.
"""

import importlib
import inspect
import re
import subprocess
from pathlib import Path

import pytest

from roles.base.role import BASE
from roles.declaration import Reach, Role
from roles.ip_camera.role import IP_CAMERA
from roles.kiosk.role import KIOSK
from roles.monitoring_agent.role import MONITORING_AGENT
from roles.monitoring_hub.role import MONITORING_HUB
from roles.registry import ROLES
from roles.usb_camera.role import USB_CAMERA
from roles.vpn_hub.role import VPN_HUB
from roles.vpn_spoke.role import VPN_SPOKE
from tcd.compliance.plan import SuitePlan
from tcd.exports.pyinfra_inventory import pyinfra_inventory
from tcd.lab.image import IMAGE_PACKAGES
from tcd.loading import load_inventory
from tcd.model.site import HostRole
from tcd.model.survey import CameraKind
from tcd.planning import plan_addresses
from tcd.planning.hostdata import host_data
from tcd.planning.keys import PublicKeys
from tcd.target import field_target
from tcd.verify.plan import SUITE_DIR, verify_plan

from .conftest import INVENTORY, REPO

NAMES = [r.name for r in ROLES]


@pytest.fixture(scope="module")
def inventory():
    return load_inventory(INVENTORY)


def test_every_role_has_controls_and_every_control_a_role(inventory):
    controls = inventory.baseline.controls
    for role in ROLES:
        assert any(c.role == role.name for c in controls), f"{role.name} has no control"
    for control in controls:
        assert control.role in NAMES, f"{control.id} names no registered role"


def test_every_package_a_role_installs_is_in_the_lab_image():
    for role in ROLES:
        if role.reach is Reach.SSH:
            assert set(role.packages) <= set(IMAGE_PACKAGES), role.name


def test_every_host_gets_exactly_its_roles(inventory):
    """What the inventory says of each host, read from the site files themselves: every host
    is managed (base); a reception PC runs the kiosk; the site's gateway (its `gateway` host,
    else its first reception PC) the spoke; the PC a USB camera is plugged into that camera's
    role; an IP camera its own; every site host the monitoring agent; the hubs base, the hub
    role and the monitoring hub."""
    plan = plan_addresses(inventory)
    data = host_data(inventory, plan, inventory.sites.values(), PublicKeys())
    expected: dict[str, list[Role]] = {}
    for site in inventory.sites.values():
        gateways = [h for h in site.hosts if h.role is HostRole.GATEWAY]
        pcs = [h for h in site.hosts if h.role is HostRole.RECEPTION_PC]
        gateway = (gateways or pcs)[0].name
        usb = {c.attached_to for c in site.cameras if c.kind is CameraKind.USB}
        for host in site.hosts:
            roles = [BASE]
            roles += [KIOSK] if host.role is HostRole.RECEPTION_PC else []
            roles += [VPN_SPOKE] if host.name == gateway else []
            roles += [USB_CAMERA] if host.name in usb else []
            roles += [MONITORING_AGENT]
            expected[host.name] = roles
        for camera in site.cameras:
            if camera.kind is CameraKind.IP:
                expected[camera.name] = [IP_CAMERA]
    for hub in inventory.province.hubs:
        expected[hub.name] = [BASE, VPN_HUB, MONITORING_HUB]
    got = {name: list(entry.facts.roles) for name, entry in data.items()}
    assert got == {name: [r.name for r in roles] for name, roles in expected.items()}
    # the pilot has each shape: a PC as gateway with an IP camera, a gateway of its own, a PC
    # with a USB camera
    assert expected["tcd-26380-pc1"] == [BASE, KIOSK, VPN_SPOKE, MONITORING_AGENT]
    assert expected["tcd-25217-gw1"] == [BASE, VPN_SPOKE, MONITORING_AGENT]
    assert expected["tcd-25195-pc1"] == [BASE, KIOSK, VPN_SPOKE, USB_CAMERA, MONITORING_AGENT]
    assert expected["tcd-26380-cam1"] == [IP_CAMERA]


def test_rollout_and_verify_read_the_same_roles_and_data(inventory, monkeypatch):
    """pyinfra's inventory (the rollout) and the verify plan (the suite) carry each host's
    roles and host data as the registry builds them; the verify plan promises exactly the
    controls of those roles."""
    # the plan names the camera vault (the suite opens it, not the plan): a password is needed
    monkeypatch.setenv("TCD_VAULT_PASSWORD", "not-used-by-this-test")
    target = field_target(inventory)
    sites = inventory.select(wave="pilot")
    plan, records = target.managed_hosts(sites)
    data = target.host_data(plan, PublicKeys())
    pyinfra = pyinfra_inventory(
        records, {r.name: target.pyinfra_data(r, data[r.name]) for r in records}
    )
    for host in pyinfra:
        assert host.data.tcd_host == data[host.name].facts
        for name in data[host.name].facts.roles:
            role = next(r for r in ROLES if r.name == name)
            assert role.data_of(host.data) == data[host.name].of(role)
    suite, promised = verify_plan(target, sites)
    cameras = [c.name for s in sites for c in s.cameras if c.kind is CameraKind.IP]
    # the suite reads its input back from JSON into the same models
    suite = SuitePlan.model_validate_json(suite.model_dump_json())
    assert [h.name for h in suite.hosts] == [r.name for r in records] + cameras
    for spec, host in zip(suite.hosts, promised, strict=True):
        entry = spec.host_data
        assert entry == data[spec.name]
        wanted = {c.id for c in inventory.baseline.controls if c.role in entry.facts.roles}
        assert {c.id for c in host.controls} == wanted
    usb = next(h for h in promised if h.host == "tcd-25195-pc1")
    assert {"TCD-USBCAM-001", "TCD-USBCAM-002", "TCD-USBCAM-003"} <= {c.id for c in usb.controls}


def test_each_role_has_its_folder_deploy_and_checks():
    for role in ROLES:
        folder = REPO / "roles" / role.name
        assert (folder / "role.py").is_file() and (folder / "defaults.py").is_file(), role.name
        deploy = role.deploy_module()
        if role.reach is Reach.SSH:
            assert callable(deploy.main), f"roles/{role.name}/deploy.py has no main()"
            # prepare() runs before the sites: only a role that runs after them has one
            assert role.after_sites or not hasattr(deploy, "prepare"), role.name
        checks = importlib.import_module(f"tcd.compliance.check_{role.name}")
        assert checks.ROLE is role, f"check_{role.name}.py checks another role"
    modules = sorted(p.stem.removeprefix("check_") for p in SUITE_DIR.glob("check_*.py"))
    assert modules == sorted(NAMES), "a check module without a registered role"


def test_every_control_has_exactly_one_check_in_its_roles_module(inventory):
    for role in ROLES:
        checks = importlib.import_module(f"tcd.compliance.check_{role.name}")
        marked = [
            mark.args[0]
            for _, test in inspect.getmembers(checks, inspect.isfunction)
            if test.__name__.startswith("test_")
            for mark in getattr(test, "pytestmark", [])
            if mark.name == "control"
        ]
        wanted = [c.id for c in inventory.baseline.controls if c.role == role.name]
        assert sorted(marked) == sorted(wanted), role.name


def test_what_a_role_reads_collect_sh_can_read():
    script = (SUITE_DIR / "collect.sh").read_text()
    readers = set(re.findall(r"^read_(\w+)\(\)", script, re.M))
    for role in ROLES:
        missing = set(role.reads.sections) - readers
        assert not missing, f"{role.name} reads {missing}: collect.sh has no read_ for them"


def test_no_role_name_as_a_bare_string_outside_its_own_places():
    """A role's name is written in its registry entry (roles/<name>/role.py), its own folder
    and baseline.yml; everywhere else it comes from the registry."""
    for name in NAMES:
        found = subprocess.run(
            ["git", "grep", "-n", "-E", f"[\"']{name}[\"']", "--", ".", f":!roles/{name}/"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        lines = [line for line in found.splitlines() if not line.startswith("tests/test_roles.py")]
        assert not lines, "\n".join(lines)


def test_the_compliance_suite_is_not_in_the_projects_tests():
    assert SUITE_DIR.is_relative_to(REPO / "tcd")
    assert not list(Path(REPO / "tests").glob("**/check_*.py"))


def test_every_control_says_how_it_is_repaired(inventory):
    for control in inventory.baseline.controls:
        assert control.repair in ("rollout", "manual"), control.id
        if control.repair == "manual":
            assert control.repair_reason, f"{control.id}: manual repair without a reason"
