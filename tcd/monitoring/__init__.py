"""What the provincial hub's Prometheus sees of the sites now, for `tcd status`: a small client of
its HTTP API (`tcd.monitoring.prometheus`) and the SSH forward that reaches it
(`tcd.monitoring.live`)."""

from tcd.monitoring.live import live_status, provincial_prometheus
from tcd.monitoring.prometheus import (
    Alert,
    DownHost,
    LiveReport,
    PrometheusError,
    SiteLive,
    read_live,
)

__all__ = [
    "Alert",
    "DownHost",
    "LiveReport",
    "PrometheusError",
    "SiteLive",
    "live_status",
    "provincial_prometheus",
    "read_live",
]
