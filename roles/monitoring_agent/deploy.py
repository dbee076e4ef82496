"""roles/monitoring_agent: node exporter on the host's tunnel addresses (a host behind its
site's gateway: its own address, reached through a port the gateway forwards), the roles'
units and the tunnels' handshakes among its metrics. The firewall that lets only the hubs
scrape it is roles/base's (BaseData.firewall_input)."""

from pyinfra import host
from pyinfra.api import FactBase, deploy, operation
from pyinfra.operations import systemd

from roles.common.files import template
from roles.common.packages import install
from roles.common.units import own_dropins, service
from roles.monitoring_agent import defaults
from roles.monitoring_agent.role import MONITORING_AGENT


class HandshakeMetricsCurrent(FactBase):
    """Whether the handshake metrics file names exactly the tunnels that are up. Its timer
    rewrites it every few seconds: a tunnel started or stopped since is missing from it or
    still in it."""

    def command(self, path: str) -> str:
        return (
            "up=$(wg show interfaces 2>/dev/null | tr ' ' '\\n' | sed '/^$/d' | sort); "
            f'listed=$(sed -n \'s/^{defaults.WG_METRIC}{{interface="\\([^"]*\\)"}}.*/\\1/p\' '
            f"{path} 2>/dev/null | sort); "
            '[ "$up" = "$listed" ] && echo current || echo stale'
        )

    def process(self, output: list[str]) -> bool:
        return output == ["current"]


@operation()
def handshake_metrics_current(service: str, path: str):
    """Run the metrics unit `service` once if the file it writes at `path` does not name the
    tunnels that are up: a verify right after a rollout that started or stopped a tunnel then
    reads the tunnels as they are, not as they were at the timer's last run."""
    if host.get_fact(HandshakeMetricsCurrent, path=path):
        host.noop(f"{path} names the tunnels that are up")
    else:
        yield f"systemctl start {service}"


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
