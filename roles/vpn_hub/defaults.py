"""Defaults of roles/vpn_hub (provincial hub, central hub). Peers, addresses and the listen
port come from host data (tcd.planning.hostdata)."""

PACKAGES = ["wireguard-tools", "wireguard-go"]
