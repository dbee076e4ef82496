# Everything the compliance checks of a host's roles read, in one SSH round trip (run as root
# by host.py): the sections named as arguments — the roles' declared `Reads` — each after a line
# "@@@ name", with UNITS, PACKAGES and FILES (also from the roles), KIOSK, NODE_EXPORTER and
# PROMETHEUS (where the monitoring listens), REACH and CALENDARS (what the tunnels must reach, the
# display timers' calendars) set; then each file of FILES the host has as a section "file PATH".
# Nothing secret leaves the host: of the kiosk's password only whether one is set, of WireGuard
# keys only the public halves (`wg show … dump` would print the private key).
# A program costs a lab host about a millisecond to start, and the shell's own forks (a
# pipeline's parts, $(…)) count too: what the shell can do itself, it does (~90 programs a host).
NL='
'
section() { printf '\n@@@ %s\n' "$1"; }
read_sshd() { sshd -T 2>&1; }
# ADMINS: the members of the admin group ($ADMIN_GROUP), space-separated (set before the
# sections are read)
admins() {
    ADMINS=
    entry=$(getent group "$ADMIN_GROUP") || return 0
    saved=$IFS; IFS=,; set -f
    for member in ${entry##*:}; do ADMINS="${ADMINS:+$ADMINS }$member"; done
    IFS=$saved; set +f
}
# what sshd applies to an admin (its Match Group block evaluated): the first member of the
# admin group ($ADMIN_GROUP), from the controller's side of loopback; nothing if it has none
read_sshd_admin() {
    set -- $ADMINS
    [ "$#" -eq 0 ] || sshd -T -C "user=$1,host=controller,addr=127.0.0.1" 2>&1
}
# the version string sshd sends a client (DebianBanner's effect: sshd -T does not print it),
# without the line's carriage return
read_sshd_version() {
    timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/22 && IFS= read -r line <&3 &&
                       printf "%s\n" "${line%[[:cntrl:]]}"' 2>&1
}
read_nft() { nft -j list ruleset 2>&1; }
read_listeners() { ss -Hltnup; }
read_passwd() { getent passwd; }
read_group() { getent group; }
read_sudoers_d() { ls -A /etc/sudoers.d; }
# what sudo allows each person's account (uid 1000–65533), its answer on one line
read_sudo() {
    entries=$(getent passwd)
    saved=$IFS; IFS=$NL; set -f
    for entry in $entries; do
        IFS=:; set -- $entry; IFS=$NL
        [ "$3" -ge 1000 ] && [ "$3" -lt 65534 ] || continue
        user=$1
        set -- $(sudo -l -U "$user" 2>&1)
        IFS=' '; printf '%s\t%s \n' "$user" "$*"; IFS=$NL
    done
    IFS=$saved; set +f
}
read_authorized_keys() {
    for file in /home/*/.ssh/authorized_keys; do
        [ -f "$file" ] && sed "s|^|$file\t|" "$file"
    done
}
read_kiosk_password() {
    field=$(getent shadow "$KIOSK"); field=${field#*:}; field=${field%%:*}
    case "$field" in '!'|'*'|'!*'|'') printf '%s\n' "$field" ;; *) echo set ;; esac
}
read_kiosk_groups() { id -nG "$KIOSK" 2>&1; }
# what the module loader would do for each storage driver ($STORAGE_MODULES: "install
# /bin/false" where the role's file holds), then the modules loaded (in a container, the
# machine's kernel's)
read_storage_modules() {
    for module in $STORAGE_MODULES; do
        answer=$(modprobe -n -v "$module" 2>&1)
        printf '%s: %s\n' "$module" "${answer%%$NL*}"
    done
    # lsmod's list; a container has none (MODULES_ARE_THE_HOSTS)
    [ ! -r /proc/modules ] || while read -r module _; do echo "loaded: $module"; done </proc/modules
}
read_chromium_policies() { find /etc/chromium/policies/managed -mindepth 1 -maxdepth 1 ! -type d 2>/dev/null; }
read_packages() { dpkg-query -W -f '${Package}\t${db:Status-Abbrev}\n' $PACKAGES 2>&1; }
# apt's effective settings (its file and every drop-in, read as apt reads them): "key value"
read_apt() { apt-config dump --format '%f %v%n' APT::Periodic Unattended-Upgrade; }
read_journald() { systemd-analyze cat-config systemd/journald.conf; }
read_journal_dir() { ls -d /var/log/journal 2>&1; }
# the journal files journald has open: the effect of Storage=persistent, not only the setting
read_journal_files() { pid=$(pidof systemd-journald); readlink "/proc/$pid/fd/"* 2>/dev/null; }
# every SUID/SGID regular file on the root filesystem (roles/base/defaults.FIND_SUID_SGID)
read_suid_sgid() { find / -xdev -type f \( -perm -4000 -o -perm -2000 \) -print 2>/dev/null; }
# the running values of the role's kernel settings ($SYSCTL: in a container the kernel-wide ones
# are the machine's), and the sysctl.d files in the order boot reads them
read_sysctl() { sysctl -e $SYSCTL 2>/dev/null; }
# "none" on a real host, the container's kind in a lab (it shares the machine's kernel)
read_virt() { systemd-detect-virt --container || true; }
# the core size limits of a PAM session (this one runs under sudo, which applies pam_limits)
read_core_limit() { printf 'hard '; ulimit -Hc; printf 'soft '; ulimit -Sc; }
# what a login shell gets (/etc/profile and profile.d): its umask, core size limit and idle
# timeout, and whether the timeout is read-only
read_login_shell() {
    bash -lc 'printf "umask "; umask; printf "core "; ulimit -c; printf "TMOUT %s\n" "$TMOUT"
              [[ ${TMOUT@a} == *r* ]] && echo "readonly TMOUT"' 2>&1
}
# systemd-coredump's settings as it would read them; PAM's session modules
read_coredump() { systemd-analyze cat-config systemd/coredump.conf 2>&1; }
# the mode of each admin's home (the members of $ADMIN_GROUP)
read_admin_homes() {
    [ -n "$ADMINS" ] || return 0
    entries=$(getent passwd $ADMINS)
    set --
    saved=$IFS; IFS=$NL
    for entry in $entries; do entry=${entry%:*}; set -- "$@" "${entry##*:}"; done  # field 6
    IFS=$saved
    [ "$#" -eq 0 ] || stat -c '%n %a' "$@" 2>&1
}
read_pam_session() { grep -h '^session' /etc/pam.d/common-session 2>&1; }
read_login_defs() { grep -E '^[[:space:]]*[A-Z_]+[[:space:]]' /etc/login.defs; }
# pwquality's settings as it reads them (its file, then its drop-ins: the last wins), then
# whether PAM asks it when a password is set
read_pwquality() {
    cat /etc/security/pwquality.conf /etc/security/pwquality.conf.d/*.conf 2>/dev/null
    sed -n '/^password.*pam_pwquality/s/^/pam: /p' /etc/pam.d/common-password
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
read_timezone() { zone=$(readlink -f /etc/localtime); printf '%s\n' "${zone##*/zoneinfo/}"; }
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
            route=$(ip -o route get "$address" 2>/dev/null)
            case $route in *" dev "*) dev=${route#* dev }; dev=${dev%% *} ;; *) dev= ;; esac
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
admins
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
