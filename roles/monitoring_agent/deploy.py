"""roles/monitoring_agent: node exporter on the host's tunnel addresses (a host behind its
site's gateway: its own address, reached through a port the gateway forwards), the roles'
units and the tunnels' handshakes among its metrics. The firewall that lets only the hubs
scrape it is roles/base's (BaseData.firewall_input)."""

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.operations import systemd

from roles.common.files import template
from roles.common.packages import install
from roles.common.units import own_dropins, service
from roles.common.wireguard import handshake_metrics_current
from roles.monitoring_agent import defaults
from roles.monitoring_agent.role import MONITORING_AGENT


@deploy("Monitoring agent")
def main() -> None:
    data = MONITORING_AGENT.data_of(host.data)
    context = {"a": data, "d": defaults}
    # no Recommends: they bring textfile collectors (apt, smartmon) nobody asked for
    install("Node exporter", defaults.PACKAGES, no_recommends=True)
    metrics = defaults.WG_METRICS
    changed = [
        template("usr/local/sbin/tcd-wireguard-metrics.j2", defaults.WG_METRICS_SCRIPT,
                 mode="755", **context),
        *(
            template(f"etc/systemd/system/{metrics}.{kind}.j2",
                     f"/etc/systemd/system/{metrics}.{kind}", **context)
            for kind in ("service", "timer")
        ),
        *own_dropins(f"{metrics}.service"),
        *own_dropins(f"{metrics}.timer"),
    ]  # fmt: skip
    exporter = [
        template(f"{defaults.DROPIN[1:]}.j2", defaults.DROPIN, **context),
        *own_dropins(defaults.SERVICE, [defaults.DROPIN]),
    ]
    args = template("etc/default/prometheus-node-exporter.j2", defaults.ARGS_FILE, **context)
    systemd.daemon_reload(
        name="systemd reloaded (monitoring agent)",
        _if=lambda: any(op.did_change() for op in changed + exporter),
    )
    service("Handshake metrics timer", f"{metrics}.timer")
    # after the tunnels (roles/vpn_spoke runs before this role): a tunnel this rollout started
    # is in the metrics the moment it ends, not at the timer's next run
    handshake_metrics_current(
        name="Handshake metrics name the tunnels up",
        service=f"{metrics}.service",
        path=defaults.WG_METRICS_FILE,
    )
    service("Node exporter running", defaults.SERVICE)
    systemd.service(
        name="Node exporter restarted",
        service=defaults.SERVICE,
        restarted=True,
        _if=lambda: args.did_change() or any(op.did_change() for op in exporter),
    )
