"""What base reads from a host and judges the same way in the rollout and in the compliance
check: what it leaves to a person (controls with `repair: manual`, reported by the rollout as
needing attention), the apt and sysctl.d files that say otherwise than the role, and how a
host's sysctl settings are read."""

import re

import netaddr

from roles.base import defaults
from roles.base.role import BaseData


def undeclared_listeners(ss_lines: list[str], wg_listen: list[str], data: BaseData) -> list[str]:
    """ "process on proto/port" of every socket reachable from the network that the host's roles
    do not declare (TCD-FW-003). `ss_lines`: `ss -Hltnup`; `wg_listen`: `wg show all
    listen-port` (WireGuard's own UDP ports: kernel sockets have no process, wireguard-go's do)."""
    declared = set(defaults.LISTENERS["ssh"]) | {
        (x.proto, x.port, x.process) for x in data.listeners
    }
    if data.ntp_serve_to:
        declared |= set(defaults.LISTENERS["ntp"])
    tunnel_ports = {int(line.split()[-1]) for line in wg_listen if "\t" in line}
    unexpected = []
    for line in ss_lines:
        fields = line.split()
        if len(fields) < 5:
            continue
        address, _, port = fields[4].rpartition(":")
        address = address.strip("[]").split("%")[0]
        process = fields[6].split('"')[1] if len(fields) > 6 and '"' in fields[6] else ""
        proto = fields[0]
        if address not in ("*", "0.0.0.0", "::") and netaddr.IPAddress(address).is_loopback():
            continue  # not reachable from the network
        if (proto, int(port), process) in declared or (
            proto == "udp" and int(port) in tunnel_ports
        ):
            continue
        unexpected.append(f"{process or '?'} on {proto}/{port}")
    return sorted(set(unexpected))


def unexpected_suid_sgid(paths: list[str]) -> list[str]:
    """SUID/SGID files (from `defaults.FIND_SUID_SGID`) outside the allowed list (TCD-SUID-001)."""
    allowed = set(defaults.SUID_SGID_ALLOWED)
    return sorted(p for p in (line.strip() for line in paths) if p and p not in allowed)


def apt_dropin_values_command() -> str:
    """A shell command printing "file<TAB>key value" for each of the role's apt settings that a
    drop-in of apt.conf.d sets, each file read alone by apt itself (APT_CONFIG naming it as the
    main file, with no parts folder)."""
    keys = " ".join(defaults.APT_SETTINGS)
    return (
        "c=$(mktemp) && for f in " + defaults.APT_DROPINS + '/*; do [ -f "$f" ] || continue; '
        """printf 'Dir::Etc::parts "/dev/null";\\nDir::Etc::main "%s";\\n' "$f" > "$c"; """
        f'APT_CONFIG="$c" apt-config dump --format "%f %v%n" {keys} 2>/dev/null '
        '| sed "s|^|$f\t|"; done; rm -f "$c"'
    )


def overridden_apt_settings(lines: list[str]) -> list[str]:
    """'FILE sets KEY "VALUE"' for each drop-in setting one of the role's apt settings otherwise
    (`lines` from apt_dropin_values_command)."""
    found = []
    for line in lines:
        path, _, setting = line.partition("\t")
        key, _, value = setting.partition(" ")
        wanted = defaults.APT_SETTINGS.get(key)
        if wanted is not None and value != wanted:
            found.append(f'{path} sets {key} "{value}"')
    return found


# the line systemd-analyze cat-config starts each file with ("# /etc/sysctl.d/99-tcd.conf")
_FILE_HEADER = re.compile(r"^# (/\S+\.conf)$")


def sysctl_values(lines: list[str]) -> dict[str, str]:
    """key -> value from `sysctl` output or sysctl.d lines ("key = value"; a key may use "/"
    and start with "-"); comments skipped, the last assignment of a key wins."""
    values = {}
    for line in lines:
        key, sep, value = line.strip().partition("=")
        if sep and not key.startswith(("#", ";")):
            values[key.strip().lstrip("-").replace("/", ".")] = value.strip()
    return values


def sysctl_files(lines: list[str]) -> list[tuple[str, dict[str, str]]]:
    """(file, its settings) in the order systemd reads them at boot, from `systemd-analyze
    cat-config sysctl.d`."""
    files: list[tuple[str, list[str]]] = []
    for line in lines:
        header = _FILE_HEADER.match(line)
        if header:
            files.append((header.group(1), []))
        elif files:
            files[-1][1].append(line)
    return [(path, sysctl_values(body)) for path, body in files]


def sysctl_at_boot(lines: list[str]) -> dict[str, str]:
    """The values the kernel gets at boot: the last file setting a key wins."""
    return {k: v for _, settings in sysctl_files(lines) for k, v in settings.items()}


def later_sysctl_settings(lines: list[str], ours: str, wanted: dict[str, str]) -> list[str]:
    """'FILE sets KEY = VALUE' for each file read after `ours` at boot that sets one of
    `wanted` otherwise (`lines` from `systemd-analyze cat-config sysctl.d`)."""
    found, after = [], False
    for path, settings in sysctl_files(lines):
        if path == ours:
            after = True
            continue
        for key, value in settings.items():
            if after and key in wanted and value != wanted[key]:
                found.append(f"{path} sets {key} = {value}")
    return found


def audit_keys(lines: list[str]) -> list[str]:
    """The key of every audit rule in `lines`, sorted: the rules file's (`-k key`) or the
    kernel's as `auditctl -l` prints them (a watch's `-k key`, a system call rule's
    `-F key=key`). Comments, the header's settings and `No rules` have none."""
    keys = []
    for line in lines:
        if line.startswith(("-w ", "-a ")):
            found = re.search(r"(?:-k |-F key=)(\S+)", line)
            keys.append(found.group(1) if found else "")
    return sorted(keys)


def planned_audit_keys() -> list[str]:
    """The keys of the role's audit rules (defaults.AUDIT_WATCHES and AUDIT_SYSCALLS)."""
    return sorted(key for *_, key in defaults.AUDIT_WATCHES + defaults.AUDIT_SYSCALLS)
