# Everything the compliance checks of a host's roles read, in one SSH round trip (run as root
# by host.py): the sections named as arguments — the roles' declared `Reads` — each after a line
# "@@@ name", with UNITS, PACKAGES and FILES (also from the roles) and KIOSK set; then each file
# of FILES the host has as a section "file PATH". Nothing secret leaves the host: of the kiosk's
# password only whether one is set, of WireGuard keys only the public halves (`wg show … dump`
# would print the private key).
section() { printf '\n@@@ %s\n' "$1"; }
read_sshd() { sshd -T 2>&1; }
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
read_packages() { dpkg-query -W -f '${Package}\t${db:Status-Abbrev}\n' $PACKAGES 2>&1; }
read_apt() { apt-config dump APT::Periodic; }
read_journald() { systemd-analyze cat-config systemd/journald.conf; }
read_journal_dir() { ls -d /var/log/journal 2>&1; }
read_chrony_sources() { chronyc -c -n sources 2>&1; }
read_chrony_tracking() { chronyc -n tracking 2>&1; }
read_timezone() { timedatectl show -p Timezone --value; }
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

for name in "$@"; do
    section "$name"
    "read_$name"
done
if [ -n "$UNITS" ]; then
    section units
    systemctl show -p Id,UnitFileState,ActiveState,ExecStart,TimersCalendar $UNITS
fi
for file in $FILES; do
    if [ -f "$file" ]; then section "file $file"; cat "$file"; fi
done
