"""roles/kiosk: the kiosk account and its locked-down browser session on the reception
platform, camera and audio for the kiosk user, the screen kept on in office hours.
Reads its KioskData (role.py)."""

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.facts.server import Users
from pyinfra.operations import server, systemd

from roles.common.files import only_ours, template
from roles.common.packages import install
from roles.common.units import own_dropins, service
from roles.kiosk import defaults
from roles.kiosk.role import KIOSK


@deploy("Kiosk")
def main() -> None:
    data = KIOSK.data_of(host.data)
    install("Kiosk packages", defaults.PACKAGES)
    user = defaults.KIOSK_USER
    for group in defaults.KIOSK_GROUPS:
        # udev creates these on a PC; a host without udev (a lab container) needs them made
        server.group(name=f"Group {group}", group=group, system=True)
    # no password (locked), no sudo, no SSH: only the device groups it needs (TCD-KIOSK-001)
    server.user(
        name=f"Kiosk account {user}",
        user=user,
        home=f"/home/{user}",
        shell="/usr/sbin/nologin",
        groups=defaults.KIOSK_GROUPS,
        create_home=True,
    )
    kiosk = (host.get_fact(Users) or {}).get(user, {})
    # "!" is locked with no password at all; anything else (a hash, even a locked "!$6$…")
    # means someone gave the kiosk a password (TCD-KIOSK-001)
    if kiosk and kiosk.get("password") not in defaults.NO_PASSWORD:
        server.shell(name=f"{user} has no password", commands=[f"usermod -p '!' {user}"])
    extra = set(kiosk.get("groups", [])) - set(defaults.KIOSK_GROUPS) - {user}
    if extra:
        server.shell(
            name=f"{user} only in its device groups",
            commands=[f"usermod -G {','.join(defaults.KIOSK_GROUPS)} {user}"],
        )
    template(
        "etc/chromium/policies/managed/tcd-reception.json.j2",
        defaults.CHROMIUM_POLICY,
        url=data.url,
        origin=data.url_origin,
    )
    only_ours(defaults.CHROMIUM_POLICIES, [defaults.CHROMIUM_POLICY])
    unit = template(
        "etc/systemd/system/tcd-kiosk.service.j2",
        "/etc/systemd/system/tcd-kiosk.service",
        user=user,
        tty=defaults.KIOSK_TTY,
        url=data.url,
    )
    schedule = {
        "user": user,
        "days": data.office_days,
        "start": data.office_start,
        "end": data.office_end,
    }
    script = template(
        "usr/local/sbin/tcd-display.j2", "/usr/local/sbin/tcd-display", mode="755", **schedule
    )
    timers = [
        template(f"etc/systemd/system/{name}.j2", f"/etc/systemd/system/{name}", **schedule)
        for name in ("tcd-display@.service", *defaults.DISPLAY_TIMERS)
    ]
    # the units' drop-in folders are the role's: another drop-in could change what the kiosk
    # opens or when the screen goes off
    units = ("tcd-kiosk.service", "tcd-display@.service", *defaults.DISPLAY_TIMERS)
    removed = [op for name in units for op in own_dropins(name)]
    changed = [unit, script, *timers, *removed]
    systemd.daemon_reload(
        name="systemd reloaded", _if=lambda: any(op.did_change() for op in changed)
    )
    service("Kiosk session enabled", "tcd-kiosk.service", running=None)
    for timer in defaults.DISPLAY_TIMERS:
        service(f"{timer} enabled", timer)
