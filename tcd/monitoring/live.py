"""Reaching the provincial hub's Prometheus from the controller: an SSH port forward through the
hub (as cameras are reached through their gateway), one reading, the forward closed.

Prometheus listens on the hub's underlay address only (roles/monitoring_hub), which the controller
may not be let in to; the hub itself always is. Everything is bounded, so `tcd status` stays
quick when the field cannot be reached: ssh gives up connecting after SSH_CONNECT_TIMEOUT, the
forward must be up within READY_TIMEOUT, the reading takes at most prometheus.TIMEOUT.
"""

import dataclasses

from roles.declaration import Subject
from roles.monitoring_hub.role import MonitoringData
from tcd.model.province import Office
from tcd.monitoring.prometheus import TIMEOUT, LiveReport, read_live
from tcd.onvif.forward import ForwardError, forwarded
from tcd.planning import plan_addresses
from tcd.planning.addresses import HubPlan
from tcd.planning.keys import PublicKeys
from tcd.target import Target

SSH_CONNECT_TIMEOUT = 5  # s, as the lab's ssh_config has it
# A rollout's camera forwards wait longer (forward.READY_TIMEOUT); a status that waits 15 s for
# an unreachable field is one operators stop running.
READY_TIMEOUT = 8.0


def provincial_prometheus(target: Target) -> tuple[HubPlan, str, int]:
    """The provincial hub, and the address and port its Prometheus listens on there (as this
    target sees them: a lab's are its own)."""
    inventory = target.inventory
    plan = plan_addresses(inventory)
    hub = plan.hubs[Office.PROVINCE]
    # the role's own host data says where it listens; no site or key is needed for that
    subject = Subject(
        name=hub.name, inventory=inventory, plan=plan, keys=PublicKeys(), apt_update=False, hub=hub
    )
    address, port = MonitoringData.build(subject).listen.rsplit(":", 1)
    return hub, address, int(port)


def live_status(
    target: Target, timeout: float = TIMEOUT, ready_timeout: float = READY_TIMEOUT
) -> LiveReport:
    """Every site as the provincial Prometheus of `target` (the field, or a lab) sees it now,
    through an SSH forward opened for this reading only. Never raises for a hub or Prometheus
    that cannot be reached: the report's `error` says why, in one line."""
    hub, address, port = provincial_prometheus(target)
    source = f"Prometheus on {hub.name} ({address}:{port})"
    if target.hosts is not None and hub.name not in target.hosts:
        return LiveReport.unavailable(source, f"{hub.name} is not in {target.name}")
    gateway = target.gateway(hub)
    # never a prompt (a password, an unknown host key) in a status: it fails in one line instead
    bounded = dataclasses.replace(
        gateway,
        ssh_options=(
            *gateway.ssh_options,
            *("-o", "BatchMode=yes", "-o", f"ConnectTimeout={SSH_CONNECT_TIMEOUT}"),
        ),
    )
    try:
        with forwarded(bounded, address, [port], ready_timeout=ready_timeout) as local:
            return read_live(f"http://127.0.0.1:{local[port]}", timeout, source=source)
    except ForwardError as exc:
        return LiveReport.unavailable(source, str(exc))
    except OSError as exc:  # no ssh on this machine
        return LiveReport.unavailable(source, f"cannot run ssh: {exc.strerror or exc}")
