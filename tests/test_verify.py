"""`tcd verify` on the rolled-out pilot lab: real hosts, real SSH, real breakages.

Shares the session's rolled-out lab with test_rollout.py; every test that breaks a host leaves
it repaired (by `tcd rollout`, as an operator would). Breakages by the dozen, their drift and
their repair are test_converge.py's (one verify, one rollout, one verify for all of them)."""

import datetime as dt
import json
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .conftest import INVENTORY, RolledOut

pytestmark = pytest.mark.lab


def verify(
    lab: RolledOut, reports: Path, *args: str, inventory: Path = INVENTORY, cwd: Path | None = None
) -> tuple[subprocess.CompletedProcess[str], dict]:
    argv = ["verify", "--lab", "--wave", "pilot", "--report", str(reports), "--json"]
    done = lab.tcd(*argv, "-i", str(inventory.resolve()), *args, cwd=cwd)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return done, json.loads(done.stdout)


def failing(result: dict) -> set[tuple[str, str]]:
    return {
        (host, check["control"])
        for host, entry in result["hosts"].items()
        for check in entry["checks"]
        if check["result"] in ("failed", "unreachable")
    }


def junit_result(case: ET.Element) -> str:
    for element, result in (("failure", "failed"), ("error", "unreachable"), ("skipped", "waived")):
        if case.find(element) is not None:
            return result
    return "passed"


def latest(reports: Path) -> Path:
    return sorted(p for p in reports.iterdir() if (p / "verify.json").is_file())[-1]


def test_rolled_out_pilot_passes_and_reports_agree(rolled_out: RolledOut, tmp_path: Path) -> None:
    # --report as an operator types it: relative to where they are
    done, result = verify(rolled_out, Path("reports"), cwd=tmp_path)
    assert done.returncode == 0, failing(result)
    assert result["passed"] and result["counts"]["failed"] == 0
    folder = latest(tmp_path / "reports")
    saved = json.loads((folder / "verify.json").read_text())
    assert saved == result  # the report and --json are one shape
    from_json = {
        (host, c["control"], c["result"])
        for host, entry in saved["hosts"].items()
        for c in entry["checks"]
    }
    junit = ET.parse(folder / "junit.xml").getroot()
    from_junit = {
        (case.get("classname"), case.get("name").split()[0], junit_result(case))
        for case in junit.iter("testcase")
    }
    html = (folder / "index.html").read_text()
    rows = re.findall(r'data-host="([^"]+)" data-control="([^"]+)" data-result="([^"]+)"', html)
    assert from_json == from_junit == set(rows)
    # every host of the pilot, both hubs and the pilot's IP cameras, each with every control of
    # its roles
    hosts = {h for h, _, _ in from_json}
    assert hosts == {"tcd-26380-pc1", "tcd-25217-gw1", "tcd-25217-pc1", "tcd-25195-pc1"} | {
        "tcd-hub-province",
        "tcd-hub-central",
        "tcd-26380-cam1",
        "tcd-25217-cam1",
    }
    assert len(from_json) == sum(len(e["checks"]) for e in saved["hosts"].values()) > 100
    assert int(junit.get("tests")) == len(from_json) and junit.get("failures") == "0"
    # the USB camera on 25195's reception PC is verified like every other role
    usb = {c for h, c, r in from_json if h == "tcd-25195-pc1" and c.startswith("TCD-USBCAM-")}
    assert usb == {"TCD-USBCAM-001", "TCD-USBCAM-002", "TCD-USBCAM-003"}
    assert not {c for h, c, r in from_json if h != "tcd-25195-pc1" and c.startswith("TCD-USBCAM")}


def wait_for_time_sync(lab: RolledOut, host: str, seconds: int = 60) -> None:
    """chronyd selects its source a few polls after a restart."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sources = lab.lab.ssh(host, "sudo chronyc -c -n sources", check=False).stdout
        if any(line.split(",")[1:2] == ["*"] for line in sources.splitlines()):
            return
        time.sleep(1)
    pytest.fail(f"{host}: chrony did not select its source within {seconds} s")


def write_waiver(inventory: Path, expires: dt.date) -> None:
    (inventory / "waivers.yml").write_text(
        "waivers:\n"
        "  - control: TCD-TIME-001\n"
        "    site: 25195\n"
        "    justification: the commune's PC clock is being replaced (test)\n"
        f"    expires: {expires.isoformat()}\n",
        encoding="utf-8",
    )


def test_waiver_until_its_expiry(rolled_out: RolledOut, tmp_path: Path) -> None:
    inventory = tmp_path / "inventory"
    shutil.copytree(INVENTORY, inventory)
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date()
    rolled_out.lab.ssh("tcd-25195-pc1", "sudo systemctl stop chrony")
    try:
        write_waiver(inventory, today + dt.timedelta(days=30))
        done, result = verify(rolled_out, tmp_path / "reports", inventory=inventory)
        assert done.returncode == 0, failing(result)
        checks = {c["control"]: c for c in result["hosts"]["tcd-25195-pc1"]["checks"]}
        assert checks["TCD-TIME-001"]["result"] == "waived"
        assert checks["TCD-TIME-001"]["waiver"]["expired"] is False
        assert result["counts"]["waived"] == 1

        write_waiver(inventory, today - dt.timedelta(days=1))
        done, result = verify(rolled_out, tmp_path / "reports", inventory=inventory)
        assert done.returncode == 1
        assert failing(result) == {("tcd-25195-pc1", "TCD-TIME-001")}
        checks = {c["control"]: c for c in result["hosts"]["tcd-25195-pc1"]["checks"]}
        assert checks["TCD-TIME-001"]["waiver"]["expired"] is True
        html = (latest(tmp_path / "reports") / "index.html").read_text()
        assert "Miễn trừ đã hết hạn" in html
    finally:
        rolled_out.lab.ssh("tcd-25195-pc1", "sudo systemctl start chrony")
        wait_for_time_sync(rolled_out, "tcd-25195-pc1")


def test_a_host_whose_sudo_refuses_fails_every_check_saying_so(
    rolled_out: RolledOut, tmp_path: Path
) -> None:
    # the suite's one command per host runs under `sudo /bin/sh`: a drop-in that asks the admin
    # for a password for that command alone (other commands keep working, to remove it)
    host, dropin = "tcd-25217-gw1", "/etc/sudoers.d/zz-test-refuse-sh"
    rule = "$(id -un) ALL=(ALL) PASSWD: /bin/sh, /usr/bin/sh"
    rolled_out.lab.ssh(host, f'echo "{rule}" | sudo tee {dropin} >/dev/null')
    try:
        done, result = verify(rolled_out, tmp_path)
        assert done.returncode == 1
        checks = result["hosts"][host]["checks"]
        assert checks and all(c["result"] == "failed" for c in checks)
        assert all(c["reason"].startswith("sudo failed: sudo: a ") for c in checks), checks[0]
        assert failing(result) == {(host, c["control"]) for c in checks}
    finally:
        rolled_out.lab.ssh(host, f"sudo rm -f {dropin}")


def test_an_offline_host_is_unreachable_not_skipped(rolled_out: RolledOut, tmp_path: Path) -> None:
    stop = rolled_out.tcd("lab", "stop", "tcd-25217-pc1")
    assert stop.returncode == 0
    try:
        done, result = verify(rolled_out, tmp_path)
        assert done.returncode == 1
        checks = result["hosts"]["tcd-25217-pc1"]["checks"]
        assert checks and all(c["result"] == "unreachable" for c in checks)
        assert failing(result) == {("tcd-25217-pc1", c["control"]) for c in checks}
    finally:
        start = rolled_out.tcd("lab", "start", "tcd-25217-pc1")
    assert start.returncode == 0
    wait_for_time_sync(rolled_out, "tcd-25217-pc1")  # the next module's verify needs it
