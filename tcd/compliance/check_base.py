"""roles/base on every managed host: sshd, firewall, listeners, accounts, time, updates, logs.

Each check reads the host's snapshot (collect.sh, one SSH round trip per host); TCD-SSH-001
also asks the running sshd from outside what it offers."""

import subprocess
from pathlib import PurePosixPath

import netaddr
import pytest

from roles.base import defaults
from roles.base.findings import (
    audit_keys,
    planned_audit_keys,
    sysctl_at_boot,
    sysctl_values,
    undeclared_listeners,
    unexpected_suid_sgid,
)
from roles.base.role import BASE
from tcd.compliance import nft
from tcd.compliance.host import CheckedHost

ROLE = BASE  # the role whose hosts this module checks
control = pytest.mark.control


def auth_methods(target: CheckedHost) -> str:
    """What the running sshd offers a newcomer, asked over a fresh connection from the
    controller: "publickey" when keys are the only way in. The suite's own login to the host
    asked it (`CheckedHost.offered`), unless its connection was open already."""

    def ask() -> str:
        if target.offered is not None:
            return target.offered
        argv = ["ssh", *(["-F", target.ssh_config] if target.ssh_config else [])]
        for option in (
            "ControlMaster=no",
            "ControlPath=none",
            "BatchMode=yes",
            "PreferredAuthentications=none",
            # only asks which methods are offered: a classic key exchange (a tenth of the
            # CPU of the post-quantum hybrid, on both ends) is enough, and allowed
            "KexAlgorithms=curve25519-sha256",
            "ConnectTimeout=10",
        ):
            argv += ["-o", option]
        argv += [target.ssh_host, "true"]
        answer = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        assert "Permission denied (" in answer.stderr, (
            f"unexpected answer from sshd: {answer.stderr.strip()[:300]}"
        )
        return answer.stderr.rsplit("Permission denied (", 1)[1].split(")", 1)[0]

    return target.fact("auth_methods", ask)


PREFETCH = [auth_methods]  # live reads beyond the snapshot, done before the first check


def sshd(target: CheckedHost) -> dict[str, str]:
    """The configuration sshd runs with (`sshd -T`: defaults, file and drop-ins resolved)."""
    return dict(sshd_lines(target))


def sshd_lines(target: CheckedHost) -> list[tuple[str, str]]:
    """`sshd -T` as (option, value), each line: options that add up (AllowGroups) print one
    line per value, which the dict above keeps only the last of."""
    return [
        (option, value) for option, _, value in (ln.partition(" ") for ln in target.lines("sshd"))
    ]


def unit(target: CheckedHost, name: str) -> dict[str, str]:
    return target.units().get(name, {})


@control("TCD-SSH-001")
def test_ssh_keys_only(target: CheckedHost) -> None:
    config = sshd(target)
    for option in ("passwordauthentication", "kbdinteractiveauthentication"):
        assert config.get(option) == "no", f"sshd {option} is {config.get(option)}, expected no"
    assert config.get("pubkeyauthentication") == "yes", "sshd does not accept public keys"
    # what the running daemon offers a newcomer (the file may have changed since its last reload)
    offered = auth_methods(target)
    assert offered == "publickey", f"the running sshd offers {offered}, expected publickey only"


@control("TCD-SSH-002")
def test_ssh_no_root_login(target: CheckedHost) -> None:
    value = sshd(target).get("permitrootlogin")
    assert value == "no", f"sshd PermitRootLogin is {value}, expected no"


@control("TCD-SSH-003")
def test_ssh_admin_group_only(target: CheckedHost) -> None:
    config = sshd(target)
    group = target.of(ROLE).admin_group
    # AllowGroups adds up across lines and files: every line counts
    allowed = sorted({value for option, value in sshd_lines(target) if option == "allowgroups"})
    assert allowed == [group], (
        f"sshd AllowGroups is {' '.join(allowed) or 'unset'}, expected {group}"
    )
    assert "allowusers" not in config, f"sshd AllowUsers is set: {config['allowusers']}"


@control("TCD-SSH-004")
def test_ssh_algorithms(target: CheckedHost) -> None:
    config = sshd(target)
    policy = {
        "ciphers": defaults.SSH_CIPHERS,
        "macs": defaults.SSH_MACS,
        "kexalgorithms": defaults.SSH_KEX,
    }
    for option, allowed in policy.items():
        assert option in config, f"sshd -T shows no {option}"
        extra = set(config[option].split(",")) - set(allowed)
        assert not extra, f"sshd {option} allows {', '.join(sorted(extra))}"


@control("TCD-SSH-005")
def test_ssh_session_limits(target: CheckedHost) -> None:
    config = sshd(target)
    wanted = {keyword.lower(): value for keyword, value in defaults.SSH_SESSION.items()}
    # forwarding is off for everyone; the admin group's Match block opens it where needed
    wanted["allowtcpforwarding"] = "no"
    for option, value in wanted.items():
        assert config.get(option) == value, (
            f"sshd {option} is {config.get(option)}, expected {value}"
        )
    forward_to = target.of(ROLE).ssh_forward_to
    admin = {
        option: value
        for option, _, value in (ln.partition(" ") for ln in target.lines("sshd_admin"))
    }
    if not forward_to:
        # no Match block may open forwarding for an admin either
        allowed = admin.get("allowtcpforwarding", "no")
        assert allowed == "no", f"sshd allows an admin TCP forwarding {allowed}, expected no"
        return
    assert admin, f"the admin group {target.of(ROLE).admin_group} has no member to ask sshd for"
    allowed = admin.get("allowtcpforwarding")
    assert allowed == "local", f"sshd allows an admin TCP forwarding {allowed}, expected local"
    opened = set(admin.get("permitopen", "").split())
    declared = {f"{to.address}:{to.port}" for to in forward_to}
    assert opened == declared, f"sshd PermitOpen for an admin is {' '.join(sorted(opened))}"


# shown only by what sshd sends (its version string), not by `sshd -T`: Debian's own keyword
SSHD_T_HIDES = {"DebianBanner"}


@control("TCD-SSH-006")
def test_ssh_hardening(target: CheckedHost) -> None:
    config = sshd(target)
    for keyword, value in defaults.SSH_HARDENING.items():
        if keyword in SSHD_T_HIDES:
            continue
        option = keyword.lower()
        assert config.get(option) == value, (
            f"sshd {option} is {config.get(option)}, expected {value}"
        )
    # DebianBanner no: the version string ends at OpenSSH's own version, no package revision
    version = target.section("sshd_version").strip()
    assert version.startswith("SSH-2.0-OpenSSH_"), f"sshd answers {version[:200]!r}"
    assert " " not in version, f"sshd tells its package revision: {version}"


@control("TCD-BANNER-001")
def test_login_banner(target: CheckedHost) -> None:
    wanted = defaults.BANNER.strip()
    for path in defaults.BANNER_FILES:
        text = target.file(path)
        assert text is not None, f"{path} is missing"
        assert text.strip() == wanted, f"{path} is not the legal notice: {text.strip()[:200]!r}"
    banner = sshd(target).get("banner")
    assert banner == defaults.SSH_BANNER, f"sshd Banner is {banner}, expected {defaults.SSH_BANNER}"


@control("TCD-FW-001")
def test_firewall_default_drop(target: CheckedHost) -> None:
    state = unit(target, "nftables.service").get("UnitFileState")
    assert state == "enabled", f"nftables.service is {state}, expected enabled"
    rules = nft.ruleset(target)
    chains = nft.input_chains(rules)
    assert chains, "no input chain: the ruleset is empty or not loaded"
    for chain in chains:
        where = f"input chain {chain['table']}/{chain['name']}"
        assert chain.get("policy") == "drop", f"{where} has policy {chain.get('policy')}"
        for rule in nft.rules_of(rules, chain):
            assert not (nft.accepts(rule) and nft.unconditional(rule)), (
                f"{where} accepts everything (rule {rule['handle']})"
            )


@control("TCD-FW-002")
def test_firewall_ssh_sources(target: CheckedHost) -> None:
    declared = next(r for r in target.of(ROLE).firewall_input if r.port == 22)
    found = nft.accepting_rules(target, 22, netaddr.IPSet(declared.sources))
    assert found, "no rule accepts SSH from the management and hub networks"


@control("TCD-FW-003")
def test_only_declared_listeners(target: CheckedHost) -> None:
    found = undeclared_listeners(
        target.lines("listeners"), target.lines("wg_listen"), target.of(ROLE)
    )
    assert not found, f"undeclared listeners: {', '.join(found)}"


@control("TCD-SUID-001")
def test_no_unexpected_suid_sgid_files(target: CheckedHost) -> None:
    found = unexpected_suid_sgid(target.lines("suid_sgid"))
    assert not found, f"SUID/SGID files nobody expects: {', '.join(found)}"


@control("TCD-NET-001")
def test_forwarding_as_the_host_routes(target: CheckedHost) -> None:
    wanted = target.of(ROLE).sysctl
    running = sysctl_values(target.lines("sysctl"))
    at_boot = sysctl_at_boot(target.lines("sysctl_d"))
    for key, value in wanted.items():
        assert running.get(key) == value, f"{key} is {running.get(key)}, expected {value}"
        after_boot = at_boot.get(key, "the kernel's default")
        assert after_boot == value, f"{key} would be {after_boot} after a reboot, not {value}"


def kernel_settings(target: CheckedHost, wanted: dict[str, str], running: bool) -> None:
    """`wanted` at boot (the sysctl.d files as boot reads them) and, if `running`, now."""
    now = sysctl_values(target.lines("sysctl"))
    at_boot = sysctl_at_boot(target.lines("sysctl_d"))
    for key, value in wanted.items():
        if running:
            assert now.get(key) == value, f"{key} is {now.get(key)}, expected {value}"
        after_boot = at_boot.get(key, "the kernel's default")
        assert after_boot == value, f"{key} would be {after_boot} after a reboot, not {value}"


@control("TCD-NET-002")
def test_network_hardening(target: CheckedHost) -> None:
    # the host's own network namespace: a container's too
    kernel_settings(target, target.of(ROLE).sysctl_net, running=True)


@control("TCD-KRN-001")
def test_kernel_hardening(target: CheckedHost) -> None:
    # KERNEL_IS_THE_HOSTS: a container reads its machine's kernel, which the role does not set
    # (docs/hardening.md); there the file alone is the role's, checked as boot would read it
    kernel_settings(target, defaults.SYSCTL_KERNEL, running=not target.in_container())


def login_shell(target: CheckedHost) -> dict[str, str]:
    """What a login shell gets: umask, core (its size limit), TMOUT, readonly (TMOUT or "")."""
    return dict(line.split(" ", 1) for line in target.lines("login_shell") if " " in line)


@control("TCD-CORE-001")
def test_no_core_dumps(target: CheckedHost) -> None:
    limits = dict(line.split() for line in target.lines("core_limit") if len(line.split()) == 2)
    for kind in ("hard", "soft"):
        assert limits.get(kind) == "0", f"a login may dump core: {kind} limit {limits.get(kind)}"
    core = login_shell(target).get("core")
    assert core == "0", f"a login shell may dump core (ulimit -c is {core})"
    coredump = sysctl_values(target.lines("coredump"))
    for key, value in defaults.COREDUMP.items():
        assert coredump.get(key) == value, f"systemd-coredump {key} is {coredump.get(key)}"


@control("TCD-UMASK-001")
def test_login_umask(target: CheckedHost) -> None:
    umask = login_shell(target).get("umask", "")
    assert umask.lstrip("0") == defaults.UMASK.lstrip("0"), (
        f"a login shell's umask is {umask}, expected {defaults.UMASK}"
    )
    value = login_defs(target).get("UMASK")
    assert value == defaults.UMASK, f"{defaults.LOGIN_DEFS} UMASK is {value}"
    assert "libpam-tmpdir\tii" in target.section("packages"), "libpam-tmpdir is not installed"
    pam = target.section("pam_session")
    assert "pam_tmpdir.so" in pam, "PAM gives a login no temporary folder of its own"
    homes = [line.split() for line in target.lines("admin_homes")]
    loose = [f"{home} {mode}" for home, mode in homes if mode != defaults.HOME_MODE]
    assert not loose, f"admins' homes not {defaults.HOME_MODE}: {', '.join(loose)}"


@control("TCD-SHELL-001")
def test_idle_shells_end(target: CheckedHost) -> None:
    shell = login_shell(target)
    timeout = shell.get("TMOUT")
    assert timeout == str(defaults.SHELL_TIMEOUT), f"an idle login shell ends after {timeout!r}"
    assert shell.get("readonly") == "TMOUT", "a session can lift TMOUT (not read-only)"


def login_defs(target: CheckedHost) -> dict[str, str]:
    """login.defs' keywords (the last of a keyword wins, as the shadow tools read it)."""
    return {
        fields[0]: fields[1]
        for fields in (line.split() for line in target.lines("login_defs"))
        if len(fields) >= 2
    }


@control("TCD-PASS-001")
def test_password_policy(target: CheckedHost) -> None:
    found = login_defs(target)
    for keyword, value in defaults.LOGIN_DEFS_SETTINGS.items():
        if keyword != "UMASK":  # TCD-UMASK-001's
            assert found.get(keyword) == value, (
                f"{defaults.LOGIN_DEFS} {keyword} is {found.get(keyword)}, expected {value}"
            )
    package = target.section("packages")
    assert "libpam-pwquality\tii" in package, "libpam-pwquality is not installed"
    lines = target.lines("pwquality")
    assert any(line.startswith("pam: ") for line in lines), "PAM does not ask pwquality"
    settings = sysctl_values([line for line in lines if not line.startswith("pam: ")])
    for key, value in defaults.PWQUALITY.items():
        assert settings.get(key) == value, f"pwquality {key} is {settings.get(key)}, not {value}"


@control("TCD-AUDIT-001")
def test_audit(target: CheckedHost) -> None:
    others = sorted(set(target.lines("audit_rules_d")) - {defaults.AUDIT_RULES})
    assert not others, f"audit rules the role does not set: {', '.join(others)}"
    rules = target.file(defaults.AUDIT_RULES)
    assert rules is not None, f"{defaults.AUDIT_RULES} is missing"
    lines = [line.strip() for line in rules.splitlines()]
    for path, permissions, key in defaults.AUDIT_WATCHES:
        watch = f"-w {path} -p {permissions} -k {key}"
        assert watch in lines, f"{defaults.AUDIT_RULES} does not have {watch}"
    assert audit_keys(lines) == planned_audit_keys(), (
        f"{defaults.AUDIT_RULES} has the rules {audit_keys(lines)}"
    )
    conf = sysctl_values((target.file(defaults.AUDITD_CONF) or "").splitlines())
    differing = {
        key: conf.get(key) for key, value in defaults.AUDITD.items() if conf.get(key) != value
    }
    assert not differing, f"{defaults.AUDITD_CONF} differs: {differing}"
    auditd = unit(target, "auditd.service")
    assert auditd.get("UnitFileState") == "enabled", f"auditd is {auditd.get('UnitFileState')}"
    if target.in_container():
        # NO_AUDIT_IN_A_CONTAINER: the unit is skipped by the role's condition, not failed
        assert defaults.AUDITD_CONTAINER_DROPIN in auditd.get("DropInPaths", "").split(), (
            "auditd has no container condition: it fails in a container"
        )
        assert auditd.get("ActiveState") != "failed", "auditd failed (it cannot run in a container)"
        return
    assert auditd.get("ActiveState") == "active", f"auditd is {auditd.get('ActiveState')}"
    status = target.lines("audit")
    assert "enabled 1" in status, f"the kernel does not audit: {status[:3]}"
    running = audit_keys(status)
    assert running == planned_audit_keys(), f"the kernel's audit rules are {running}"


@control("TCD-USB-001")
def test_no_usb_storage(target: CheckedHost) -> None:
    lines = target.lines("storage_modules")
    refused = dict(line.split(": ", 1) for line in lines if not line.startswith("loaded: "))
    for module in defaults.STORAGE_MODULES:
        answer = refused.get(module, "").strip()
        assert answer == "install /bin/false", (
            f"the module loader would load {module} ({answer or 'no answer'})"
        )
    if target.in_container():
        return  # MODULES_ARE_THE_HOSTS: a container's lsmod lists the machine's modules
    loaded = {line.removeprefix("loaded: ") for line in lines if line.startswith("loaded: ")}
    found = sorted(loaded & {name.replace("-", "_") for name in defaults.STORAGE_MODULES})
    assert not found, f"loaded: {', '.join(found)}"


def accounts(target: CheckedHost) -> list[list[str]]:
    return [line.split(":") for line in target.lines("passwd")]


def group_members(target: CheckedHost, name: str) -> set[str] | None:
    for line in target.lines("group"):
        fields = line.split(":")
        if fields[0] == name:
            return {m for m in fields[3].split(",") if m}
    return None


@control("TCD-ACC-001")
def test_only_root_has_uid_0(target: CheckedHost) -> None:
    uid0 = [entry[0] for entry in accounts(target) if entry[2] == "0"]
    assert uid0 == ["root"], f"uid 0 accounts: {', '.join(uid0)} (only root may have uid 0)"


@control("TCD-ACC-002")
def test_admins_as_declared(target: CheckedHost) -> None:
    base = target.of(ROLE)
    declared = {a.username: a for a in base.admins}
    members = group_members(target, base.admin_group)
    assert members is not None, f"group {base.admin_group} does not exist"
    assert members == set(declared), (
        f"group {base.admin_group} has {sorted(members)}, the inventory declares {sorted(declared)}"
    )
    present: dict[str, set[str]] = {}
    for line in target.lines("authorized_keys"):
        path, _, key = line.partition("\t")
        present.setdefault(path.split("/")[2], set()).add(" ".join(key.split()[:2]))
    for name, admin in declared.items():
        wanted = {" ".join(key.split()[:2]) for key in admin.keys}
        assert present.get(name, set()) == wanted, (
            f"{name}'s authorized_keys differ from the inventory's keys"
        )


@control("TCD-ACC-003")
def test_sudo_for_admin_group_only(target: CheckedHost) -> None:
    for group in ("sudo", "admin", "wheel"):
        members = group_members(target, group)
        assert not members, f"group {group} (sudo by Debian's default rules) has {members}"
    ours = {PurePosixPath(p).name for p in (defaults.SUDOERS_RULE, *defaults.SUDOERS_KEPT)}
    extra = set(target.lines("sudoers_d")) - ours
    assert not extra, f"unexpected sudo rules in /etc/sudoers.d: {', '.join(sorted(extra))}"
    admins = {a.username for a in target.of(ROLE).admins}
    for line in target.lines("sudo"):
        user, _, answer = line.partition("\t")
        if user not in admins:
            assert "is not allowed to run sudo" in answer, f"{user} may run sudo: {answer}"


@control("TCD-TIME-001")
def test_time_synchronised(target: CheckedHost) -> None:
    base = target.of(ROLE)
    state = unit(target, "chrony.service").get("ActiveState")
    assert state == "active", f"chronyd is not running ({state})"
    if base.ntp_serve_to:
        # the province's time source: it serves the fleet (from its own clock in the lab)
        tracking = target.section("chrony_tracking")
        assert "Leap status     : Normal" in tracking, f"chrony is not in sync: {tracking}"
        return
    sources = [line.split(",") for line in target.lines("chrony_sources")]
    selected = [s[2] for s in sources if len(s) > 2 and s[1] == "*"]
    assert selected, f"chrony has no selected source ({target.section('chrony_sources')})"
    assert selected[0] in base.ntp_servers, (
        f"chrony follows {selected[0]}, not the province NTP {', '.join(base.ntp_servers)}"
    )


@control("TCD-TIME-002")
def test_timezone(target: CheckedHost) -> None:
    zone = target.section("timezone").strip()
    expected = target.of(ROLE).timezone
    assert zone == expected, f"timezone is {zone}, expected {expected}"


@control("TCD-UPD-001")
def test_unattended_upgrades(target: CheckedHost) -> None:
    package = target.section("packages")
    assert "unattended-upgrades\tii" in package, f"unattended-upgrades not installed: {package}"
    # what apt uses, whichever file set it (a later drop-in would win over an earlier one)
    effective: dict[str, list[str]] = {}
    for line in target.lines("apt"):
        key, _, value = line.partition(" ")
        effective.setdefault(key, []).append(value)
    for key, wanted in defaults.APT_SETTINGS.items():
        value = effective.get(key, ["unset"])[-1]
        assert value == wanted, f'apt {key} is "{value}", expected "{wanted}"'
    origins = effective.get("Unattended-Upgrade::Origins-Pattern::", [])
    assert origins == defaults.APT_ORIGINS, f"unattended-upgrades takes updates from {origins}"
    timer = unit(target, "apt-daily-upgrade.timer").get("UnitFileState")
    assert timer == "enabled", f"apt-daily-upgrade.timer is {timer}"


def journald(target: CheckedHost) -> dict[str, str]:
    """journald's effective settings: the last assignment wins across the file and drop-ins."""
    lines = [line.strip() for line in target.lines("journald")]
    return dict(line.split("=", 1) for line in lines if "=" in line and line[0] not in "#;")


@control("TCD-LOG-001")
def test_journal_persistent(target: CheckedHost) -> None:
    storage = journald(target).get("Storage", "auto")
    assert storage == "persistent", f"journald Storage={storage}, expected persistent"
    assert target.section("journal_dir").strip() == "/var/log/journal", "no /var/log/journal"
    # the effect: journald writes a journal there (not one deleted under it, nor only in /run)
    written = [f for f in target.lines("journal_files") if f.startswith("/var/log/journal/")]
    assert any(f.endswith("/system.journal") for f in written), (
        "journald keeps nothing on disk: no system.journal open under /var/log/journal "
        f"({', '.join(written) or 'none open'})"
    )


# systemd time spans as journald.conf writes them (systemd.time(7)), in days
SPAN_DAYS = {"year": 365.25, "y": 365.25, "month": 30.44, "M": 30.44, "week": 7, "w": 7}
SPAN_DAYS |= {"day": 1, "d": 1, "days": 1, "months": 30.44, "years": 365.25, "weeks": 7}


def days(span: str) -> float:
    number = span.rstrip("abcdefghijklmnopqrstuvwxyzM")
    unit_ = span[len(number) :].strip()
    if unit_ not in SPAN_DAYS:
        raise AssertionError(f"cannot read the time span {span!r} (use d, week, month, year)")
    return float(number) * SPAN_DAYS[unit_]


@control("TCD-LOG-002")
def test_journal_retention(target: CheckedHost) -> None:
    retention = journald(target).get("MaxRetentionSec", "")
    assert retention not in ("", "0"), "journald MaxRetentionSec is not set"
    kept = days(retention)
    assert kept >= defaults.JOURNAL_MIN_DAYS, (
        f"journald keeps {kept:.0f} days, at least {defaults.JOURNAL_MIN_DAYS} required"
    )
