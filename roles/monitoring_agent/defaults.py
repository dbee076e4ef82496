"""Defaults of roles/monitoring_agent (every site host). Which addresses it listens on and who
may scrape it come from its host data (roles/monitoring_agent/role.py)."""

PACKAGES = ["prometheus-node-exporter"]
SERVICE = "prometheus-node-exporter.service"
PORT = 9100
# A host behind its site's gateway has no tunnel address: the gateway forwards these ports of
# its provincial tunnel address to them, one per host in the site file's order (9101, 9102, …).
FORWARDED_PORTS_FROM = 9101
ARGS_FILE = "/etc/default/prometheus-node-exporter"  # Debian's unit reads $ARGS from it
DROPIN = f"/etc/systemd/system/{SERVICE}.d/10-tcd.conf"
# Debian's textfile folder: what the exporter cannot read itself is written here as metrics
TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"
# The tunnels' latest handshakes (wg needs root; the exporter runs as `prometheus`): a timer
# writes them to the textfile folder. Node exporter 1.5 has no WireGuard collector.
WG_METRICS = "tcd-wireguard-metrics"
WG_METRICS_SCRIPT = f"/usr/local/sbin/{WG_METRICS}"
WG_METRICS_EVERY = 15  # seconds; the alert is on a handshake older than 3 min
WG_METRICS_FILE = f"{TEXTFILE_DIR}/tcd_wireguard.prom"
WG_METRIC = "tcd_wireguard_latest_handshake_seconds"  # one sample per tunnel, by `interface`
# Collectors switched on beyond Debian's defaults (time/timex, filesystem, netdev, textfile are
# on by default): the roles' systemd units.
COLLECTORS = ["systemd"]
