"""roles/reception_pc: the kiosk account, its browser session, devices and screen schedule."""

import json

import pytest
from target import Target, office_calendars

from roles.reception_pc import defaults

ROLE = "reception_pc"
control = pytest.mark.control
KIOSK = defaults.KIOSK_USER


def policy(target: Target) -> dict:
    text = target.section("chromium_policy")
    try:
        return json.loads(text)
    except ValueError:
        raise AssertionError(f"{defaults.CHROMIUM_POLICY}: {text.strip()[:200]}") from None


@control("TCD-KIOSK-001")
def test_kiosk_no_password_no_sudo(target: Target) -> None:
    password = target.section("kiosk_password").strip()
    assert password in defaults.NO_PASSWORD, f"{KIOSK} has a password"
    entry = next((a.split(":") for a in target.lines("passwd") if a.startswith(f"{KIOSK}:")), None)
    assert entry is not None, f"no {KIOSK} account"
    assert entry[6] in ("/usr/sbin/nologin", "/bin/false"), f"{KIOSK} has shell {entry[6]}"
    groups = set(target.section("kiosk_groups").split())
    privileged = {target.data["tcd_base"]["admin_group"], "sudo", "admin", "wheel"} & groups
    assert not privileged, f"{KIOSK} is in {', '.join(sorted(privileged))}"
    answer = dict(line.partition("\t")[::2] for line in target.lines("sudo")).get(KIOSK, "")
    assert "is not allowed to run sudo" in answer, f"{KIOSK} may run sudo: {answer}"


@control("TCD-KIOSK-002")
def test_kiosk_opens_the_platform(target: Target) -> None:
    reception = target.data["tcd_reception"]
    unit = target.units().get("tcd-kiosk.service", {})
    assert unit.get("UnitFileState") == "enabled", "tcd-kiosk.service is not enabled"
    assert reception["url"] in unit.get("ExecStart", "").split(), (
        f"tcd-kiosk.service does not open {reception['url']}"
    )
    rules = policy(target)
    assert rules.get("URLBlocklist") == ["*"], "the browser policy does not block other sites"
    assert rules.get("URLAllowlist") == [reception["url_origin"]], (
        f"the browser allows {rules.get('URLAllowlist')}, expected {reception['url_origin']}"
    )


@control("TCD-KIOSK-003")
def test_kiosk_devices(target: Target) -> None:
    groups = set(target.section("kiosk_groups").split())
    missing = set(defaults.KIOSK_GROUPS) - groups
    assert not missing, f"{KIOSK} is not in {', '.join(sorted(missing))}"
    origin = target.data["tcd_reception"]["url_origin"]
    rules = policy(target)
    for key in ("VideoCaptureAllowedUrls", "AudioCaptureAllowedUrls"):
        assert rules.get(key) == [origin], f"the browser policy {key} is {rules.get(key)}"


@control("TCD-KIOSK-004")
def test_screen_on_in_office_hours(target: Target) -> None:
    # systemd shows calendars normalised ("Mon..Sat"): the host normalises ours the same way
    forms = target.calendars(*office_calendars(target.data["tcd_reception"]))
    for timer, form in zip(("on", "off"), forms, strict=True):
        unit = target.units().get(f"tcd-display-{timer}.timer", {})
        assert unit.get("UnitFileState") == "enabled", f"tcd-display-{timer}.timer is off"
        shown = unit.get("TimersCalendar", "")
        assert f"OnCalendar={form} " in shown, (
            f"tcd-display-{timer}.timer runs at {shown.strip()}, expected {form}"
        )
