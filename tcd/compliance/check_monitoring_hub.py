"""roles/monitoring_hub on both hubs: the daemons running, and Prometheus with every target it
must have (the provincial one: every deployed site's hosts, gateways and cameras; the central
one: the provincial Prometheus it federates), as its own API lists them."""

import json

import pytest

from roles.monitoring_hub.role import MONITORING_HUB
from tcd.compliance.host import CheckedHost

ROLE = MONITORING_HUB  # the role whose hosts this module checks
control = pytest.mark.control


def active_targets(target: CheckedHost) -> dict[str, set[str]]:
    """job -> the `instance`s Prometheus scrapes for it."""
    text = target.section("prometheus_targets")
    try:
        listed = json.loads(text)["data"]["activeTargets"]
    except (ValueError, KeyError):
        raise AssertionError(
            f"Prometheus did not answer on {target.of(ROLE).listen}: {text.strip()[-200:]}"
        ) from None
    found: dict[str, set[str]] = {}
    for each in listed:
        labels = each["labels"]
        found.setdefault(labels["job"], set()).add(labels["instance"])
    return found


@control("TCD-MON-004")
def test_prometheus_watches_every_deployed_site(target: CheckedHost) -> None:
    data = target.of(ROLE)
    units = target.units()
    stopped = [u for u in data.services if units.get(u, {}).get("ActiveState") != "active"]
    assert not stopped, f"not running: {', '.join(stopped)}"
    disabled = [u for u in data.services if units.get(u, {}).get("UnitFileState") != "enabled"]
    assert not disabled, f"not enabled: {', '.join(disabled)}"
    found = active_targets(target)
    wanted = data.scraped()
    for job, names in wanted.items():
        missing = sorted(names - found.get(job, set()))
        assert not missing, f"Prometheus does not scrape {', '.join(missing)} (job {job})"
        extra = sorted(found.get(job, set()) - names)
        assert not extra, f"Prometheus scrapes {', '.join(extra)}, no deployed site's (job {job})"
