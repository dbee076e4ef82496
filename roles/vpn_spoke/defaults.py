"""Defaults of roles/vpn_spoke (the site's gateway). Addresses, endpoints and keys of the hubs
come from its host data (roles/vpn_spoke/role.py)."""

from tcd.model.province import Office

PACKAGES = ["wireguard-tools", "wireguard-go"]
# one tunnel per office
INTERFACES = {Office.PROVINCE: "wg-province", Office.CENTRAL: "wg-central"}
# Sites sit behind NAT on TSLCD/FTTH: a keepalive keeps the hub able to reach them.
KEEPALIVE_SECONDS = 25
# A valid-looking key nobody holds, used until the hub's real key is known (all zeros).
PLACEHOLDER_KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
# s: WireGuard re-handshakes every 2 min while packets flow (TCD-VPN-001/002)
HANDSHAKE_MAX_AGE = 180
