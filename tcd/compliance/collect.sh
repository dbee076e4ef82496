# Everything the compliance checks of a host's roles read, in one SSH round trip (run as root
# by host.py): the sections named as arguments — the roles' declared `Reads` — each after a line
# "@@@ name", with UNITS, PACKAGES and FILES (also from the roles), KIOSK, NODE_EXPORTER and
# PROMETHEUS (where the monitoring listens), REACH and CALENDARS (what the tunnels must reach, the
# display timers' calendars) set; then each file of FILES the host has as a section "file PATH".
# Nothing secret leaves the host: of the kiosk's password only whether one is set, of WireGuard
# keys only the public halves (`wg show … dump` would print the private key).
section() { printf '\n@@@ %s\n' "$1"; }
read_sshd() { sshd -T 2>&1; }
# the members of the admin group ($ADMIN_GROUP), space-separated
admins() { getent group "$ADMIN_GROUP" | cut -d: -f4 | tr ',' ' '; }
# what sshd applies to an admin (its Match Group block evaluated): the first member of the
# admin group ($ADMIN_GROUP), from the controller's side of loopback; nothing if it has none
read_sshd_admin() {
    set -- $(admins)
    [ "$#" -eq 0 ] || sshd -T -C "user=$1,host=controller,addr=127.0.0.1" 2>&1
}
# the version string sshd sends a client (DebianBanner's effect: sshd -T does not print it)
read_sshd_version() { timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/22; head -n 1 <&3' 2>&1 | tr -d '\r'; }
read_nft() { nft -j list ruleset 2>&1; }
read_listeners() { ss -Hltnup; }
read_passwd() { getent passwd; }
read_group() { getent group; }
read_sudoers_d() { ls -A /etc/sudoers.d; }
read_sudo() {
    for user in $(getent passwd | awk -F: '$3 >= 1000 && $3 < 65534 {print $1}'); do
        printf '%s\t%s\n' "$user" "$(sudo -l -U "$user" 2>&1 | tr '\n' ' ')"
    done
}
read_authorized_keys() {
    for file in /home/*/.ssh/authorized_keys; do
        [ -f "$file" ] && sed "s|^|$file\t|" "$file"
    done
}
read_kiosk_password() {
    field=$(getent shadow "$KIOSK" | cut -d: -f2)
    case "$field" in '!'|'*'|'!*'|'') printf '%s\n' "$field" ;; *) echo set ;; esac
}
read_kiosk_groups() { id -nG "$KIOSK" 2>&1; }
# what the module loader would do for each storage driver ($STORAGE_MODULES: "install
# /bin/false" where the role's file holds), then the modules loaded (in a container, the
# machine's kernel's)
read_storage_modules() {
    for module in $STORAGE_MODULES; do
        printf '%s: %s\n' "$module" "$(modprobe -n -v "$module" 2>&1 | head -n 1)"
    done
    lsmod | sed 1d | cut -d' ' -f1 | sed 's/^/loaded: /'
}
read_chromium_policies() { find /etc/chromium/policies/managed -mindepth 1 -maxdepth 1 ! -type d 2>/dev/null; }
read_packages() { dpkg-query -W -f '${Package}\t${db:Status-Abbrev}\n' $PACKAGES 2>&1; }
# apt's effective settings (its file and every drop-in, read as apt reads them): "key value"
read_apt() { apt-config dump --format '%f %v%n' APT::Periodic Unattended-Upgrade; }
read_journald() { systemd-analyze cat-config systemd/journald.conf; }
read_journal_dir() { ls -d /var/log/journal 2>&1; }
# the journal files journald has open: the effect of Storage=persistent, not only the setting
read_journal_files() { ls -l "/proc/$(pidof systemd-journald)/fd" 2>&1 | sed -n 's|.* -> ||p'; }
# every SUID/SGID regular file on the root filesystem (roles/base/defaults.FIND_SUID_SGID)
read_suid_sgid() { find / -xdev -type f \( -perm -4000 -o -perm -2000 \) -print 2>/dev/null; }
# the running values of the role's kernel settings ($SYSCTL: in a container the kernel-wide ones
# are the machine's), and the sysctl.d files in the order boot reads them
read_sysctl() { sysctl -e $SYSCTL 2>/dev/null; }
# "none" on a real host, the container's kind in a lab (it shares the machine's kernel)
read_virt() { systemd-detect-virt --container || true; }
# the core size limits of a PAM session (this one runs under sudo, which applies pam_limits)
read_core_limit() { printf 'hard %s\nsoft %s\n' "$(ulimit -Hc)" "$(ulimit -Sc)"; }
# what a login shell gets (/etc/profile and profile.d): its umask, core size limit and idle
# timeout, and whether the timeout is read-only
read_login_shell() {
    bash -lc 'printf "umask %s\ncore %s\nTMOUT %s\n" "$(umask)" "$(ulimit -c)" "$TMOUT"
              readonly -p | grep -q " TMOUT=" && echo "readonly TMOUT"' 2>&1
}
# systemd-coredump's settings as it would read them; PAM's session modules
read_coredump() { systemd-analyze cat-config systemd/coredump.conf 2>&1; }
# the mode of each admin's home (the members of $ADMIN_GROUP)
read_admin_homes() {
    for admin in $(admins); do
        stat -c '%n %a' "$(getent passwd "$admin" | cut -d: -f6)" 2>&1
    done
}
read_pam_session() { grep -h '^session' /etc/pam.d/common-session 2>&1; }
read_login_defs() { grep -E '^[[:space:]]*[A-Z_]+[[:space:]]' /etc/login.defs; }
# pwquality's settings as it reads them (its file, then its drop-ins: the last wins), then
# whether PAM asks it when a password is set
read_pwquality() {
    cat /etc/security/pwquality.conf /etc/security/pwquality.conf.d/*.conf 2>/dev/null
    grep -h '^password.*pam_pwquality' /etc/pam.d/common-password | sed 's/^/pam: /'
}
# the audit rules files augenrules loads (the folder is the role's alone), and the kernel's audit
# state and rules (a container has none of its own)
read_audit_rules_d() { find /etc/audit/rules.d -mindepth 1 -maxdepth 1 2>/dev/null; }
read_audit() { auditctl -s 2>&1; auditctl -l 2>&1; }
read_sysctl_d() { systemd-analyze cat-config sysctl.d 2>&1; }
read_chrony_sources() { chronyc -c -n sources 2>&1; }
read_chrony_tracking() { chronyc -n tracking 2>&1; }
# the zone the system uses is /etc/localtime's target; timedatectl asks systemd-timedated, which
# keeps the zone it read at its start for as long as it runs (a changed zone passed for ~30 s)
read_timezone() { readlink -f /etc/localtime | sed 's|.*/zoneinfo/||'; }
read_links() { ip -o link show; }
read_wg_handshakes() { wg show all latest-handshakes 2>&1; }
read_wg_listen() { wg show all listen-port 2>&1; }
read_wg_allowed() { wg show all allowed-ips 2>&1; }
read_wg_public() { wg show all public-key 2>&1; }
read_wg_keyfiles() {
    for key in /etc/wireguard/*.key; do
        [ -f "$key" ] && printf '%s\t%s\t%s\n' "$key" "$(stat -c '%U %a' "$key")" "$(wg pubkey < "$key")"
    done
}
read_now() { date +%s; }
# For each address of $REACH: the interface the route to it leaves by, and whether it answers
# ping through it, one "address<TAB>interface<TAB>yes|no" line each (pinged all at once: a line
# is shorter than a pipe's atomic write)
read_reach() {
    for address in $REACH; do
        (
            dev=$(ip -o route get "$address" 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p')
            if ping -n -q -c 2 -i 0.2 -W 2 "$address" >/dev/null 2>&1; then ok=yes; else ok=no; fi
            printf '%s\t%s\t%s\n' "$address" "$dev" "$ok"
        ) &
    done
    wait
}
# systemd's normalised form of the calendars of $CALENDARS (one per line), as timers show them
read_calendars() {
    (IFS='
'; set -f; systemd-analyze calendar $CALENDARS 2>&1) | sed -n 's/^ *Normalized form: //p'
}
# What the monitoring answers, asked on the host itself (the firewall accepts loopback; the
# address is the one it must listen on, so an exporter listening elsewhere answers nothing):
# the exporter's metrics on the roles' units and tunnels, and Prometheus's active targets.
# fetch ADDRESS:PORT PATH: the body of an HTTP/1.0 GET (bash's /dev/tcp: a python3 client cost
# the host more than the exporter's answer), or one line saying why there is none
fetch() {
    timeout 5 bash -c '
        exec 3<>"/dev/tcp/${1%:*}/${1##*:}" || exit
        printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$2" "$1" >&3
        IFS= read -r status <&3
        case "$status" in "HTTP/1."?" 200 "*) ;; *) echo "fetch: ${status:-no answer}"; exit ;; esac
        while IFS= read -r line <&3 && [ "${#line}" -gt 1 ]; do :; done  # the headers
        cat <&3' fetch "$1" "$2" 2>&1 | tail -c 200000
}
read_node_metrics() { fetch "$NODE_EXPORTER" /metrics | grep -E '^(tcd_wireguard_|node_systemd_unit_state|fetch:)'; }
read_prometheus_targets() { fetch "$PROMETHEUS" "/api/v1/targets?state=active"; }

echo "tcd collect"  # host.COLLECT_HELLO: sudo let the script run
for name in "$@"; do
    section "$name"
    "read_$name"
done
if [ -n "$UNITS" ]; then
    section units
    # UnitFileState from `systemctl show` is PID 1's cache (a unit whose symlink was removed by
    # hand shows "enabled" until the next daemon-reload): is-enabled reads the unit files. And
    # NeedDaemonReload misses a drop-in folder made since the last reload (PID 1 looks for
    # drop-ins in its own cache of unit paths): the drop-ins on disk are listed beside the
    # loaded ones. One block per unit from `systemctl show`, in order, then one more per unit
    # with the same Id. is-enabled stops at a unit it cannot find: then it asks one by one
    systemctl show -p Id,ActiveState,ExecStart,TimersCalendar,NeedDaemonReload,DropInPaths $UNITS
    states=$(systemctl is-enabled $UNITS 2>/dev/null)
    set -- $states
    count=0; for unit in $UNITS; do count=$((count + 1)); done
    [ "$#" -eq "$count" ] || set --
    for unit in $UNITS; do
        if [ "$#" -gt 0 ]; then state=$1; shift; else state=$(systemctl is-enabled "$unit" 2>/dev/null); fi
        printf '\nId=%s\nUnitFileState=%s\nDropInsOnDisk=' "$unit" "$state"
        for dropin in /etc/systemd/system/"$unit".d/*.conf /run/systemd/system/"$unit".d/*.conf; do
            [ -e "$dropin" ] && printf '%s ' "$dropin"
        done
        printf '\n'
    done
fi
for file in $FILES; do
    if [ -f "$file" ]; then section "file $file"; cat "$file"; fi
done
