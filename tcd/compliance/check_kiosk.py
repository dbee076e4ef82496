"""roles/kiosk on every reception PC: the kiosk account, its browser session, devices and
screen schedule."""

import json

import pytest

from roles.base.role import BASE
from roles.kiosk import defaults
from roles.kiosk.role import KIOSK
from tcd.compliance.host import CheckedHost

ROLE = KIOSK  # the role whose hosts this module checks
control = pytest.mark.control
USER = defaults.KIOSK_USER


def policy(target: CheckedHost) -> dict:
    """The kiosk browser's policy: the role's file, alone in the managed folder (Chromium
    applies every file there)."""
    others = sorted(set(target.lines("chromium_policies")) - {defaults.CHROMIUM_POLICY})
    assert not others, f"browser policies the kiosk does not set: {', '.join(others)}"
    text = target.file(defaults.CHROMIUM_POLICY)
    assert text is not None, f"{defaults.CHROMIUM_POLICY} is missing"
    try:
        return json.loads(text)
    except ValueError:
        raise AssertionError(f"{defaults.CHROMIUM_POLICY}: {text.strip()[:200]}") from None


def calendars(target: CheckedHost) -> list[str]:
    """systemd's normalised form of the display timers' calendars (how timers show them)."""
    forms = target.lines("calendars")
    wanted = target.of(ROLE).calendars()
    assert len(forms) == len(wanted), f"systemd-analyze calendar {wanted}: {forms}"
    return forms


def loaded(target: CheckedHost, name: str) -> dict[str, str]:
    """A unit as systemd runs it; its files (or a drop-in) changed since systemd loaded them
    would change it at the next reload or boot, so they must agree."""
    unit = target.units().get(name, {})
    assert unit.get("NeedDaemonReload") != "yes", (
        f"{name} changed on disk since systemd loaded it (a drop-in or an edit not yet applied)"
    )
    on_disk = set(unit.get("DropInsOnDisk", "").split()) - set(unit.get("DropInPaths", "").split())
    assert not on_disk, f"{name} has drop-ins systemd has not loaded: {', '.join(sorted(on_disk))}"
    return unit


@control("TCD-KIOSK-001")
def test_kiosk_no_password_no_sudo(target: CheckedHost) -> None:
    password = target.section("kiosk_password").strip()
    assert password in defaults.NO_PASSWORD, f"{USER} has a password"
    entry = next((a.split(":") for a in target.lines("passwd") if a.startswith(f"{USER}:")), None)
    assert entry is not None, f"no {USER} account"
    assert entry[6] in ("/usr/sbin/nologin", "/bin/false"), f"{USER} has shell {entry[6]}"
    groups = set(target.section("kiosk_groups").split())
    privileged = {target.of(BASE).admin_group, "sudo", "admin", "wheel"} & groups
    assert not privileged, f"{USER} is in {', '.join(sorted(privileged))}"
    answer = dict(line.partition("\t")[::2] for line in target.lines("sudo")).get(USER, "")
    assert "is not allowed to run sudo" in answer, f"{USER} may run sudo: {answer}"


@control("TCD-KIOSK-002")
def test_kiosk_opens_the_platform(target: CheckedHost) -> None:
    kiosk = target.of(ROLE)
    unit = loaded(target, "tcd-kiosk.service")
    assert unit.get("UnitFileState") == "enabled", "tcd-kiosk.service is not enabled"
    assert kiosk.url in unit.get("ExecStart", "").split(), (
        f"tcd-kiosk.service does not open {kiosk.url}"
    )
    rules = policy(target)
    assert rules.get("URLBlocklist") == ["*"], "the browser policy does not block other sites"
    assert rules.get("URLAllowlist") == [kiosk.url_origin], (
        f"the browser allows {rules.get('URLAllowlist')}, expected {kiosk.url_origin}"
    )


@control("TCD-KIOSK-003")
def test_kiosk_devices(target: CheckedHost) -> None:
    groups = set(target.section("kiosk_groups").split())
    missing = set(defaults.KIOSK_GROUPS) - groups
    assert not missing, f"{USER} is not in {', '.join(sorted(missing))}"
    origin = target.of(ROLE).url_origin
    rules = policy(target)
    for key in ("VideoCaptureAllowedUrls", "AudioCaptureAllowedUrls"):
        assert rules.get(key) == [origin], f"the browser policy {key} is {rules.get(key)}"


@control("TCD-KIOSK-004")
def test_screen_on_in_office_hours(target: CheckedHost) -> None:
    # systemd shows calendars normalised ("Mon..Sat"): the host normalises ours the same way
    forms = calendars(target)
    for timer, form in zip(("on", "off"), forms, strict=True):
        unit = loaded(target, f"tcd-display-{timer}.timer")
        assert unit.get("UnitFileState") == "enabled", f"tcd-display-{timer}.timer is off"
        shown = unit.get("TimersCalendar", "")
        assert f"OnCalendar={form} " in shown, (
            f"tcd-display-{timer}.timer runs at {shown.strip()}, expected {form}"
        )
