"""The monitoring on the rolled-out pilot lab: the provincial Prometheus scrapes every pilot host
through the tunnels, the central one federates it, alerts fire and resolve on real faults (a
host powered off, a camera unplugged), and the exporters answer the hubs only. The lab's
Prometheus scrapes and evaluates every 2 s and alerts after 6 s (tcd.lab.addressing)."""

import json
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import netaddr
import pytest

from roles.monitoring_hub import defaults
from tcd.model.province import Office
from tcd.onvif.forward import Gateway, forwarded
from tcd.planning import Plan

from .conftest import (
    LabHandle,
    RolledOut,
    hub_forwarding_everything,
    lab_plan,
    spokes_open_to_each_other,
)

pytestmark = pytest.mark.lab
PILOT_HOSTS = {"tcd-26380-pc1", "tcd-25217-gw1", "tcd-25217-pc1", "tcd-25195-pc1"}
T = TypeVar("T")


@contextmanager
def api(lab: LabHandle, hub: str, address: str, port: int) -> Iterator[Callable[[str], Any]]:
    """GET on a hub's HTTP API from the controller, through an SSH forward to the hub (as
    `tcd status` reaches it); yields path -> decoded JSON."""
    through = Gateway(hub, ("-F", str(lab.settings.ssh_config)), hub)
    with forwarded(through, address, [port]) as local:

        def get(path: str) -> Any:
            url = f"http://127.0.0.1:{local[port]}{path}"
            with urllib.request.urlopen(url, timeout=10) as answer:
                return json.loads(answer.read())

        yield get


def query(get: Callable[[str], Any], promql: str) -> list[dict]:
    return get("/api/v1/query?" + urllib.parse.urlencode({"query": promql}))["data"]["result"]


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 90) -> T:
    """`probe()` until it returns something truthy; fails naming `what` and the last answer."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(1)
    raise AssertionError(f"not within {timeout:.0f} s: {what} (last: {last!r})")


@pytest.fixture(scope="module")
def monitored(rolled_out: RolledOut) -> tuple[RolledOut, Plan]:
    """The rolled-out pilot with both Prometheus answering."""
    return rolled_out, lab_plan(rolled_out.lab)


@contextmanager
def provincial(lab: LabHandle, plan: Plan, port: int = defaults.PROMETHEUS_PORT):
    hub = plan.hubs[Office.PROVINCE]
    with api(lab, hub.name, str(hub.underlay_address), port) as get:
        yield get


@contextmanager
def alertmanager(lab: LabHandle, plan: Plan):
    hub = plan.hubs[Office.PROVINCE]
    with api(lab, hub.name, defaults.LOOPBACK, defaults.ALERTMANAGER_PORT) as get:
        yield get


def up_by_host(get: Callable[[str], Any]) -> dict[str, str]:
    return {r["metric"]["host"]: r["value"][1] for r in query(get, 'up{job="node"}')}


def alerts(get: Callable[[str], Any], state: str = "active") -> list[dict[str, str]]:
    """The labels of each alert Alertmanager holds in `state` (active, suppressed: held back
    by an inhibition, listed all the same)."""
    return [a["labels"] for a in get("/api/v2/alerts") if a["status"]["state"] == state]


def firing(get: Callable[[str], Any], alert: str) -> list[dict[str, str]]:
    """The labels of each `alert` Alertmanager holds as active."""
    return [labels for labels in alerts(get) if labels["alertname"] == alert]


def test_the_provincial_prometheus_scrapes_every_pilot_host_through_the_tunnels(monitored):
    rolled_out, plan = monitored
    with provincial(rolled_out.lab, plan) as get:
        up = wait_for(
            "every pilot host up",
            lambda: (found := up_by_host(get)) and set(found) == PILOT_HOSTS
            and all(v == "1" for v in found.values()) and found,
        )  # fmt: skip
        assert up == dict.fromkeys(PILOT_HOSTS, "1")
        labels = {r["metric"]["host"]: r["metric"] for r in query(get, 'up{job="node"}')}
        assert labels["tcd-25217-pc1"]["site"] == "25217"
        assert labels["tcd-26380-pc1"]["site_name"] == "Phường Long Hưng"
        assert labels["tcd-25195-pc1"]["wave"] == "pilot"
        # the host behind 25217's gateway is reached through a port of the gateway's tunnel
        tunnel = str(plan.sites[25217].overlay[Office.PROVINCE])
        targets = get("/api/v1/targets?state=active")["data"]["activeTargets"]
        behind = next(t for t in targets if t["labels"].get("host") == "tcd-25217-pc1")
        assert behind["scrapeUrl"].startswith(f"http://{tunnel}:9101/")
        # the blackbox exporter reaches each gateway and camera through the tunnels
        probes = wait_for(
            "every probe succeeding",
            lambda: (r := query(get, "probe_success")) and all(x["value"][1] == "1" for x in r)
            and r,
        )  # fmt: skip
        jobs = {p["metric"]["job"] for p in probes}
        assert jobs == {"gateway_icmp", "camera_onvif", "camera_rtsp"}


def test_the_central_prometheus_federates_the_same_site_series(monitored):
    rolled_out, plan = monitored
    lab = rolled_out.lab
    series = 'count by (__name__, site) ({__name__=~"site:.+"})'
    with provincial(lab, plan) as get:
        local = wait_for("site-level series", lambda: query(get, series))
    central = plan.hubs[Office.CENTRAL]
    address, port = defaults.LOOPBACK, defaults.PROMETHEUS_PORT
    with api(lab, central.name, address, port) as get:
        names = {(r["metric"]["__name__"], r["metric"]["site"]) for r in local}
        federated = wait_for(
            "the provincial site series at the centre",
            lambda: (r := query(get, series))
            and {(x["metric"]["__name__"], x["metric"]["site"]) for x in r} == names
            and r,
        )  # fmt: skip
        # nothing but the site-level series: the centre never holds a host's raw metrics
        assert not query(get, 'up{job="node"}')
        assert {x["metric"]["site"] for x in federated} == {"26380", "25217", "25195"}
        sample = query(get, 'site:up:min{site="26380"}') or query(get, '{__name__=~"site:.+"}')
        assert sample[0]["metric"].get("province"), "federated series lost their province"


@contextmanager
def powered_off(rolled_out: RolledOut, name: str) -> Iterator[None]:
    """A lab host (or camera) stopped for the block, started again after it."""
    stopped = rolled_out.tcd("lab", "stop", name)
    assert stopped.returncode == 0, stopped.stderr
    try:
        yield
    finally:
        started = rolled_out.tcd("lab", "start", name)
        assert started.returncode == 0, started.stderr


def test_a_host_powered_off_fires_its_alert_shows_in_status_and_resolves(monitored):
    rolled_out, plan = monitored
    lab = rolled_out.lab
    host = "tcd-25195-pc1"
    with powered_off(rolled_out, host):
        with alertmanager(lab, plan) as get:
            # the host is its site's gateway: the site is cut off, one alert says so and holds
            # back the others of the site (they are listed, suppressed)
            def both() -> list[dict[str, str]] | None:
                listed = alerts(get) + alerts(get, "suppressed")
                names = {a["alertname"] for a in listed}
                return listed if {"TcdGatewayUnreachable", "TcdSiteDown"} <= names else None

            listed = wait_for("TcdGatewayUnreachable and TcdSiteDown in Alertmanager", both)
            cut_off = firing(get, "TcdGatewayUnreachable")
        assert {a["site"] for a in listed} == {"25195"}, listed
        assert {a["host"] for a in cut_off} == {host}, listed
        down = [a for a in listed if a["alertname"] == "TcdSiteDown"]
        assert {a["host"] for a in down} == {host}, listed
        status = rolled_out.tcd("status", "--lab", "--json")
        assert status.returncode == 0, status.stderr
        sites = {s["site"]: s for s in json.loads(status.stdout)["sites"]}
        assert json.loads(status.stdout)["live_error"] is None
        assert sites[25195]["live"]["down"], sites[25195]
        assert not sites[26380]["live"]["down"], sites[26380]
    with alertmanager(lab, plan) as get:
        wait_for(
            "every alert resolved", lambda: not alerts(get) + alerts(get, "suppressed") or None
        )
    with provincial(lab, plan) as get:
        wait_for("the host up again", lambda: up_by_host(get).get(host) == "1" or None)


def test_an_unplugged_camera_fires_the_camera_alert_for_that_camera_only(monitored):
    rolled_out, plan = monitored
    lab = rolled_out.lab
    camera = "tcd-26380-cam1"
    with powered_off(rolled_out, camera):
        with alertmanager(lab, plan) as get:
            wait_for(
                "TcdCameraUnreachable in Alertmanager",
                lambda: firing(get, "TcdCameraUnreachable"),
            )
            time.sleep(4)  # two more evaluations: another camera would have joined by now
            found = firing(get, "TcdCameraUnreachable")
        assert {a["camera"] for a in found} == {camera}
        assert {a["site"] for a in found} == {"26380"}
    with alertmanager(lab, plan) as get:
        wait_for(
            "the camera alert resolved", lambda: not firing(get, "TcdCameraUnreachable") or None
        )


def nc(lab: LabHandle, host: str, address: str, port: int, source: str | None = None) -> bool:
    """Whether `host` opens a TCP connection to address:port (2 s)."""
    option = f"-s {source} " if source else ""
    return lab.ssh(host, f"nc -z -w 2 {option}{address} {port}", check=False).returncode == 0


def test_the_exporter_answers_the_hubs_only(monitored):
    """Answers from the provincial hub (the positive control); not on a gateway's TSLCD or room
    LAN address; not from the controller on the TSLCD segment (a host behind its gateway
    listens there, for its gateway's forward); not from an office address that does come
    through the tunnel; not from another site's tunnel address (the spokes and the hub opened
    to each other for the probe, as in test_rollout's site-to-site test)."""
    rolled_out, plan = monitored
    lab = rolled_out.lab
    hub = plan.hubs[Office.PROVINCE]
    gateway, tunnel = "tcd-26380-pc1", str(plan.sites[26380].overlay[Office.PROVINCE])
    assert nc(lab, hub.name, tunnel, 9100), "the hub cannot scrape: the test cannot tell"
    assert nc(lab, hub.name, tunnel, 22), "the tunnel does not carry TCP: the test cannot tell"
    # on the host itself (loopback is accepted): nothing listens on its other addresses
    management = str(plan.host(gateway).management_address)
    assert not nc(lab, gateway, management, 9100)
    assert not nc(lab, gateway, str(plan.sites[26380].lan_gateway), 9100)
    # from the TSLCD segment, a host behind its gateway does not answer either
    behind = str(plan.host("tcd-25217-pc1").management_address)
    probe = ["ip", "netns", "exec", lab.settings.controller_netns, "nc", "-z", "-w", "2"]
    assert subprocess.run([*probe, behind, "9100"], check=False).returncode != 0
    assert subprocess.run([*probe, behind, "22"], check=False).returncode == 0
    # an office address comes through the tunnel (the spoke's peer allows it); nftables drops it
    # (the hub's own address on the office network: the hub has ping and nc, the machine not)
    office = netaddr.IPAddress(hub.office_networks[0].last - 1)
    reached = lab.ssh(hub.name, f"ping -c 1 -W 2 -I {office} {tunnel}", check=False)
    assert reached.returncode == 0, "the office does not reach the site: the test cannot tell"
    assert not nc(lab, hub.name, tunnel, 9100, source=str(office))
    # another site's tunnel address, all the way through (the hub opened too)
    other = str(plan.sites[25195].overlay[Office.PROVINCE])
    with (
        spokes_open_to_each_other(lab, plan, 26380, 25195),
        hub_forwarding_everything(lab, hub.name),
    ):
        assert nc(lab, "tcd-26380-pc1", other, 22, source=tunnel), "the probe cannot tell"
        assert not nc(lab, "tcd-26380-pc1", other, 9100, source=tunnel)


def test_the_hubs_configs_pass_promtool_on_the_hubs(monitored):
    rolled_out, plan = monitored
    for hub in plan.hubs.values():
        done = rolled_out.lab.ssh(
            hub.name, f"promtool check config {defaults.PROMETHEUS_CONFIG}", check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
    done = rolled_out.lab.ssh(
        plan.hubs[Office.PROVINCE].name, f"amtool check-config {defaults.ALERTMANAGER_CONFIG}"
    )
    assert "SUCCESS" in done.stdout
