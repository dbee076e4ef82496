"""roles/monitoring_hub: Prometheus on both hubs. The provincial one scrapes every deployed site's
exporters through the tunnels, probes the gateways and cameras (blackbox exporter) and alerts
(Alertmanager); the central one federates the provincial one's site-level series. Every config
is checked by the program that reads it, on the hub, before the program is told to read it."""

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.api.operation import OperationMeta
from pyinfra.facts.server import Command
from pyinfra.operations import server, systemd

from roles.common.files import template
from roles.common.packages import install
from roles.common.units import own_dropins, service
from roles.monitoring_hub import defaults
from roles.monitoring_hub.role import MONITORING_HUB, MonitoringData
from tcd.model.province import Office

TARGETS = ("nodes", "gateways", "cameras")
BLACKBOX_DROPIN = f"/etc/systemd/system/{defaults.BLACKBOX}.d/10-tcd.conf"
BLACKBOX_BIN = "/usr/bin/prometheus-blackbox-exporter"


@deploy("Monitoring")
def main() -> None:
    data = MONITORING_HUB.data_of(host.data)
    context = {"m": data, "d": defaults}
    # no Recommends: Prometheus's would put a node exporter on the hub, listening everywhere
    install("Prometheus", data.packages, no_recommends=True)
    provincial = data.office is Office.PROVINCE
    # the targets are read again by Prometheus when they change (file_sd): no reload for them
    if provincial:
        for name in TARGETS:
            template(f"etc/prometheus/targets/{name}.json.j2",
                     f"{defaults.TARGETS_DIR}/{name}.json", **context)  # fmt: skip
    configs = [template("etc/prometheus/prometheus.yml.j2", defaults.PROMETHEUS_CONFIG, **context)]
    if provincial:
        configs.append(
            template("etc/prometheus/rules/tcd-sites.yml.j2", defaults.RULES_FILE, **context)
        )
    _daemon(
        data,
        defaults.PROMETHEUS,
        configs=configs,
        check=f"promtool check config {defaults.PROMETHEUS_CONFIG}",
    )
    if provincial:
        _daemon(
            data,
            defaults.ALERTMANAGER,
            configs=[
                template("etc/prometheus/alertmanager.yml.j2", defaults.ALERTMANAGER_CONFIG,
                         **context)
            ],
            check=f"amtool check-config {defaults.ALERTMANAGER_CONFIG}",
        )  # fmt: skip
        # its ICMP probe opens a raw socket: Debian grants that with a file capability, asked
        # at install (debconf), which a non-interactive install answers no (an empty set, which
        # also clears what the unit could grant); checked on the file itself, as drift
        caps = host.get_fact(Command, command=f"getcap {BLACKBOX_BIN} 2>/dev/null || true") or ""
        granted = [] if "cap_net_raw=ep" in caps else [
            server.shell(name="blackbox may ping (cap_net_raw)",
                         commands=[f"setcap cap_net_raw=ep {BLACKBOX_BIN}"])
        ]  # fmt: skip
        _daemon(
            data,
            defaults.BLACKBOX,
            configs=[
                template("etc/prometheus/blackbox.yml.j2", defaults.BLACKBOX_CONFIG, **context)
            ],
            check=f"prometheus-blackbox-exporter --config.file={defaults.BLACKBOX_CONFIG}"
            " --config.check",
            dropin=BLACKBOX_DROPIN,
            restart_when=granted,
        )


def _daemon(
    data: MonitoringData,
    unit: str,
    *,
    configs: list[OperationMeta],
    check: str,
    dropin: str | None = None,
    restart_when: list[OperationMeta] | None = None,
) -> None:
    """`unit` running with its arguments and its drop-in (restarted when they change; no
    drop-in of anyone else's) and its configs (checked on the hub, then reloaded: a config it
    refuses never reaches it)."""
    name = unit.removesuffix(".service")
    context = {"m": data, "d": defaults}
    args = template(f"etc/default/{name}.j2", defaults.ARGS_FILES[unit], **context)
    ours = [template(f"{dropin[1:]}.j2", dropin, **context)] if dropin else []
    unit_files = ours + own_dropins(unit, [dropin] if dropin else [])
    systemd.daemon_reload(
        name=f"systemd reloaded ({name})", _if=lambda: any(op.did_change() for op in unit_files)
    )
    server.shell(
        name=f"{name}'s config is valid",
        commands=[check],
        _if=lambda: any(op.did_change() for op in configs),
    )
    service(f"{name} running", unit)
    restart = [args, *unit_files, *(restart_when or [])]
    systemd.service(
        name=f"{name} restarted",
        service=unit,
        restarted=True,
        _if=lambda: any(op.did_change() for op in restart),
    )
    systemd.service(
        name=f"{name} reloaded",
        service=unit,
        reloaded=True,
        _if=lambda: (
            any(op.did_change() for op in configs) and not any(op.did_change() for op in restart)
        ),
    )
