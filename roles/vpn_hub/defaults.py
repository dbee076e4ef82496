"""Defaults of roles/vpn_hub (provincial hub, central hub). Peers, addresses and the listen
port come from its host data (roles/vpn_hub/role.py)."""

PACKAGES = ["wireguard-tools", "wireguard-go"]
INTERFACE = "wg-sites"
