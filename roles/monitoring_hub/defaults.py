"""Defaults of roles/monitoring_hub (both hubs). Targets, labels, intervals and retention come from
its host data (roles/monitoring_hub/role.py), built from the inventory, the plan and the journal."""

from tcd.model.province import Office

# The provincial hub scrapes, probes and alerts; the central hub only federates.
PACKAGES = {
    Office.PROVINCE: ["prometheus", "prometheus-blackbox-exporter", "prometheus-alertmanager"],
    Office.CENTRAL: ["prometheus"],
}
PROMETHEUS_PORT = 9090
ALERTMANAGER_PORT = 9093  # loopback only: Prometheus on the same hub is its one client
BLACKBOX_PORT = 9115  # loopback only
LOOPBACK = "127.0.0.1"

# Debian's units read $ARGS from these files; the configs are where Debian puts them.
PROMETHEUS = "prometheus.service"
ALERTMANAGER = "prometheus-alertmanager.service"
BLACKBOX = "prometheus-blackbox-exporter.service"
SERVICES = {
    Office.PROVINCE: [PROMETHEUS, BLACKBOX, ALERTMANAGER],
    Office.CENTRAL: [PROMETHEUS],
}
ARGS_FILES = {
    PROMETHEUS: "/etc/default/prometheus",
    ALERTMANAGER: "/etc/default/prometheus-alertmanager",
    BLACKBOX: "/etc/default/prometheus-blackbox-exporter",
}
PROMETHEUS_CONFIG = "/etc/prometheus/prometheus.yml"
RULES_FILE = "/etc/prometheus/rules/tcd-sites.yml"
ALERTMANAGER_CONFIG = "/etc/prometheus/alertmanager.yml"
BLACKBOX_CONFIG = "/etc/prometheus/blackbox.yml"
# Scrape targets as files (Prometheus's file_sd): it reads them again when they change, so a
# rollout that adds a site needs no reload
TARGETS_DIR = "/etc/prometheus/targets"

# What the alert rules watch (templates/etc/prometheus/rules/tcd-sites.yml.j2)
HANDSHAKE_MAX_AGE = 180  # s, as TCD-VPN-001/002
CLOCK_MAX_OFFSET = 1.0  # s
DISK_MAX_USED = 0.90
# the series the central hub federates: the site-level recording rules only
FEDERATED = '{__name__=~"site:.+"}'
