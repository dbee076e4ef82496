"""Rolling out in waves on real lab hosts: the canary, the failure budget, offline sites, the
verify gate, the journal surviving SIGKILL at any point, resume, and Ctrl-C.

Six wave-1 sites (one reception PC each, no IP camera) on a lab of their own, taken through
one story in file order: the later tests start from the wave the earlier ones deployed."""

import json
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest

from tcd.journal import Journal
from tcd.journal.journal import FILE_NAME
from tcd.loading import load_inventory

from .conftest import INVENTORY, TCD, LabHandle, fresh_lab

SITES = load_inventory(INVENTORY).wave("wave-1").sites[:6]
CODES = ",".join(map(str, SITES))
# files the roles write on every site host: untouched on a host never started
MANAGED = "/etc/nftables.conf /etc/ssh/sshd_config /etc/chrony/chrony.conf /etc/sudoers.d"


def pc(code: int) -> str:
    return f"tcd-{code}-pc1"


class Waves:
    def __init__(self, lab: LabHandle) -> None:
        self.lab = lab
        self.journal_file = lab.settings.state_dir / FILE_NAME

    def rollout(self, *args: str) -> tuple[int, dict]:
        done = self.lab.tcd("rollout", "--sites", CODES, "--lab", "--json", *args)
        assert done.stdout, done.stderr
        return done.returncode, json.loads(done.stdout)

    def start(self, *args: str, sites: str = CODES) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [TCD, "rollout", "--sites", sites, "--lab", "--json", *args],
            env=self.lab.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def status(self) -> dict[int, dict]:
        # the journal's view is what these tests read (the live column is test_monitoring's)
        done = self.lab.tcd("status", "--lab", "--json", "--no-live")
        assert done.returncode == 0, done.stderr
        return {s["site"]: s for s in json.loads(done.stdout)["sites"]}

    def rows(self, query: str) -> list[tuple]:
        """Read the journal as another program would, while a rollout may be writing it."""
        with sqlite3.connect(f"file:{self.journal_file}?mode=ro", uri=True, timeout=30) as db:
            return db.execute(query).fetchall()

    def site_states(self, run: int | None = None) -> dict[int, str]:
        run = run or self.rows("select max(id) from runs where kind = 'rollout'")[0][0]
        return dict(self.rows(f"select code, state from sites where run_id = {run}"))

    def checksums(self, hosts: list[str]) -> dict[str, str]:
        command = f"sudo find {MANAGED} -type f -exec sha256sum {{}} + 2>/dev/null | sort"
        return {h: self.lab.ssh(h, command, check=False).stdout for h in hosts}

    def offline(self, code: int) -> "_Offline":
        return _Offline(self, pc(code))


class _Offline:
    def __init__(self, waves: Waves, host: str) -> None:
        self.waves, self.host = waves, host

    def __enter__(self) -> None:
        assert self.waves.lab.tcd("lab", "stop", self.host).returncode == 0

    def __exit__(self, *_: object) -> None:
        assert self.waves.lab.tcd("lab", "start", self.host).returncode == 0


@pytest.fixture(scope="module")
def waves() -> Iterator[Waves]:
    with fresh_lab("tcdwave", SITES) as lab:
        yield Waves(lab)


def test_a_failing_canary_stops_the_run_before_any_other_site_is_touched(waves: Waves):
    others = [pc(code) for code in SITES[1:]]
    before = waves.checksums(others)
    with waves.offline(SITES[0]):
        code, result = waves.rollout("--batch", "1,2,3")
    assert code == 1
    states = {s["site"]: s["state"] for s in result["sites"]}
    assert states == {SITES[0]: "unreachable"} | dict.fromkeys(SITES[1:], "not started")
    assert "canary" in result["stopped"]
    assert waves.checksums(others) == before  # their hosts' files are as the image left them
    assert waves.site_states() == states


def test_a_batch_over_its_failure_budget_stops_the_wave(waves: Waves):
    with waves.offline(SITES[1]):  # in the second batch
        code, result = waves.rollout("--batch", "1,2,3", "--max-fail-percent", "0")
    assert code == 1
    states = {s["site"]: s["state"] for s in result["sites"]}
    assert states == {
        SITES[0]: "done",
        SITES[1]: "unreachable",
        SITES[2]: "done",
        **dict.fromkeys(SITES[3:], "not started"),
    }
    assert "--max-fail-percent 0" in result["stopped"]
    done = next(s for s in result["sites"] if s["site"] == SITES[0])
    assert done["verify"]["passed"] > 0 and not done["verify"]["failed"]  # the verify gate ran
    status = waves.status()
    assert [status[c]["state"] for c in SITES] == [
        "verified", "unreachable", "verified", "pending", "pending", "pending",
    ]  # fmt: skip


def _kill_when(
    waves: Waves, seen: Callable[[dict[int, str]], bool], after: float = 0, pause: int = 0
) -> None:
    """A resumed rollout SIGKILLed as soon as its journal shows `seen` (then `after` s)."""
    child = waves.start("--batch", "1", "--resume", "--pause", str(pause))
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and child.poll() is None:
            run = waves.rows("select max(id) from runs where kind = 'rollout'")[0][0]
            if run is not None and seen(waves.site_states(run)):
                break
            time.sleep(0.05)
        assert child.poll() is None, "the rollout ended before the point it was to be killed"
        time.sleep(after)
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()
    with sqlite3.connect(waves.journal_file) as db:
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)
    with Journal(f"sqlite:///{waves.journal_file}") as journal:
        assert journal.runs(limit=1)[0].outcome == "running"  # it never got to say otherwise
    status = waves.status()  # reads it, and sees the run is gone
    assert "running" not in {s["state"] for s in status.values()}


def test_the_journal_survives_sigkill_anywhere_and_resume_finishes_the_wave(waves: Waves):
    def deploying(states: dict[int, str]) -> bool:
        return "running" in states.values()

    def between_batches(states: dict[int, str]) -> bool:
        now = set(states.values())
        return "done" in now and "pending" in now and not now & {"running", "verifying"}

    def verifying(states: dict[int, str]) -> bool:
        return "verifying" in states.values()

    _kill_when(waves, deploying, after=3)
    assert "interrupted" in {s["state"] for s in waves.status().values()}
    _kill_when(waves, between_batches, pause=30)  # the pause makes "between" last
    _kill_when(waves, verifying)

    code, result = waves.rollout("--resume")
    assert code == 0, result
    assert {s["state"] for s in result["sites"]} == {"done"}
    assert [waves.status()[c]["state"] for c in SITES] == ["verified"] * len(SITES)


def test_a_first_ctrl_c_lets_the_batch_finish_and_a_second_aborts(waves: Waves):
    child = waves.start("--batch", "2")
    while "running" not in waves.site_states().values():
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=600)
    assert child.returncode == 130, err
    result = json.loads(out)
    assert result["outcome"] == "interrupted"
    states = [s["state"] for s in result["sites"]]
    assert states == ["done", "done"] + ["not started"] * 4, states

    child = waves.start("--batch", "2")
    while "running" not in waves.site_states().values():
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    time.sleep(1)
    child.send_signal(signal.SIGINT)
    started = time.monotonic()
    _, err = child.communicate(timeout=120)
    assert child.returncode == 130, err
    assert time.monotonic() - started < 30  # at once, not after the batch
    assert "aborted" in err
    assert waves.rows("select outcome from runs order by id desc limit 1") == [("interrupted",)]
    assert "running" not in {s["state"] for s in waves.status().values()}


def test_connect_retries_catch_a_host_whose_link_comes_back(waves: Waves):
    last = SITES[-1]
    with waves.offline(last):
        child = waves.start(
            "--no-verify", "--connect-timeout", "3", "--connect-retries", "10", sites=str(last)
        )
        while waves.site_states().get(last) != "running":
            assert child.poll() is None, child.communicate()
            time.sleep(0.05)
        time.sleep(2)  # its first tries fail
    # the host is back (the context manager started it): a retry reaches it
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    assert [s["state"] for s in json.loads(out)["sites"]] == ["deployed"]


def test_an_offline_site_is_unreachable_and_resume_deploys_only_it(waves: Waves):
    # every site of the wave was deployed and verified by the tests above; one batch, the gate on
    offline = SITES[2]
    with waves.offline(offline):
        code, result = waves.rollout()
        assert code == 1, result
        states = {s["site"]: s["state"] for s in result["sites"]}
        assert states == dict.fromkeys(SITES, "done") | {offline: "unreachable"}
        status = waves.status()
        assert {c: status[c]["state"] for c in SITES} == dict.fromkeys(SITES, "verified") | {
            offline: "unreachable"
        }
    done = waves.lab.tcd("rollout", "--sites", CODES, "--lab", "--json", "--resume")
    assert done.returncode == 0, done.stderr
    assert [s["site"] for s in json.loads(done.stdout)["sites"]] == [offline]
    assert "resuming run" in done.stderr and str(offline) in done.stderr


def test_dry_diff_shows_the_drift_and_changes_nothing_and_limit_keeps_to_its_hosts(waves: Waves):
    code, path = SITES[0], "/etc/chrony/chrony.conf"
    host, drift = pc(code), "# edited by hand on site"
    waves.lab.ssh(host, f"echo '{drift}' | sudo tee -a {path} >/dev/null")
    before = waves.lab.ssh(host, f"sudo sha256sum {path}").stdout
    dry = waves.lab.tcd("rollout", "--sites", str(code), "--lab", "--json", "--dry-run", "--diff")
    assert dry.returncode == 0, dry.stderr
    (site,) = json.loads(dry.stdout)["sites"]
    diff = site["hosts"][host]["diff"]
    assert f"- {drift}" in [line.rstrip() for line in diff], diff  # ours would remove it
    assert waves.lab.ssh(host, f"sudo sha256sum {path}").stdout == before  # dry: untouched

    done, result = waves.rollout("--limit", f"tcd-{code}-*", "--no-verify")
    assert done == 0, result
    states = {s["site"]: s["state"] for s in result["sites"]}
    assert states == dict.fromkeys(SITES, "not started") | {code: "deployed"}
    (repaired,) = [s for s in result["sites"] if s["site"] == code]
    assert repaired["hosts"][host]["changes"]  # the drift is gone, on that host only
    assert drift not in waves.lab.ssh(host, f"cat {path}").stdout
