# Everything the compliance checks read from a host, in one SSH round trip (run as root by
# target.py with KIOSK, POLICY and UNITS set): one section per command, each after a line
# "@@@ name". Nothing secret leaves the host: of the kiosk's password only whether one is set,
# of WireGuard keys only the public halves (`wg show … dump` would print the private key).
section() { printf '\n@@@ %s\n' "$1"; }
section sshd; sshd -T 2>&1
section nft; nft -j list ruleset 2>&1
section listeners; ss -Hltnup
section passwd; getent passwd
section group; getent group
section sudoers.d; ls -A /etc/sudoers.d
section sudo
for user in $(getent passwd | awk -F: '$3 >= 1000 && $3 < 65534 {print $1}'); do
    printf '%s\t%s\n' "$user" "$(sudo -l -U "$user" 2>&1 | tr '\n' ' ')"
done
section authorized_keys
for file in /home/*/.ssh/authorized_keys; do
    [ -f "$file" ] && sed "s|^|$file\t|" "$file"
done
section kiosk_password
field=$(getent shadow "$KIOSK" | cut -d: -f2)
case "$field" in '!'|'*'|'!*'|'') printf '%s\n' "$field" ;; *) echo set ;; esac
section kiosk_groups; id -nG "$KIOSK" 2>&1
section chromium_policy; cat "$POLICY" 2>&1
section units; systemctl show -p Id,UnitFileState,ActiveState,ExecStart,TimersCalendar $UNITS
section packages; dpkg-query -W -f '${Package}\t${db:Status-Abbrev}\n' unattended-upgrades 2>&1
section apt; apt-config dump APT::Periodic
section journald; systemd-analyze cat-config systemd/journald.conf
section journal_dir; ls -d /var/log/journal 2>&1
section chrony_sources; chronyc -c -n sources 2>&1
section chrony_tracking; chronyc -n tracking 2>&1
section timezone; timedatectl show -p Timezone --value
section links; ip -o link show
section wg_handshakes; wg show all latest-handshakes 2>&1
section wg_listen; wg show all listen-port 2>&1
section wg_allowed; wg show all allowed-ips 2>&1
section wg_public; wg show all public-key 2>&1
section wg_keyfiles
for key in /etc/wireguard/*.key; do
    [ -f "$key" ] && printf '%s\t%s\t%s\n' "$key" "$(stat -c '%U %a' "$key")" "$(wg pubkey < "$key")"
done
section now; date +%s
