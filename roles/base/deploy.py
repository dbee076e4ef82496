"""roles/base: every managed host — identity, time, admins, sshd, firewall, updates, logs.

Reads its BaseData (role.py); policy choices are in defaults.py.
"""

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.facts.files import FindFiles
from pyinfra.facts.server import Command, Users
from pyinfra.operations import files, server, systemd

from roles.base import defaults
from roles.base.role import BASE, BaseData
from roles.common.files import checked_template, template
from roles.common.packages import install


@deploy("Base")
def main() -> None:
    data = BASE.data_of(host.data)
    install("Base packages", defaults.PACKAGES, cache_time=86400)
    server.hostname(name="Hostname", hostname=data.hostname)
    server.timezone(name="Timezone", timezone=data.timezone)
    _time(data)
    _admins(data)
    _sshd(data)
    _firewall(data)
    _updates()
    _journal()
    _routes(data)


def _time(data: BaseData) -> None:
    conf = template(
        "etc/chrony/chrony.conf.j2",
        "/etc/chrony/chrony.conf",
        servers=data.ntp_servers,
        serve_to=data.ntp_serve_to,
    )
    # a container (a lab host) may not set the clock; chronyd then only measures and serves
    virt = host.get_fact(Command, "systemd-detect-virt --container || true") or "none"
    dropin = "/etc/systemd/system/chrony.service.d/10-tcd-container.conf"
    if virt != "none":
        unit = template(f"{dropin[1:]}.j2", dropin, virt=virt)
    else:
        unit = files.file(name="chrony sets the clock", path=dropin, present=False)
    systemd.daemon_reload(name="systemd reloaded (chrony)", _if=unit.did_change)
    systemd.service(name="chrony running", service="chrony", running=True, enabled=True)
    systemd.service(
        name="chrony restarted",
        service="chrony",
        restarted=True,
        _if=lambda: conf.did_change() or unit.did_change(),
    )


def _admins(data: BaseData) -> None:
    group = data.admin_group
    server.group(name=f"Group {group}", group=group)
    declared = set()
    for admin in data.admins:
        declared.add(admin.username)
        server.user(
            name=f"Admin {admin.username}",
            user=admin.username,
            home=f"/home/{admin.username}",
            shell="/bin/bash",
            groups=[group],
            append=True,
            public_keys=list(admin.keys),
            delete_keys=True,
        )
    users = host.get_fact(Users) or {}
    # a second uid-0 account is root under another name, i.e. a backdoor: it goes (TCD-ACC-001);
    # -f because userdel otherwise refuses while any root process runs (all of uid 0's)
    for user, info in users.items():
        if user != "root" and str(info.get("uid")) == "0":
            server.shell(name=f"Remove uid-0 account {user}", commands=[f"userdel -f {user}"])
    # someone added to the admin group by hand is taken out of it (TCD-ACC-002)
    for user, info in users.items():
        if group in info.get("groups", []) and user not in declared:
            server.shell(
                name=f"Remove {user} from {group}", commands=[f"gpasswd -d {user} {group}"]
            )
    template("etc/sudo.conf.j2", "/etc/sudo.conf")
    template(
        "etc/sudoers.d/tcd-admins.j2", "/etc/sudoers.d/tcd-admins", mode="440", admin_group=group
    )
    files.file(name="No hand-over sudo rule", path=defaults.HANDOVER_SUDOERS, present=False)


def _sshd(data: BaseData) -> None:
    # sshd takes the first value it reads and reads drop-ins in name order, so any other file
    # here could override the policy (a "00-local.conf" with PasswordAuthentication yes): the
    # folder is the role's alone (TCD-SSH-001..004)
    ours = "/etc/ssh/sshd_config.d/10-tcd.conf"
    found = host.get_fact(FindFiles, path="/etc/ssh/sshd_config.d", maxdepth=1) or []
    removed = [
        files.file(name=f"Remove {path}", path=path, present=False)
        for path in found
        if path != ours
    ]
    # a config sshd refuses fails the deploy before a reload could lock us out
    checked_template(
        "etc/ssh/sshd_config.d/10-tcd.conf.j2",
        ours,
        check="sshd -t",
        service="ssh",
        reload=True,
        mode="600",
        admin_group=data.admin_group,
        ciphers=defaults.SSH_CIPHERS,
        macs=defaults.SSH_MACS,
        kex=defaults.SSH_KEX,
        max_auth_tries=defaults.SSH_MAX_AUTH_TRIES,
        forward_to=data.ssh_forward_to,
    )
    systemd.service(
        name="ssh drops removed drop-ins",
        service="ssh",
        reloaded=True,
        _if=lambda: any(op.did_change() for op in removed),
    )


def _firewall(data: BaseData) -> None:
    systemd.service(name="nftables enabled", service="nftables", running=True, enabled=True)
    # `nft flush ruleset` by hand leaves the unit active and the file intact: reload from the file
    loaded = host.get_fact(Command, command="nft list tables 2>/dev/null || true") or ""
    expected = ["table inet tcd"] + (["table ip tcd_nat"] if data.masquerade else [])
    if any(table not in loaded.splitlines() for table in expected):
        server.shell(name="Ruleset reloaded", commands=["nft -f /etc/nftables.conf"])
    checked_template(
        "etc/nftables.conf.j2",
        "/etc/nftables.conf",
        check="nft -c -f /etc/nftables.conf",
        service="nftables",
        reload=False,
        mode="755",
        hostname=data.hostname,
        input=data.firewall_input,
        forward=data.firewall_forward,
        masquerade=data.masquerade,
    )
    if data.forwarding:
        sysctl = template(
            "etc/sysctl.d/60-tcd-forwarding.conf.j2", "/etc/sysctl.d/60-tcd-forwarding.conf"
        )
        server.shell(
            name="Forwarding on",
            commands=["sysctl -q -p /etc/sysctl.d/60-tcd-forwarding.conf"],
            _if=sysctl.did_change,
        )


def _routes(data: BaseData) -> None:
    """A host behind its site's gateway reaches the offices through it (a boot-time unit, so
    it holds whatever manages the rest of the network; a no-op unit elsewhere)."""
    unit = template(
        "etc/systemd/system/tcd-office-routes.service.j2",
        "/etc/systemd/system/tcd-office-routes.service",
        routes=data.routes,
    )
    systemd.daemon_reload(name="systemd reloaded (routes)", _if=unit.did_change)
    systemd.service(
        name="Office routes", service="tcd-office-routes.service", running=True, enabled=True
    )
    systemd.service(
        name="Office routes applied",
        service="tcd-office-routes.service",
        restarted=True,
        _if=unit.did_change,
    )


def _updates() -> None:
    template("etc/apt/apt.conf.d/20auto-upgrades.j2", "/etc/apt/apt.conf.d/20auto-upgrades")
    template(
        "etc/apt/apt.conf.d/52tcd-unattended-upgrades.j2",
        "/etc/apt/apt.conf.d/52tcd-unattended-upgrades",
    )
    systemd.service(
        name="apt-daily-upgrade timer",
        service="apt-daily-upgrade.timer",
        running=True,
        enabled=True,
    )


def _journal() -> None:
    conf = template(
        "etc/systemd/journald.conf.d/10-tcd.conf.j2",
        "/etc/systemd/journald.conf.d/10-tcd.conf",
        retention=defaults.JOURNAL_RETENTION,
        max_use=defaults.JOURNAL_MAX_USE,
        keep_free=defaults.JOURNAL_KEEP_FREE,
    )
    systemd.service(
        name="journald restarted", service="systemd-journald", restarted=True, _if=conf.did_change
    )
