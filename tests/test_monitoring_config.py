"""The monitoring config files (roles/monitoring_hub's templates) rendered for both hubs from the
real inventory, with the field's values and the lab's, and checked by Prometheus's own tools:
Debian's, unpacked by ./dev setup into .tools (nothing is started, no lab, no root).

The alert and recording rules are unit-tested with `promtool test rules` on the rendered file:
tests/fixtures/monitoring/*.test.yml, copied beside it."""

import json
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from roles.monitoring_hub import defaults
from roles.monitoring_hub.role import MONITORING_HUB, MonitoringData
from tcd.lab.addressing import (
    LAB_FAST_MONITORING_MAX_SITES,
    LAB_MONITORING,
    fast_monitoring,
    lab_inventory,
)
from tcd.loading import load_inventory
from tcd.model.province import Office
from tcd.paths import REPO_ROOT, TEMPLATES_DIR
from tcd.planning import plan_addresses
from tcd.planning.hostdata import host_data
from tcd.planning.keys import PublicKeys
from tcd.render import render

TOOLS = REPO_ROOT / ".tools" / "root" / "usr" / "bin"
FIXTURES = Path(__file__).parent / "fixtures" / "monitoring"
LAB_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF2pSez7+fgUs4WMNsnK6+/eSiLUCoq67CusLARASRfX"
# the pilot's three sites, as if rolled out: the journal holds their gateways' tunnel keys
PILOT_GATEWAYS = ("tcd-26380-pc1", "tcd-25217-gw1", "tcd-25195-pc1")
TEMPLATES = sorted(
    str(p.relative_to(TEMPLATES_DIR))
    for pattern in ("etc/prometheus/**/*.j2", "etc/default/prometheus*.j2")
    for p in TEMPLATES_DIR.glob(pattern)
    if p.name != "prometheus-node-exporter.j2"  # the agent's (roles/monitoring_agent)
)
ALERTS = {
    "TcdSiteDown",
    "TcdSiteNeverScraped",
    "TcdGatewayUnreachable",
    "TcdTunnelHandshakeStale",
    "TcdCameraUnreachable",
    "TcdClockOffset",
    "TcdDiskFull",
    "TcdRoleUnitFailed",
}
SITE_LABELS = ("site", "site_name", "wave", "former_district")
VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]")


def tool(name: str) -> Path:
    path = TOOLS / name
    if not path.is_file():
        # a missing tool is a broken setup, not a reason to check nothing
        pytest.fail(f"{path} is missing: run ./dev setup (it unpacks Prometheus's tools)")
    return path


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=60, check=False
    )


def assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"


@cache
def monitoring_data(values: str) -> dict[Office, MonitoringData]:
    """Both hubs' host data from the committed inventory, the pilot rolled out: as in the
    field, or as the lab maps it (its addresses, its shortened intervals)."""
    inventory = load_inventory(REPO_ROOT / "inventory")
    if values == "lab":
        inventory, _ = lab_inventory(inventory, LAB_KEY)
    keys = PublicKeys(
        hubs={},
        spokes={name: {Office.PROVINCE: "k", Office.CENTRAL: "k"} for name in PILOT_GATEWAYS},
    )
    found = host_data(inventory, plan_addresses(inventory), inventory.sites.values(), keys)
    hubs = [d.of(MONITORING_HUB) for d in found.values() if d.has(MONITORING_HUB)]
    return {m.office: m for m in hubs}


def render_tree(root: Path, m: MonitoringData) -> Path:
    """Every monitoring template rendered under `root` as under / on the hub, with the paths
    the files name each other by moved under `root` too (promtool opens the rule and target
    files the config names)."""
    constants = {k: v for k, v in vars(defaults).items() if k.isupper()}
    d = SimpleNamespace(
        **{
            k: f"{root}{v}" if isinstance(v, str) and v.startswith("/etc/") else v
            for k, v in constants.items()
        }
    )
    for template in TEMPLATES:
        target = root / template.removesuffix(".j2")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(template, m=m, d=d), encoding="utf-8")
    return root


@dataclass(frozen=True)
class Rendered:
    data: dict[Office, MonitoringData]
    roots: dict[Office, Path]  # each hub's files under here as under /

    def path(self, office: Office, path: str) -> Path:
        return self.roots[office] / path.lstrip("/")

    @property
    def rule_file(self) -> Path:
        return self.path(Office.PROVINCE, defaults.RULES_FILE)

    @property
    def province(self) -> MonitoringData:
        return self.data[Office.PROVINCE]


@pytest.fixture(scope="module", params=["field", "lab"])
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    data = monitoring_data(request.param)
    roots = {
        office: render_tree(tmp_path_factory.mktemp(f"{request.param}-{office}"), m)
        for office, m in data.items()
    }
    return Rendered(data, roots)


@pytest.fixture(scope="module")
def rules(rendered: Rendered) -> dict:
    return yaml.safe_load(rendered.rule_file.read_text(encoding="utf-8"))


def test_the_data_has_the_pilot() -> None:
    """What the other tests render: the pilot's hosts, gateways and cameras, both hubs."""
    for values in ("field", "lab"):
        data = monitoring_data(values)
        assert set(data) == {Office.PROVINCE, Office.CENTRAL}
        province = data[Office.PROVINCE]
        assert {t.name for t in province.nodes} >= set(PILOT_GATEWAYS)
        assert province.gateways and province.cameras
        assert not data[Office.CENTRAL].nodes and data[Office.CENTRAL].federate_from
    lab = monitoring_data("lab")[Office.PROVINCE]
    assert (lab.scrape_interval, lab.evaluation_interval, lab.alert_after) == (
        LAB_MONITORING["scrape_interval"],
        LAB_MONITORING["evaluation_interval"],
        LAB_MONITORING["alert_after"],
    )


def test_a_big_lab_keeps_the_field_intervals() -> None:
    # a lab's hosts share one machine's cores: 2 s scrapes of 95 units' hosts kept 1.4 of 2
    # cores busy, so only a small lab (the tests') shortens the intervals
    assert fast_monitoring(LAB_FAST_MONITORING_MAX_SITES)
    assert not fast_monitoring(LAB_FAST_MONITORING_MAX_SITES + 1)
    field = load_inventory(REPO_ROOT / "inventory")
    lab, _ = lab_inventory(field, LAB_KEY, fast=False)
    assert lab.province.monitoring == field.province.monitoring
    assert lab.province.monitoring.scrape_interval != LAB_MONITORING["scrape_interval"]


@pytest.mark.parametrize("office", list(Office))
def test_prometheus_config_is_valid(rendered: Rendered, office: Office) -> None:
    # the provincial one names the rule file and the target files: promtool checks them too
    result = run(
        tool("promtool"), "check", "config", rendered.path(office, defaults.PROMETHEUS_CONFIG)
    )
    assert_ok(result)
    config = yaml.safe_load(rendered.path(office, defaults.PROMETHEUS_CONFIG).read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    if office is Office.PROVINCE:
        assert "1 rule files found" in result.stdout
        assert set(jobs) == {
            "prometheus", "alertmanager", "blackbox",
            "node", "gateway_icmp", "camera_onvif", "camera_rtsp",
        }  # fmt: skip
        assert config["global"]["external_labels"] == {"province": "Thành phố Đồng Nai"}
    else:
        assert set(jobs) == {"prometheus", "federate"}
        assert jobs["federate"]["honor_labels"] is True
        assert jobs["federate"]["params"] == {"match[]": [defaults.FEDERATED]}
        assert config["global"]["external_labels"] == {"office": "central"}


def test_rules_are_valid(rendered: Rendered) -> None:
    assert_ok(run(tool("promtool"), "check", "rules", rendered.rule_file))


@pytest.mark.parametrize("test_file", sorted(FIXTURES.glob("*.test.yml")), ids=lambda p: p.name)
def test_rules_unit_tests(rendered: Rendered, test_file: Path) -> None:
    """Each alert fires on its fault and stays silent on the healthy series; the site-level
    series keep the site's labels (the fixtures say which, and when)."""
    beside = rendered.rule_file.parent / test_file.name
    shutil.copyfile(test_file, beside)
    result = run(tool("promtool"), "test", "rules", beside)
    assert_ok(result)
    assert "SUCCESS" in result.stdout


def test_every_alert_is_named_severe_and_vietnamese(rules: dict, rendered: Rendered) -> None:
    alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"] if "alert" in r}
    assert set(alerts) == ALERTS
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in {"critical", "warning"}, name
        for text in ("summary", "description"):
            assert VIETNAMESE.search(rule["annotations"][text]), (name, text)
        # the site named as the provincial team knows it, and by its code
        assert "{{ $labels.site_name }} ({{ $labels.site }})" in rule["annotations"]["summary"]
        if name != "TcdTunnelHandshakeStale":  # its threshold is an age already
            assert rule["for"] == f"{rendered.province.alert_after}s", name


def test_site_series_keep_the_site_labels(rules: dict) -> None:
    """The recording rules the central hub federates aggregate by the site's labels, and the
    federation's match selects those and nothing else."""
    records = [r for g in rules["groups"] for r in g["rules"] if "record" in r]
    federated = re.compile(defaults.FEDERATED.split('"')[1])
    site_series = [r for r in records if federated.fullmatch(r["record"])]
    assert {r["record"] for r in site_series} == {
        "site:up:min",
        "site:gateway_up:min",
        "site:camera_up:min",
        "site:tunnel_handshake_age_seconds:max",
        "site:alerts_firing:count",
    }
    for rule in site_series:
        by = re.search(r"by \(([^)]*)\)", rule["expr"])
        assert by, rule
        assert tuple(label.strip() for label in by.group(1).split(","))[:4] == SITE_LABELS


def test_targets_are_json_with_the_sites_labels(rendered: Rendered) -> None:
    for office, m in rendered.data.items():
        for file, kind, targets in (
            ("nodes.json", "host", m.nodes),
            ("gateways.json", "host", m.gateways),
            ("cameras.json", "camera", m.cameras),
        ):
            path = rendered.path(office, defaults.TARGETS_DIR) / file
            raw = path.read_bytes()
            groups = json.loads(raw.decode("utf-8"))
            assert groups == [
                {
                    "targets": [t.address],
                    "labels": {kind: t.name, **t.labels.model_dump()},
                }
                for t in targets
            ]
            if targets:
                # UTF-8 as it is, readable by whoever opens the file on the hub
                assert "Phường".encode() in raw and b"\\u" not in raw
            else:
                assert office is Office.CENTRAL


def test_alertmanager_routes_each_wave(rendered: Rendered) -> None:
    amtool = tool("amtool")
    config = rendered.path(Office.PROVINCE, defaults.ALERTMANAGER_CONFIG)
    assert_ok(run(amtool, "check-config", config))
    m = rendered.province
    cases = [(f"wave={w}", f"wave-{w}") for w in m.waves] + [("alertname=TcdSiteDown", "tinh")]
    for labels, receiver in cases:
        result = run(
            amtool, "config", "routes", "test", f"--config.file={config}",
            f"--verify.receivers={receiver}", labels,
        )  # fmt: skip
        assert_ok(result)


def test_blackbox_config_is_valid(rendered: Rendered) -> None:
    config = rendered.path(Office.PROVINCE, defaults.BLACKBOX_CONFIG)
    result = run(tool("prometheus-blackbox-exporter"), f"--config.file={config}", "--config.check")
    assert_ok(result)
    assert set(yaml.safe_load(config.read_text())["modules"]) == {"icmp", "tcp_connect"}


def args_of(path: Path) -> list[str]:
    """ARGS of a Debian /etc/default file, split as systemd's $ARGS is (at whitespace)."""
    (line,) = (x for x in path.read_text().splitlines() if x.startswith("ARGS="))
    return shlex.split(shlex.split(line.removeprefix("ARGS="))[0])


def test_default_args(rendered: Rendered) -> None:
    """The units' arguments: flags the binaries know, loopback where only the hub reads."""
    m = rendered.province
    files = {
        unit: rendered.path(Office.PROVINCE, path) for unit, path in defaults.ARGS_FILES.items()
    }
    binaries = {
        defaults.PROMETHEUS: "prometheus",
        defaults.ALERTMANAGER: "prometheus-alertmanager",
        defaults.BLACKBOX: "prometheus-blackbox-exporter",
    }
    for unit, path in files.items():
        result = run(tool(binaries[unit]), "--help")
        known = result.stdout + result.stderr
        for arg in args_of(path):
            if arg.startswith("--"):
                assert f"{arg.split('=')[0]}=" in known, (unit, arg)
    prometheus = args_of(files[defaults.PROMETHEUS])
    assert f"--web.listen-address={m.listen}" in prometheus
    assert f"--storage.tsdb.retention.time={m.retention_days}d" in prometheus
    assert "--web.enable-lifecycle" not in " ".join(prometheus)
    alertmanager = args_of(files[defaults.ALERTMANAGER])
    assert "--cluster.listen-address=" in alertmanager
    assert "--web.listen-address=127.0.0.1:9093" in alertmanager
    blackbox = args_of(files[defaults.BLACKBOX])
    assert "--web.listen-address=127.0.0.1:9115" in blackbox
