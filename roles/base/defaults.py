"""Defaults of roles/base, all in one place. Values that differ per host come from host data
(tcd.planning.hostdata); these are the project's policy choices."""

# Packages every managed host needs (all present in the lab image).
# netbase: /etc/protocols and /etc/services, which nftables rulesets name protocols by.
# libpam-pwquality: password strength for local accounts (TCD-PASS-001); auditd: TCD-AUDIT-001;
# libpam-tmpdir: each login its own temporary folder (TCD-UMASK-001); kmod reads the module
# loader's configuration as it will act on it (TCD-USB-001).
PACKAGES = [
    *("openssh-server", "sudo", "nftables", "chrony", "unattended-upgrades", "netbase"),
    *("libpam-pwquality", "auditd", "libpam-tmpdir", "kmod"),
]

# OpenSSH algorithms (TCD-SSH-004): AEAD ciphers, encrypt-then-MAC, curve25519 / PQ hybrid.
# pyinfra's SSH library (paramiko) speaks aes-gcm and curve25519-sha256@libssh.org.
SSH_CIPHERS = ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com"]
SSH_MACS = ["hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com"]
SSH_KEX = [
    "sntrup761x25519-sha512@openssh.com",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
]
# sshd's session limits (TCD-SSH-005), as sshd_config keywords: few tries and a short grace
# for a login, idle sessions dropped, no X11, agent, tunnel or user environment, key
# fingerprints in the journal (who logged in with which key). TCP forwarding is `local` to the
# cameras' ports on a site's gateway (BaseData.ssh_forward_to), off elsewhere.
SSH_SESSION = {
    "MaxAuthTries": "3",
    "LoginGraceTime": "30",
    "ClientAliveInterval": "300",
    "ClientAliveCountMax": "2",
    "X11Forwarding": "no",
    "AllowAgentForwarding": "no",
    "PermitTunnel": "no",
    "PermitUserEnvironment": "no",
    "StrictModes": "yes",
    "LogLevel": "VERBOSE",
}

# sshd beyond the session limits (TCD-SSH-006), as sshd_config keywords. Compression off (no
# gain on these links, a past source of bugs); TCPKeepAlive off (spoofable: ClientAlive* above
# ends a dead session, encrypted); MaxSessions 4, not Lynis's 2: a rollout keeps an SFTP
# session and its root shell (tcd/rollout/rootshell.py) open beside each command it leaves to
# pyinfra, and the lab's ControlMaster carries a check's and a test's commands
# at once over one connection (port forwards are channels, not sessions: not counted);
# MaxStartups bounds unauthenticated connections; no stream-local forwarding or gateway ports;
# rhosts and hostbased login refused outright; no Debian revision in the version string, no
# DNS lookups of clients (a slow resolver would delay every login); the last login shown.
SSH_HARDENING = {
    "Compression": "no",
    "TCPKeepAlive": "no",
    "MaxSessions": "4",
    "MaxStartups": "10:30:60",
    "AllowStreamLocalForwarding": "no",
    "GatewayPorts": "no",
    "IgnoreRhosts": "yes",
    "HostbasedAuthentication": "no",
    "DebianBanner": "no",
    "UseDNS": "no",
    "PrintLastLog": "yes",
}

# The legal notice shown before login (TCD-BANNER-001): on the console (/etc/issue, by getty)
# and over SSH (/etc/issue.net, sshd's Banner). Plain text: getty expands backslash escapes in
# /etc/issue, so the text has none. Vietnamese first, then English.
BANNER_FILES = ["/etc/issue", "/etc/issue.net"]
SSH_BANNER = "/etc/issue.net"
BANNER = """\
CẢNH BÁO: Đây là hệ thống thông tin của cơ quan nhà nước phục vụ tiếp công dân trực tuyến.
Chỉ người được cấp quyền mới được truy cập. Mọi truy cập đều được ghi nhật ký và giám sát.
Truy cập trái phép bị nghiêm cấm và bị xử lý theo quy định của pháp luật.

WARNING: This is a government information system for online citizen reception.
Access is restricted to authorised users. All access is logged and monitored.
Unauthorised access is prohibited and will be prosecuted under the law of Viet Nam.
"""

# journald (TCD-LOG-001): keep at least 3 months; a year is kept if the disk allows.
JOURNAL_RETENTION = "1year"
JOURNAL_MIN_DAYS = 90  # what TCD-LOG-002 accepts (Circular 12/2022: at least 3 months)
JOURNAL_MAX_USE = "4G"
JOURNAL_KEEP_FREE = "2G"
JOURNAL_DIR = "/var/log/journal"

# sudoers.d is the role's alone (its admin group's rule): the rule a PC is handed over with (lab
# and field install) and any added by hand are removed; Debian's README stays.
SUDOERS_DIR = "/etc/sudoers.d"
SUDOERS_RULE = "/etc/sudoers.d/tcd-admins"  # the admin group's, written by the role
SUDOERS_KEPT = ["/etc/sudoers.d/README"]

# apt's policy (TCD-UPD-001) is in /etc/apt/apt.conf, which apt reads after every drop-in of
# apt.conf.d: packages write drop-ins there (the folder cannot be the role's alone), so the
# role's settings win over them instead. A drop-in that sets one of these otherwise is reported.
APT_CONF = "/etc/apt/apt.conf"
APT_DROPINS = "/etc/apt/apt.conf.d"
APT_SETTINGS = {
    "APT::Periodic::Update-Package-Lists": "1",
    "APT::Periodic::Unattended-Upgrade": "1",
    "Unattended-Upgrade::Automatic-Reboot": "false",
    "Unattended-Upgrade::Remove-Unused-Dependencies": "true",
}
# the only origins unattended-upgrades takes (a list: the file clears what drop-ins added)
APT_ORIGINS = ["origin=Debian,codename=${distro_codename}-security,label=Debian-Security"]

# Kernel settings the role decides (TCD-NET-001), in a sysctl.d file named to come after
# Debian's own (99-sysctl.conf is /etc/sysctl.conf): packages write to sysctl.d too, so a file
# read after ours that sets one of these otherwise is reported, not removed.
SYSCTL_CONF = "/etc/sysctl.d/99-tcd.conf"

# Network settings of the host's own network namespace (TCD-NET-002): no ICMP redirects taken or
# sent (the routes are the address plan's), no source routing, martians logged, broadcast pings
# and bogus ICMP errors ignored, SYN cookies under a flood, TIME-WAIT assassination refused. A
# lab container has its own network namespace: it sets and holds these like a real host.
SYSCTL_NET = {
    "net.ipv4.conf.all.accept_redirects": "0",
    "net.ipv4.conf.default.accept_redirects": "0",
    "net.ipv4.conf.all.secure_redirects": "0",
    "net.ipv4.conf.default.secure_redirects": "0",
    "net.ipv4.conf.all.send_redirects": "0",
    "net.ipv4.conf.default.send_redirects": "0",
    "net.ipv4.conf.all.accept_source_route": "0",
    "net.ipv4.conf.default.accept_source_route": "0",
    "net.ipv6.conf.all.accept_redirects": "0",
    "net.ipv6.conf.default.accept_redirects": "0",
    "net.ipv6.conf.all.accept_source_route": "0",
    "net.ipv6.conf.default.accept_source_route": "0",
    "net.ipv4.conf.all.log_martians": "1",
    "net.ipv4.conf.default.log_martians": "1",
    "net.ipv4.icmp_echo_ignore_broadcasts": "1",
    "net.ipv4.icmp_ignore_bogus_error_responses": "1",
    "net.ipv4.tcp_syncookies": "1",
    "net.ipv4.tcp_rfc1337": "1",
}
# Reverse-path filtering: strict (1) where the host does not route; loose (2) where it does (a
# hub or gateway has two tunnels, and a reply may come back on another than the request left by).
RP_FILTER = {False: "1", True: "2"}

# Kernel-wide settings (TCD-KRN-001): kernel pointers and the kernel log for root only, no Magic
# SysRq (anyone at a reception PC's keyboard could reboot it or kill the kiosk), ptrace for root
# only, unprivileged BPF off for good and its JIT hardened, perf events for root only, full
# ASLR, links/FIFOs/files in sticky folders protected, no core dumps of setuid programs, no
# TTY line discipline loaded on demand. Not namespaced: a lab container gets the machine's
# kernel's values and cannot set them (docs/hardening.md, KERNEL_IS_THE_HOSTS).
SYSCTL_KERNEL = {
    "kernel.kptr_restrict": "2",
    "kernel.dmesg_restrict": "1",
    "kernel.sysrq": "0",
    "kernel.yama.ptrace_scope": "2",
    "kernel.unprivileged_bpf_disabled": "1",
    "net.core.bpf_jit_harden": "2",
    "kernel.perf_event_paranoid": "3",
    "kernel.randomize_va_space": "2",
    "kernel.core_uses_pid": "1",
    "fs.protected_fifos": "2",
    "fs.protected_hardlinks": "1",
    "fs.protected_regular": "2",
    "fs.protected_symlinks": "1",
    "fs.suid_dumpable": "0",
    "dev.tty.ldisc_autoload": "0",
}

# No core dumps from login and sudo sessions (TCD-CORE-001): pam_limits reads this file for
# every login and every sudo (Debian's /etc/pam.d/sudo has pam_limits); services already run
# with systemd's soft limit 0, and setuid programs dump nothing (fs.suid_dumpable above). Where
# systemd-coredump is installed later, it keeps nothing either.
CORE_LIMITS = "/etc/security/limits.d/10-tcd.conf"
COREDUMP_CONF = "/etc/systemd/coredump.conf.d/10-tcd.conf"
COREDUMP = {"Storage": "none", "ProcessSizeMax": "0"}

# What a login shell gets (/etc/profile.d, read by every login shell), the defaults of
# /etc/login.defs' UMASK too (what login tools and pam_umask read): files a person makes are not
# readable by others (TCD-UMASK-001; with libpam-tmpdir's own temporary folder per user), no
# core file (TCD-CORE-001), and an idle shell ends after 15 minutes (TCD-SHELL-001: an admin's
# console left open on a reception PC or a hub), read-only so a session cannot lift it.
UMASK = "027"
HOME_MODE = "750"  # an admin's home, as UMASK makes it
SHELL_TIMEOUT = 900
LOGIN_PROFILE = "/etc/profile.d/tcd-login.sh"

# Password policy for local accounts (TCD-PASS-001), as /etc/login.defs keywords: no account
# has a password today (keys only, the kiosk locked), so this holds for one made by hand: aged
# out in 90 days, not changed back the same day, warned a week ahead, hashed with many rounds.
LOGIN_DEFS = "/etc/login.defs"
LOGIN_DEFS_SETTINGS = {
    "UMASK": UMASK,
    "PASS_MAX_DAYS": "90",
    "PASS_MIN_DAYS": "1",
    "PASS_WARN_AGE": "7",
    "ENCRYPT_METHOD": "SHA512",
    "SHA_CRYPT_MIN_ROUNDS": "65536",
    "SHA_CRYPT_MAX_ROUNDS": "100000",
}
# and its strength, checked by PAM when one is set (libpam-pwquality, enabled by Debian's
# pam-auth-update on install): 12 characters of at least 3 classes, not the user's name
PWQUALITY_CONF = "/etc/security/pwquality.conf.d/10-tcd.conf"
PWQUALITY = {"minlen": "12", "minclass": "3", "maxrepeat": "3", "usercheck": "1", "retry": "3"}

# auditd (TCD-AUDIT-001): who changed an account, used sudo, changed sshd's configuration, read
# or replaced a WireGuard key, loaded a kernel module, set the clock or touched auditd itself.
# rules.d is the role's alone (augenrules loads every file there: another could start with -D);
# the first lines are Debian's own header (flush, buffers, failure mode: printk). No `-e 2`
# (immutable rules): a rollout could then no longer change them without a reboot.
AUDIT_RULES_DIR = "/etc/audit/rules.d"
AUDIT_RULES = f"{AUDIT_RULES_DIR}/tcd.rules"
# (path, permissions, key): a file or a whole folder watched
AUDIT_WATCHES = [
    *(("/etc/passwd", "wa", "identity"), ("/etc/group", "wa", "identity")),
    *(("/etc/shadow", "wa", "identity"), ("/etc/gshadow", "wa", "identity")),
    ("/etc/security/opasswd", "wa", "identity"),
    *(("/etc/sudoers", "wa", "sudoers"), ("/etc/sudoers.d", "wa", "sudoers")),
    ("/usr/bin/sudo", "x", "sudo"),
    *(("/etc/ssh/sshd_config", "wa", "sshd"), ("/etc/ssh/sshd_config.d", "wa", "sshd")),
    ("/etc/wireguard", "rwa", "wireguard-keys"),
    *(("/var/log/lastlog", "wa", "logins"), ("/var/log/btmp", "wa", "logins")),
    *(("/usr/sbin/modprobe", "x", "modules"), ("/usr/sbin/insmod", "x", "modules")),
    ("/etc/localtime", "wa", "time-change"),
    *(("/etc/audit", "wa", "audit-config"), ("/usr/sbin/auditctl", "x", "audit-tools")),
]
# (system calls, key): amd64 only (the PCs and hubs are amd64; 32-bit calls are not audited)
AUDIT_SYSCALLS = [
    ("init_module,finit_module,delete_module", "modules"),
    ("adjtimex,settimeofday,clock_settime", "time-change"),
]
# auditd.conf as Debian 12 ships it, but: logs rotate at 256 MiB and 16 are kept, 4 GiB in all,
# the journal's own bound (JOURNAL_MAX_USE) and not `keep_logs` (a kept log fills the disk of a
# PC nobody watches); written with each record (incremental, not async); space low → the
# journal, then suspended before the disk is full (dev-sec package-08's choices). The whole file
# is the role's.
AUDITD_CONF = "/etc/audit/auditd.conf"
AUDITD = {
    **{"local_events": "yes", "write_logs": "yes", "log_file": "/var/log/audit/audit.log"},
    **{"log_group": "adm", "log_format": "ENRICHED", "flush": "INCREMENTAL", "freq": "50"},
    **{"max_log_file": "256", "num_logs": "16", "priority_boost": "4", "name_format": "NONE"},
    **{"max_log_file_action": "ROTATE", "space_left": "75", "space_left_action": "SYSLOG"},
    **{"verify_email": "yes", "action_mail_acct": "root", "admin_space_left": "50"},
    **{"admin_space_left_action": "SUSPEND", "disk_full_action": "SUSPEND"},
    **{"disk_error_action": "SUSPEND", "use_libwrap": "yes", "tcp_listen_queue": "5"},
    **{"tcp_max_per_addr": "1", "tcp_client_max_idle": "0", "transport": "TCP"},
    **{"krb5_principal": "auditd", "distribute_network": "no", "q_depth": "2000"},
    **{"overflow_action": "SYSLOG", "max_restarts": "10", "plugin_dir": "/etc/audit/plugins.d"},
    "end_of_event_timeout": "2",
}
# NO_AUDIT_IN_A_CONTAINER: the audit netlink socket exists only in the machine's first network
# namespace, so auditd cannot start in a lab container. There a drop-in skips the unit (a
# condition, not a failure); the files are written and checked as on a real host.
AUDITD_CONTAINER_DROPIN = "/etc/systemd/system/auditd.service.d/10-tcd-container.conf"
# A container may not set the clock: there chronyd only measures and serves (a drop-in).
CHRONY_CONTAINER_DROPIN = "/etc/systemd/system/chrony.service.d/10-tcd-container.conf"

# No USB mass storage or FireWire (TCD-USB-001): on a reception PC in a room citizens walk
# into, a stick could carry data off or a program in; a hub or a gateway host has no use for one
# either (files reach them over SSH). The loader is told to run /bin/false instead of these
# drivers (what `modprobe -n -v` then shows) and not to load them for a device's alias. The USB
# camera (uvcvideo) and speakerphone (snd-usb-audio) use other drivers and still load.
NO_STORAGE_CONF = "/etc/modprobe.d/tcd-no-usb-storage.conf"
# (in the order they unload: a module before those it uses)
STORAGE_MODULES = ["uas", "usb-storage", "firewire-sbp2", "firewire-ohci", "firewire-core"]

NFTABLES_CONF = "/etc/nftables.conf"
# a digest of the ruleset as last loaded by the role: the running one is compared with it
NFTABLES_LOADED = "/var/lib/tcd-fleet/nftables.loaded"

# What may listen on the network (TCD-FW-003), as (protocol, port, process): SSH everywhere,
# NTP on the hub that serves the fleet's time. WireGuard's ports are the tunnels' own (vpn roles).
LISTENERS = {
    "ssh": [("tcp", 22, "sshd")],
    "ntp": [("udp", 123, "chronyd")],
}

# SUID/SGID programs a host may have (TCD-SUID-001): Debian 12 as the lab image installs it
# (openssh, sudo, login tools, mount, dbus), plus wall/write (bsdutils) and crontab, which field
# installs usually carry, and libpam-tmpdir's helper (it makes a login's own temporary folder,
# TCD-UMASK-001). Anything else is reported, never removed by a rollout: a person looks
# first (a package somebody needs, or a trace of an intrusion).
SUID_SGID_ALLOWED = [
    "/usr/bin/chage",
    "/usr/bin/chfn",
    "/usr/bin/chsh",
    "/usr/bin/crontab",
    "/usr/bin/expiry",
    "/usr/bin/gpasswd",
    "/usr/bin/mount",
    "/usr/bin/newgrp",
    "/usr/bin/passwd",
    "/usr/bin/ssh-agent",
    "/usr/bin/su",
    "/usr/bin/sudo",
    "/usr/bin/umount",
    "/usr/bin/wall",
    "/usr/bin/write",
    "/usr/lib/dbus-1.0/dbus-daemon-launch-helper",
    "/usr/lib/openssh/ssh-keysign",
    "/usr/sbin/pam-tmpdir-helper",
    "/usr/sbin/unix_chkpwd",
]
# every SUID/SGID regular file on the root filesystem, one per line
FIND_SUID_SGID = "find / -xdev -type f \\( -perm -4000 -o -perm -2000 \\) -print"
