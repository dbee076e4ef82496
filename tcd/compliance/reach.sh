# For each address given: the interface the route to it leaves by, and whether it answers ping.
# One line per address: "address<TAB>interface<TAB>yes|no".
for address in "$@"; do
    dev=$(ip -o route get "$address" 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p')
    if ping -n -q -c 2 -i 0.2 -W 2 "$address" >/dev/null 2>&1; then ok=yes; else ok=no; fi
    printf '%s\t%s\t%s\n' "$address" "$dev" "$ok"
done
