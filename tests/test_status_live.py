"""`tcd status`'s live column, read from a REAL Prometheus on loopback (Debian's, unpacked into
.tools by ./dev setup) scraping a real node exporter and a port where nothing listens; the
unreachable cases against real dead ports, a silent socket and real `ssh`. No lab, no mock:
nothing here leaves 127.0.0.1."""

import contextlib
import datetime as dt
import http.server
import json
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import html as lxml_html

from tcd.cli.status_cmd import live_cell
from tcd.journal import Journal
from tcd.journal.journal import DATABASE_ENV, HostOutcome, journal_url
from tcd.loading import load_inventory
from tcd.monitoring import live_status, provincial_prometheus, read_live
from tcd.target import Target

from .conftest import INVENTORY, REPO
from .test_status_page import chromium

TOOLS = REPO / ".tools" / "root" / "usr" / "bin"
PROMETHEUS = TOOLS / "prometheus"
NODE_EXPORTER = TOOLS / "prometheus-node-exporter"
LOOPBACK = "127.0.0.1"
READY_WITHIN = 60  # s: a first scrape and a first rule evaluation, on a loaded CI machine
SUMMARY = "{{ $labels.host }} không phản hồi: mất kết nối tới máy"


def free_port() -> int:
    """A loopback port free now; nothing listens on it once this returns."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


@dataclass
class Scraped:
    """A node job target as roles/monitoring_hub writes them: an address and the site's labels."""

    address: str
    site: int
    host: str

    def file_sd(self) -> dict:
        labels = {
            "site": str(self.site),
            "site_name": f"Đơn vị {self.site}",
            "wave": "pilot",
            "former_district": "Thử nghiệm",
            "host": self.host,
        }
        return {"targets": [self.address], "labels": labels}


@dataclass
class RunningPrometheus:
    url: str
    folder: Path
    processes: dict[str, subprocess.Popen[bytes]]

    def get(self, path: str) -> dict:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self.url + path, timeout=5) as answer:
            return json.load(answer)

    def log(self) -> str:
        return (self.folder / "prometheus.log").read_text(errors="replace")[-3000:]


def _start(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # the child keeps its own descriptor
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out)


def node_exporter(folder: Path, port: int) -> subprocess.Popen[bytes]:
    # two cheap collectors: `up` is all the test reads
    argv = [str(NODE_EXPORTER), f"--web.listen-address={LOOPBACK}:{port}"]
    argv += ["--collector.disable-defaults", "--collector.time", "--collector.loadavg"]
    return _start(argv, folder / f"node-exporter-{port}.log")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_prometheus(
    targets: list[Scraped], exporters: dict[str, int]
) -> Iterator[RunningPrometheus]:
    """Prometheus on a free loopback port scraping `targets` every second, with one alert rule
    (a host down, at once); a node exporter per `exporters` (name -> port). Every process is
    stopped by its PID and the folder removed, whatever happens."""
    if not PROMETHEUS.is_file() or not NODE_EXPORTER.is_file():
        pytest.fail(f"no Prometheus in {TOOLS}: run ./dev setup (it unpacks Debian's into .tools)")
    folder = Path(tempfile.mkdtemp(prefix="tcd-prometheus-"))
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, port in exporters.items():
            processes[name] = node_exporter(folder, port)
        (folder / "targets.json").write_text(json.dumps([t.file_sd() for t in targets]))
        rule = {
            "alert": "TcdSiteDown",
            "expr": 'up{job="node"} == 0',
            "for": "0s",
            "labels": {"severity": "critical"},
            "annotations": {"summary": SUMMARY},
        }
        # JSON is YAML: no quoting of the rule's braces to get wrong
        (folder / "rules.yml").write_text(
            json.dumps({"groups": [{"name": "tcd-sites", "rules": [rule]}]}, ensure_ascii=False)
        )
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(folder / "rules.yml")],
            "scrape_configs": [
                {
                    "job_name": "node",
                    "scrape_timeout": "1s",
                    "file_sd_configs": [{"files": [str(folder / "targets.json")]}],
                    # as the hub's own configuration: a node's instance is its host's name
                    "relabel_configs": [{"source_labels": ["host"], "target_label": "instance"}],
                }
            ],
        }
        (folder / "prometheus.yml").write_text(json.dumps(config))
        port = free_port()
        processes["prometheus"] = _start(
            [
                str(PROMETHEUS),
                f"--config.file={folder / 'prometheus.yml'}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address={LOOPBACK}:{port}",
            ],
            folder / "prometheus.log",
        )
        yield RunningPrometheus(f"http://{LOOPBACK}:{port}", folder, processes)
    finally:
        for process in processes.values():
            _stop(process)
        shutil.rmtree(folder, ignore_errors=True)


def wait_for(prometheus: RunningPrometheus, done: Callable[[dict, dict], bool], what: str) -> None:
    """Poll (bounded) until `done(up query data, alerts data)`: the first scrapes and rule
    evaluations are in."""
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        process = prometheus.processes["prometheus"]
        assert process.poll() is None, f"Prometheus exited: {prometheus.log()}"
        try:
            up = prometheus.get('/api/v1/query?query=up{job="node"}')["data"]
            alerts = prometheus.get("/api/v1/alerts")["data"]
            if done(up, alerts):
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.3)
    pytest.fail(f"Prometheus did not get to {what} within {READY_WITHIN} s: {prometheus.log()}")


def _values(up: dict) -> dict[str, str]:
    return {s["metric"]["host"]: s["value"][1] for s in up["result"]}


def _firing(alerts: dict) -> set[str]:
    return {a["labels"].get("host", "") for a in alerts["alerts"] if a["state"] == "firing"}


@pytest.fixture(scope="module")
def prometheus() -> Iterator[RunningPrometheus]:
    """26380's node exporter answers; 25195's address is a port where nothing listens."""
    alive, dead = free_port(), free_port()
    targets = [
        Scraped(f"{LOOPBACK}:{alive}", 26380, "tcd-26380-pc1"),
        Scraped(f"{LOOPBACK}:{dead}", 25195, "tcd-25195-pc1"),
    ]
    with running_prometheus(targets, {"26380": alive}) as running:
        wait_for(
            running,
            lambda up, alerts: (
                _values(up) == {"tcd-26380-pc1": "1", "tcd-25195-pc1": "0"}
                and "tcd-25195-pc1" in _firing(alerts)
            ),
            "both scraped and 25195's alert firing",
        )
        yield running


@pytest.fixture
def journal(tmp_path, monkeypatch) -> dict[int, str]:
    """The field's journal: 26380 verified, 25195 unreachable, 25217 pending."""
    monkeypatch.setenv(DATABASE_ENV, journal_url(tmp_path))
    with Journal(journal_url(tmp_path)) as journal:
        run = journal.start_run(
            kind="rollout", target="field", wave="pilot", arguments=["rollout", "pilot"],
            inventory_digest="x", sites=[(26380, "pilot", 1), (25195, "pilot", 2),
                                         (25217, "pilot", 2)],
        )  # fmt: skip
        journal.record_site(run, 26380, state="done", hosts=[HostOutcome("pc", "changed")])
        journal.record_site(run, 25195, state="unreachable", reason="no answer")
        journal.set_sites(run, [25217], "not started", "the canary batch failed")
        journal.finish_run(run, "failed")
    return {26380: "verified", 25195: "unreachable", 25217: "pending"}


# ---- the client, against the real thing ---------------------------------------------------


def test_a_real_prometheus_gives_each_site_its_hosts_up_and_down_and_its_firing_alerts(
    prometheus,
):
    live = read_live(prometheus.url)
    assert live.error is None
    assert live.at is not None and abs(live.at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert set(live.sites) == {26380, 25195}

    up = live.sites[26380]
    assert (up.up, up.total, up.down, up.alerts, up.state) == (1, 1, [], [], "up")

    down = live.sites[25195]
    assert (down.up, down.total, down.state) == (0, 1, "down")
    assert [d.host for d in down.down] == ["tcd-25195-pc1"]
    assert down.down[0].since is None  # never up while this Prometheus ran
    (alert,) = down.alerts
    assert alert.name == "TcdSiteDown"
    assert alert.summary == "tcd-25195-pc1 không phản hồi: mất kết nối tới máy"  # expanded
    assert alert.since is not None and alert.since <= dt.datetime.now(dt.UTC)
    assert live.other_alerts == []


def test_down_since_is_the_last_time_prometheus_saw_the_host_up():
    port = free_port()
    targets = [Scraped(f"{LOOPBACK}:{port}", 25217, "tcd-25217-pc1")]
    with running_prometheus(targets, {"25217": port}) as running:
        wait_for(running, lambda up, _: _values(up) == {"tcd-25217-pc1": "1"}, "25217 up")
        time.sleep(2)  # a few samples up
        _stop(running.processes["25217"])
        stopped = dt.datetime.now(dt.UTC)
        wait_for(
            running,
            lambda up, alerts: "tcd-25217-pc1" in _firing(alerts),
            "25217 down and alerting",
        )
        # the step the operator's default would be too coarse for a host down seconds ago
        live = read_live(running.url, since_step="1s")
    site = live.sites[25217]
    (host,) = site.down
    assert host.host == "tcd-25217-pc1" and host.since is not None
    assert stopped - dt.timedelta(seconds=5) <= host.since <= stopped
    cell = re.sub(r"\[/?[^\]]*\]", "", live_cell(site, live.at))
    assert cell == f"DOWN 1/1 since {host.since:%H:%M} (tcd-25217-pc1)\n1 alert: TcdSiteDown"


# ---- unreachable, broken or slow: one line, never an exception -----------------------------


def test_a_port_where_nothing_listens_gives_one_error_line():
    dead = free_port()
    live = read_live(f"http://{LOOPBACK}:{dead}")
    assert live.error == f"Prometheus at http://{LOOPBACK}:{dead}: connection refused"
    assert live.sites == {} and live.at is None


def test_a_prometheus_that_does_not_answer_is_given_up_on_within_the_timeout():
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind((LOOPBACK, 0))
        silent.listen(8)
        started = time.monotonic()
        live = read_live(f"http://{LOOPBACK}:{silent.getsockname()[1]}", timeout=1)
    assert time.monotonic() - started < 3
    assert live.error is not None and live.error.endswith("no answer in time (timeout)")


def test_a_forward_whose_far_end_refuses_gives_one_error_line():
    """What ssh does when the hub is reached but Prometheus does not listen there: the local
    connection is accepted, then closed without a byte."""
    stop = threading.Event()
    with socket.socket() as closing:
        closing.bind((LOOPBACK, 0))
        closing.listen(8)
        closing.settimeout(0.2)  # the thread looks at `stop` between accepts

        def close_each() -> None:
            while not stop.is_set():
                with contextlib.suppress(OSError):
                    closing.accept()[0].close()

        thread = threading.Thread(target=close_each)
        thread.start()
        try:
            live = read_live(f"http://{LOOPBACK}:{closing.getsockname()[1]}", timeout=2)
        finally:
            stop.set()
            thread.join()
    assert live.error is not None and "\n" not in live.error
    assert live.error.endswith(
        ": the connection closed without an answer (nothing listening at the far end?)"
    ), live.error


class _Broken(http.server.BaseHTTPRequestHandler):
    """/html/…: a web page, not Prometheus; /error/…: Prometheus's error answer (HTTP 503)."""

    def _answer(self) -> None:
        if self.path.startswith("/html/"):
            code, body = 200, b"<html>a login page</html>"
        else:
            code, body = 503, b'{"status":"error","errorType":"unavailable","error":"TSDB busy"}'
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def log_message(self, *args: object) -> None:
        pass


def test_an_answer_that_is_not_prometheus_gives_one_error_line():
    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), _Broken)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://{LOOPBACK}:{server.server_address[1]}"
        page = read_live(f"{base}/html")
        failing = read_live(f"{base}/error")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert page.error == (
        f"Prometheus at {base}/html: /api/v1/query did not answer JSON (is this Prometheus?)"
    )
    assert failing.error == f"Prometheus at {base}/error: HTTP 503 on /api/v1/query: TSDB busy"
    assert read_live("file:///etc/passwd").error.endswith("not an http:// or https:// URL")


# ---- the SSH edge, with the real ssh: to loopback ports only -------------------------------


def _target_through(tmp_path: Path, port: int) -> Target:
    """The field's inventory, its provincial hub reached by a lab-style ssh_config whose
    HostName is a loopback port of the test's."""
    inventory = load_inventory(INVENTORY)
    hub, _, _ = provincial_prometheus(Target("t", inventory, tmp_path, False))
    config = tmp_path / "ssh_config"
    config.write_text(
        f"Host {hub.name}\n    HostName {LOOPBACK}\n    Port {port}\n    User nobody\n"
        f"    UserKnownHostsFile /dev/null\n    StrictHostKeyChecking yes\n"
    )
    return Target("lab t", inventory, tmp_path, False, ssh_config=config)


def test_the_provincial_prometheus_is_where_the_role_makes_it_listen():
    hub, address, port = provincial_prometheus(Target("t", load_inventory(INVENTORY), REPO, False))
    assert (hub.name, address, port) == ("tcd-hub-province", str(hub.underlay_address), 9090)


def test_a_hub_ssh_cannot_reach_gives_one_error_line(tmp_path):
    dead = free_port()
    live = live_status(_target_through(tmp_path, dead))
    assert live.error is not None and "\n" not in live.error
    assert live.error.startswith(
        "Prometheus on tcd-hub-province (10.210.0.2:9090): no SSH port forward through "
        "tcd-hub-province: ssh: connect to host 127.0.0.1 port"
    ), live.error
    assert live.error.endswith("Connection refused")


def test_a_hub_that_never_answers_costs_no_more_than_the_wait(tmp_path):
    with socket.socket() as silent:  # TCP connects, no SSH banner ever comes
        silent.bind((LOOPBACK, 0))
        silent.listen(8)
        started = time.monotonic()
        live = live_status(_target_through(tmp_path, silent.getsockname()[1]), ready_timeout=1)
    assert time.monotonic() - started < 4
    assert live.error == (
        "Prometheus on tcd-hub-province (10.210.0.2:9090): no SSH port forward through "
        "tcd-hub-province within 1 s"
    )


# ---- the CLI: the live column, its JSON, its page, its fallback -----------------------------


def _columns(stdout: str) -> dict[int, dict[str, str]]:
    """site -> {column: its text}, from rich's table: a cell's wrapped lines joined by spaces."""
    lines = stdout.splitlines()
    header = next(line for line in lines if line.startswith("┃"))
    names = [cell.strip() for cell in header.strip("┃").split("┃")]
    rows: dict[int, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in lines:
        if not line.startswith("│"):
            continue
        cells = [cell.strip() for cell in line.strip("│").split("│")]
        if cells[0]:
            current = rows[int(cells[0])] = dict(zip(names, cells, strict=True))
        elif current is not None:
            for name, cell in zip(names, cells, strict=True):
                current[name] = f"{current[name]} {cell}".strip()
    return rows


def test_status_shows_the_live_column_next_to_the_journals_state(tcd, journal, prometheus):
    done = tcd("status", "--wave", "pilot", "--prometheus", prometheus.url)
    assert done.exit_code == 0, done.stderr
    assert done.stderr == ""
    print(done.stdout)  # the table as an operator sees it (pytest -s)
    rows = _columns(done.stdout)
    assert list(rows[26380]) == [
        "site", "unit", "wave", "state", "since", "live", "run", "by", "last verify", "reason"
    ]  # fmt: skip
    assert {code: (row["state"], row["live"]) for code, row in rows.items()} == {
        26380: ("verified", "up 1/1"),
        25195: (
            "unreachable",
            "DOWN 1/1, not up in 24 h (tcd-25195-pc1) 1 alert: TcdSiteDown",
        ),
        25217: ("pending", "—"),
    }
    assert f"live: Prometheus at {prometheus.url}, at " in done.stdout


def test_status_json_has_each_sites_live_and_a_top_level_live_error(tcd, journal, prometheus):
    done = tcd("status", "--wave", "pilot", "--json", "--prometheus", prometheus.url)
    assert done.exit_code == 0, done.stderr
    status = json.loads(done.stdout)
    assert status["live_error"] is None and status["live_other_alerts"] == []
    assert dt.datetime.fromisoformat(status["live_at"]).tzinfo is not None
    live = {s["site"]: s["live"] for s in status["sites"]}
    assert live[26380] == {"state": "up", "up": 1, "total": 1, "down": [], "alerts": []}
    assert live[25217] is None
    down = live[25195]
    assert {k: v for k, v in down.items() if k != "alerts"} == {
        "state": "down",
        "up": 0,
        "total": 1,
        "down": [{"host": "tcd-25195-pc1", "since": None}],
    }
    (alert,) = down["alerts"]
    assert alert["name"] == "TcdSiteDown" and "mất kết nối" in alert["summary"]
    assert dt.datetime.fromisoformat(alert["since"]).tzinfo is not None
    # the journal's own keys are all still there
    assert {"target", "totals", "waves", "sites", "spooled"} <= set(status)

    skipped = json.loads(tcd("status", "--wave", "pilot", "--json", "--no-live").stdout)
    assert skipped["live_error"] is None and skipped["live_at"] is None
    assert all(s["live"] is None for s in skipped["sites"])


def test_the_status_page_shows_the_live_column_in_vietnamese(tcd, journal, prometheus, tmp_path):
    page = tmp_path / "status.html"
    done = tcd("status", "--html", str(page), "--prometheus", prometheus.url)
    assert done.exit_code == 0, done.stderr
    tree = lxml_html.fromstring(page.read_bytes())
    assert not tree.xpath("//script | //link | //img | //iframe | //@src")  # still self-contained

    dom = lxml_html.fromstring(chromium("--dump-dom", page.as_uri(), cwd=tmp_path))
    cells = {
        int(row.get("data-site")): row.xpath("td[contains(@class, 'live')]")[0]
        for row in dom.xpath("//tr[@class='site']")
    }
    assert len(cells) == 95
    assert cells[26380].get("data-live") == "up"
    assert " ".join(cells[26380].text_content().split()) == "Hoạt động 1/1 up"
    assert cells[25195].get("data-live") == "down"
    text = " ".join(cells[25195].text_content().split())
    assert text.startswith("Mất kết nối, không thấy hoạt động trong 24 giờ qua down: tcd-25195-pc1")
    assert "Cảnh báo alert: TcdSiteDown — tcd-25195-pc1 không phản hồi" in text
    assert cells[25217].get("data-live") == "none" and cells[25217].text_content() == "—"
    assert "Giám sát" in dom.xpath("string(//table[@class='sites']//tr[1])")
    assert dom.xpath("string(//td[@id='live'])").startswith("lúc ")


def test_an_unreachable_prometheus_is_one_line_and_the_journal_alone(tcd, journal, tmp_path):
    # the same path as a failed SSH forward (live_status's error): an internal seam, no mock
    dead = f"http://{LOOPBACK}:{free_port()}"
    page = tmp_path / "status.html"
    done = tcd("status", "--wave", "pilot", "--prometheus", dead, "--html", str(page))
    assert done.exit_code == 0
    assert done.stderr == (
        f"live monitoring unavailable: Prometheus at {dead}: connection refused; "
        "showing the journal alone\n"
    )
    rows = _columns(done.stdout)
    assert set(rows) == {26380, 25195, 25217} and "live" not in rows[26380]
    assert rows[26380]["state"] == "verified"

    as_json = json.loads(tcd("status", "--json", "--prometheus", dead).stdout)
    assert as_json["live_error"] == f"Prometheus at {dead}: connection refused"
    assert all(s["live"] is None for s in as_json["sites"])

    tree = lxml_html.fromstring(page.read_bytes())
    assert not tree.xpath("//td[contains(@class, 'live')]")
    assert "Không truy cập được" in tree.xpath("string(//td[@id='live'])")


def test_status_of_a_journal_with_nothing_rolled_out_asks_no_one(tcd, tmp_path, monkeypatch):
    monkeypatch.setenv(DATABASE_ENV, journal_url(tmp_path))
    # no ssh to find: had status tried the field's hub, it would say so on stderr
    monkeypatch.setenv("PATH", str(tmp_path))
    done = tcd("status", "--wave", "pilot")
    assert done.exit_code == 0 and done.stderr == "", done.stderr
    assert "pending" in done.stdout and "live" not in done.stdout
