"""roles/base: every managed host — identity, time, admins, sshd, firewall, updates, logs.

Reads its BaseData (role.py); policy choices are in defaults.py.
"""

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.api.operation import OperationMeta
from pyinfra.facts.server import Command, Users
from pyinfra.operations import files, server, systemd

from roles.base import defaults
from roles.base.findings import (
    apt_dropin_values_command,
    audit_keys,
    later_sysctl_settings,
    overridden_apt_settings,
    planned_audit_keys,
    sysctl_values,
    undeclared_listeners,
    unexpected_suid_sgid,
)
from roles.base.role import BASE, BaseData
from roles.common.attention import needs_attention
from roles.common.files import checked_template, only_ours, template
from roles.common.packages import install
from roles.common.units import own_dropins, service
from roles.common.virt import container, container_dropin


@deploy("Base")
def main() -> None:
    data = BASE.data_of(host.data)
    install("Base packages", defaults.PACKAGES, cache_time=86400)
    server.hostname(name="Hostname", hostname=data.hostname)
    server.timezone(name="Timezone", timezone=data.timezone)
    units = _unit_files(data)
    _time(data, units[CHRONY])
    _admins(data)
    _sshd(data)
    _firewall(data)
    _updates()
    _journal()
    _logins()
    _audit()
    _no_storage()
    _routes(units[ROUTES])
    _findings(data)


CHRONY, AUDITD, ROUTES = "chrony.service", "auditd.service", "tcd-office-routes.service"


def _unit_files(data: BaseData) -> dict[str, list[OperationMeta]]:
    """The role's unit files and drop-ins, by unit: the operations whose change needs a
    daemon-reload. All are written before any of those units starts, so systemd reloads once for
    the role: a reload costs a host ~0.17 s of CPU (PID 1 reads every unit again, a dozen
    generators run), and a lab host's first run had three here (docs/benchmarks.md)."""
    units = {
        # chrony.service's drop-in folder is the role's: another drop-in could change how it runs
        CHRONY: container_dropin(CHRONY, defaults.CHRONY_CONTAINER_DROPIN),
        AUDITD: container_dropin(AUDITD, defaults.AUDITD_CONTAINER_DROPIN),
        # a host behind its site's gateway reaches the offices through it (a boot-time unit, so
        # it holds whatever manages the rest of the network; a no-op unit elsewhere)
        ROUTES: [
            template(f"etc/systemd/system/{ROUTES}.j2", f"/etc/systemd/system/{ROUTES}",
                     routes=data.routes),
            *own_dropins(ROUTES),
        ],
    }  # fmt: skip
    changed = [op for ops in units.values() for op in ops]
    systemd.daemon_reload(
        name="systemd reloaded (base units)", _if=lambda: any(op.did_change() for op in changed)
    )
    return units


def _time(data: BaseData, unit: list[OperationMeta]) -> None:
    conf = template(
        "etc/chrony/chrony.conf.j2",
        "/etc/chrony/chrony.conf",
        servers=data.ntp_servers,
        serve_to=data.ntp_serve_to,
    )
    service("chrony running", "chrony")
    systemd.service(
        name="chrony restarted",
        service="chrony",
        restarted=True,
        _if=lambda: conf.did_change() or any(op.did_change() for op in unit),
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
        # private like the files a login makes (TCD-UMASK-001): useradd made it with the umask
        # of the moment, Debian's 022 on a host's first rollout
        files.directory(
            name=f"/home/{admin.username} private",
            path=f"/home/{admin.username}",
            user=admin.username,
            group=admin.username,
            mode=defaults.HOME_MODE,
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
    ours = defaults.SUDOERS_RULE
    template("etc/sudoers.d/tcd-admins.j2", ours, mode="440", admin_group=group)
    # sudo grants whatever any file here says: the hand-over rule a PC came with, or one added
    # by hand, goes (TCD-ACC-003)
    only_ours(defaults.SUDOERS_DIR, [ours, *defaults.SUDOERS_KEPT])


def _sshd(data: BaseData) -> None:
    # sshd takes the first value it reads and reads drop-ins in name order, so any other file
    # here could override the policy (a "00-local.conf" with PasswordAuthentication yes): the
    # folder is the role's alone (TCD-SSH-001..004)
    ours = "/etc/ssh/sshd_config.d/10-tcd.conf"
    removed = only_ours("/etc/ssh/sshd_config.d", [ours])
    # the legal notice before login (TCD-BANNER-001): getty shows /etc/issue, sshd the Banner
    for path in defaults.BANNER_FILES:
        template(f"{path[1:]}.j2", path, banner=defaults.BANNER)
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
        session=defaults.SSH_SESSION,
        hardening=defaults.SSH_HARDENING,
        banner=defaults.SSH_BANNER,
        forward_to=data.ssh_forward_to,
    )
    systemd.service(
        name="ssh drops removed drop-ins",
        service="ssh",
        reloaded=True,
        _if=lambda: any(op.did_change() for op in removed),
    )


def _firewall(data: BaseData) -> None:
    service("nftables running", "nftables")
    conf = template(
        "etc/nftables.conf.j2",
        defaults.NFTABLES_CONF,
        mode="755",
        hostname=data.hostname,
        input=data.firewall_input,
        forward=data.firewall_forward,
        masquerade=data.masquerade,
        probe_masquerade=data.probe_masquerade,
        port_forwards=data.port_forwards,
        service_forwards=data.service_forwards,
    )
    # a ruleset nft refuses fails the deploy here, before it could replace the running one
    server.shell(
        name=f"{defaults.NFTABLES_CONF} is valid",
        commands=[f"nft -c -f {defaults.NFTABLES_CONF}"],
        _if=conf.did_change,
    )
    # The running ruleset, not only the file: each load records a digest of what it loaded; a
    # rule inserted or a table flushed by hand since (the file unchanged) differs from it
    record = defaults.NFTABLES_LOADED
    load = [
        f"nft -f {defaults.NFTABLES_CONF}",
        f"mkdir -p {record.rsplit('/', 1)[0]}",
        f"nft list ruleset | sha256sum > {record}",
    ]
    same = f'[ "$(nft list ruleset | sha256sum)" = "$(cat {record} 2>/dev/null)" ]'
    running = host.get_fact(Command, command=f"if {same}; then echo as-loaded; fi || true")
    if running != "as-loaded":
        server.shell(name="Ruleset reloaded (the running one differs from its file)", commands=load)
    else:
        server.shell(name="Ruleset reloaded", commands=load, _if=conf.did_change)
    _kernel(data)


def _kernel(data: BaseData) -> None:
    """The settings in the role's sysctl.d file, and running (TCD-NET-001, NET-002, KRN-001)."""
    kernel = defaults.SYSCTL_KERNEL
    conf = template(
        "etc/sysctl.d/99-tcd.conf.j2",
        defaults.SYSCTL_CONF,
        settings=data.sysctl,
        network=data.sysctl_net,
        kernel=kernel,
    )
    own = data.sysctl | data.sysctl_net  # the network namespace's: every host sets them
    if container() == "none":
        wanted = own | kernel
        apply = [f"sysctl -q -p {defaults.SYSCTL_CONF}"]
    else:
        # KERNEL_IS_THE_HOSTS: a container's /proc/sys is read-only but for its own network
        # namespace; the kernel-wide lines wait in the file for a real host
        wanted = own
        apply = ["sysctl -q -w " + " ".join(f"{k}={v}" for k, v in own.items())]
    running = host.get_fact(Command, command=f"sysctl -e {' '.join(wanted)}") or ""
    if sysctl_values(running.splitlines()) != wanted:
        server.shell(name="Kernel settings applied (the running ones differ)", commands=apply)
    else:
        server.shell(name="Kernel settings applied", commands=apply, _if=conf.did_change)
    # read at boot after ours, a file setting one of them otherwise would win then
    config = host.get_fact(Command, command="systemd-analyze cat-config sysctl.d") or ""
    for found in later_sysctl_settings(config.splitlines(), defaults.SYSCTL_CONF, own | kernel):
        control = "TCD-NET-001" if found.split()[2] in data.sysctl else "TCD-NET-002"
        control = "TCD-KRN-001" if found.split()[2] in kernel else control
        needs_attention(control, f"{found} (read after {defaults.SYSCTL_CONF})")


def _logins() -> None:
    """What a login gets: no core dumps (TCD-CORE-001), umask 027 (TCD-UMASK-001), idle shells
    ended (TCD-SHELL-001), the password policy for a local account (TCD-PASS-001)."""
    template("etc/security/limits.d/10-tcd.conf.j2", defaults.CORE_LIMITS)
    template(f"{defaults.COREDUMP_CONF[1:]}.j2", defaults.COREDUMP_CONF, settings=defaults.COREDUMP)
    template(
        f"{defaults.LOGIN_PROFILE[1:]}.j2",
        defaults.LOGIN_PROFILE,
        umask=defaults.UMASK,
        shell_timeout=defaults.SHELL_TIMEOUT,
    )
    # login.defs is the package's file (its comments document every keyword): the role's
    # keywords are set in place, the rest left as Debian ships it
    for keyword, value in defaults.LOGIN_DEFS_SETTINGS.items():
        files.line(
            name=f"{defaults.LOGIN_DEFS}: {keyword} {value}",
            path=defaults.LOGIN_DEFS,
            line=rf"^\s*{keyword}\s.*",
            replace=f"{keyword} {value}",
        )
    template(
        f"{defaults.PWQUALITY_CONF[1:]}.j2", defaults.PWQUALITY_CONF, settings=defaults.PWQUALITY
    )


def _audit() -> None:
    """auditd with the role's rules and settings (TCD-AUDIT-001); in a container, where it cannot
    run, the files alone and the unit skipped by a condition (NO_AUDIT_IN_A_CONTAINER)."""
    rules = template(
        f"{defaults.AUDIT_RULES[1:]}.j2",
        defaults.AUDIT_RULES,
        mode="640",
        watches=defaults.AUDIT_WATCHES,
        syscalls=defaults.AUDIT_SYSCALLS,
    )
    removed = only_ours(defaults.AUDIT_RULES_DIR, [defaults.AUDIT_RULES])
    conf = template(
        f"{defaults.AUDITD_CONF[1:]}.j2", defaults.AUDITD_CONF, mode="640", settings=defaults.AUDITD
    )
    if container() != "none":
        service("auditd enabled (skipped in a container)", "auditd.service", running=None)
        # a start before the condition was in place failed (the host degraded): forgotten
        state = host.get_fact(Command, "systemctl is-failed auditd.service || true") or ""
        if state.strip() == "failed":
            server.shell(
                name="auditd's failed start forgotten",
                commands=["systemctl reset-failed auditd.service"],
            )
        return
    service("auditd running", "auditd.service")
    # the kernel's rules, not the file's: `auditctl -D` by hand leaves the file as it was
    running = host.get_fact(Command, "auditctl -l 2>&1 || true") or ""
    server.shell(
        name="auditd rules loaded",
        commands=["augenrules --load"],
        _if=lambda: (
            audit_keys(running.splitlines()) != planned_audit_keys()
            or rules.did_change()
            or any(op.did_change() for op in removed)
        ),
    )
    systemd.service(
        name="auditd restarted (its configuration changed)",
        service="auditd.service",
        restarted=True,
        _if=conf.did_change,
    )


def _no_storage() -> None:
    """USB mass storage and FireWire off (TCD-USB-001): the loader's configuration, and on a real
    host those drivers unloaded if loaded (a stick still mounted makes that fail, loudly)."""
    modules = defaults.STORAGE_MODULES
    template(f"{defaults.NO_STORAGE_CONF[1:]}.j2", defaults.NO_STORAGE_CONF, modules=modules)
    # MODULES_ARE_THE_HOSTS: a container's lsmod is its machine's kernel's
    if container() != "none":
        return
    loaded = {line.split()[0] for line in (host.get_fact(Command, "lsmod") or "").splitlines()[1:]}
    found = [name for name in modules if name.replace("-", "_") in loaded]
    if found:
        server.shell(
            name="USB storage drivers unloaded", commands=[f"modprobe -r {' '.join(found)}"]
        )


def _routes(unit: list[OperationMeta]) -> None:
    """The office routes' unit (written by _unit_files) running, and run again when it changed."""
    service("Office routes", ROUTES)
    systemd.service(
        name="Office routes applied",
        service=ROUTES,
        restarted=True,
        _if=lambda: any(op.did_change() for op in unit),
    )


def _updates() -> None:
    template(
        "etc/apt/apt.conf.j2",
        defaults.APT_CONF,
        settings=defaults.APT_SETTINGS,
        origins=defaults.APT_ORIGINS,
    )
    # our file wins over every drop-in; one that says otherwise is shown to a person (it may
    # be a package's, or someone's attempt to stop updates)
    found = host.get_fact(Command, command=apt_dropin_values_command()) or ""
    for override in overridden_apt_settings(found.splitlines()):
        needs_attention("TCD-UPD-001", f"{override} (overridden by {defaults.APT_CONF})")
    service("apt-daily-upgrade timer", "apt-daily-upgrade.timer")


def _journal() -> None:
    ours = "/etc/systemd/journald.conf.d/10-tcd.conf"
    conf = template(
        "etc/systemd/journald.conf.d/10-tcd.conf.j2",
        ours,
        retention=defaults.JOURNAL_RETENTION,
        max_use=defaults.JOURNAL_MAX_USE,
        keep_free=defaults.JOURNAL_KEEP_FREE,
    )
    # a drop-in later in name order would override ours (Storage=volatile): the folder is ours
    removed = only_ours("/etc/systemd/journald.conf.d", [ours])
    # the effect, not only the setting: journald writes its journal under /var/log/journal.
    # (A removed folder it makes again itself; a file in its place leaves it on /run: nothing
    # kept across a reboot.) A file there is removed, so journald can make the folder again.
    writing = host.get_fact(
        Command,
        command="ls -l /proc/$(pidof systemd-journald)/fd 2>/dev/null"
        " | grep -q ' /var/log/journal/.*/system.journal$' && echo on-disk || true",
    )
    if writing != "on-disk":
        server.shell(
            name="journald restarted (it kept nothing on disk)",
            commands=[
                f"[ -d {defaults.JOURNAL_DIR} ] || rm -f {defaults.JOURNAL_DIR}",
                "systemctl restart systemd-journald",
            ],
        )
    else:
        systemd.service(
            name="journald restarted",
            service="systemd-journald",
            restarted=True,
            _if=lambda: conf.did_change() or any(op.did_change() for op in removed),
        )


def _findings(data: BaseData) -> None:
    """What is reported, not repaired (controls with `repair: manual`)."""
    ss = host.get_fact(Command, command="ss -Hltnup") or ""
    wg = host.get_fact(Command, command="wg show all listen-port 2>/dev/null || true") or ""
    for found in undeclared_listeners(ss.splitlines(), wg.splitlines(), data):
        needs_attention("TCD-FW-003", f"undeclared listener: {found}")
    suid = host.get_fact(Command, command=f"{defaults.FIND_SUID_SGID} 2>/dev/null || true") or ""
    for path in unexpected_suid_sgid(suid.splitlines()):
        needs_attention("TCD-SUID-001", f"SUID/SGID file nobody expects: {path}")
