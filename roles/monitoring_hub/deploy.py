"""roles/monitoring_hub: Prometheus on both hubs. The provincial one scrapes every deployed site's
exporters through the tunnels, probes the gateways and cameras (blackbox exporter) and alerts
(Alertmanager); the central one federates the provincial one's site-level series. Every config
is checked by the program that reads it, on the hub, before the program is told to read it."""

import json
import shlex

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
# Prometheus hands what it discovered to its scrapers at most every 5 s, after a start or a
# reload too: until then its targets API lacks them, and a verify right after the rollout
# fails TCD-MON-004. So a rollout that changed what it scrapes waits (at most 30 s) until it
# lists exactly the targets that control wants: argv is the API's URL and {job: [instance]}.
TARGETS_LISTED = """
import json, sys, time, urllib.request
url, wanted = sys.argv[1], {job: set(names) for job, names in json.loads(sys.argv[2]).items()}
for _ in range(60):
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            listed = json.load(answer)["data"]["activeTargets"]
    except (OSError, ValueError, KeyError):
        listed = []
    found = {job: set() for job in wanted}
    for each in listed:
        found.get(each["labels"]["job"], set()).add(each["labels"]["instance"])
    if found == wanted:
        sys.exit(0)
    time.sleep(0.5)
sys.exit(f"Prometheus still lists {found}, not {wanted}")
"""
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
    targets = [
        template(f"etc/prometheus/targets/{name}.json.j2",
                 f"{defaults.TARGETS_DIR}/{name}.json", **context)
        for name in (TARGETS if provincial else ())
    ]  # fmt: skip
    configs = [template("etc/prometheus/prometheus.yml.j2", defaults.PROMETHEUS_CONFIG, **context)]
    if provincial:
        configs.append(
            template("etc/prometheus/rules/tcd-sites.yml.j2", defaults.RULES_FILE, **context)
        )
    scraping = _daemon(
        data,
        defaults.PROMETHEUS,
        configs=configs,
        check=f"promtool check config {defaults.PROMETHEUS_CONFIG}",
    )
    wanted = json.dumps({job: sorted(names) for job, names in data.scraped().items()})
    server.shell(
        name="Prometheus lists its targets",
        commands=[
            shlex.join(
                ["python3", "-c", TARGETS_LISTED, f"http://{data.listen}/api/v1/targets", wanted]
            )
        ],
        _if=lambda: any(op.did_change() for op in [*targets, *scraping]),
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
) -> list[OperationMeta]:
    """`unit` running with its arguments and its drop-in (restarted when they change; no
    drop-in of anyone else's) and its configs (checked on the hub, then reloaded: a config it
    refuses never reaches it). Returns the operations that start, restart or reload it."""
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
    started = service(f"{name} running", unit)
    restart = [args, *unit_files, *(restart_when or [])]
    restarted = systemd.service(
        name=f"{name} restarted",
        service=unit,
        restarted=True,
        _if=lambda: any(op.did_change() for op in restart),
    )
    reloaded = systemd.service(
        name=f"{name} reloaded",
        service=unit,
        reloaded=True,
        _if=lambda: (
            any(op.did_change() for op in configs) and not any(op.did_change() for op in restart)
        ),
    )
    return [started, restarted, reloaded]
