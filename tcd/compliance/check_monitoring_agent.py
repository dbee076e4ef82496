"""roles/monitoring_agent on every site host: node exporter answering on the tunnel addresses
only, to the hubs only, with the roles' units and the tunnels' handshakes among its metrics."""

import netaddr
import pytest

from roles.monitoring_agent import defaults
from roles.monitoring_agent.role import MONITORING_AGENT
from tcd.compliance import nft
from tcd.compliance.host import CheckedHost

ROLE = MONITORING_AGENT  # the role whose hosts this module checks
control = pytest.mark.control
PROCESS = "prometheus-node"  # as `ss -p` names it (15 characters of the program's name)


def metrics(target: CheckedHost) -> list[str]:
    found = target.lines("node_metrics")
    assert any(line.startswith("node_systemd_unit_state") for line in found), (
        f"node exporter did not answer on {target.of(ROLE).listen[0]}: "
        + " | ".join(found[-2:] or ["nothing"])
    )
    return found


@control("TCD-MON-001")
def test_exporter_listens_on_the_tunnel_addresses_only(target: CheckedHost) -> None:
    wanted = set(target.of(ROLE).listen)
    listening = {
        line.split()[4]
        for line in target.lines("listeners")
        if len(line.split()) > 6 and f'"{PROCESS}"' in line.split()[6]
    }
    assert listening, f"node exporter listens nowhere (wanted on {', '.join(sorted(wanted))})"
    assert listening == wanted, (
        f"node exporter listens on {', '.join(sorted(listening))}, "
        f"expected {', '.join(sorted(wanted))}"
    )
    state = target.units().get(defaults.SERVICE, {})
    assert state.get("UnitFileState") == "enabled", f"{defaults.SERVICE} is not enabled"


@control("TCD-MON-002")
def test_only_the_hubs_may_scrape(target: CheckedHost) -> None:
    allowed = netaddr.IPSet(target.of(ROLE).scrapers)
    found = nft.accepting_rules(target, defaults.PORT, allowed)
    assert found, f"no rule lets the hubs scrape port {defaults.PORT}"


@control("TCD-MON-003")
def test_exporter_reports_the_units_and_the_tunnels(target: CheckedHost) -> None:
    data = target.of(ROLE)
    found = metrics(target)
    reported = {line.split('name="', 1)[1].split('"', 1)[0] for line in found if 'name="' in line}
    missing = sorted(set(data.units) - reported)
    assert not missing, f"node exporter reports nothing on {', '.join(missing)}"
    tunnels = {
        line.split('interface="', 1)[1].split('"', 1)[0]
        for line in found
        if line.startswith(defaults.WG_METRIC)
    }
    missing = sorted(set(data.interfaces) - tunnels)
    assert not missing, f"no handshake metric for {', '.join(missing)} (is its timer running?)"
