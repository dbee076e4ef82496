"""Defaults of roles/vpn_spoke (the site's gateway). Addresses, endpoints and keys of the hubs
come from host data (tcd.planning.hostdata)."""

PACKAGES = ["wireguard-tools", "wireguard-go"]
# Sites sit behind NAT on TSLCD/FTTH: a keepalive keeps the hub able to reach them.
KEEPALIVE_SECONDS = 25
# A valid-looking key nobody holds, used until the hub's real key is known (all zeros).
PLACEHOLDER_KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
HANDSHAKE_MAX_AGE = (
    180  # s: WireGuard re-handshakes every 2 min while packets flow (TCD-VPN-001/002)
)
