"""Several controllers, one PostgreSQL journal and key registry (issue 18), on a lab of real
hosts: two rollouts at once keep every peer on both hubs; the plain pyinfra CLI from a second
clone reads the same registry (and refuses an empty one); a rollout outlives its database.

The lab is the session's pilot lab (tests/test_lab.py only looks at it: its hubs have no peers
yet), rolled out here by two `tcd rollout` processes started at the same moment; the database
is a throwaway PostgreSQL server the fixture starts (tests/postgres.py)."""

import hashlib
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from .conftest import (
    PYINFRA_ARGV,
    REPO,
    TCD,
    UNPACKED,
    LabHandle,
    files_under,
    hub_peers,
    lab_plan,
    pyinfra_changed,
    read_small,
)
from .postgres import PostgresDatabase, PostgresServer, fresh_database

pytestmark = pytest.mark.lab
FIRST, SECOND = "26380", "25217,25195"  # the two teams' sets of sites
GATEWAYS = ["tcd-26380-pc1", "tcd-25217-gw1", "tcd-25195-pc1"]


@dataclass
class Shared:
    lab: LabHandle
    database: PostgresDatabase

    def env(self, **extra: str) -> dict[str, str]:
        return {**self.lab.env(), "TCD_DATABASE_URL": self.database.writer_url, **extra}

    def start(self, sites: str, *options: str, **extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [TCD, "rollout", "--lab", "--sites", sites, "--no-verify", "--json", *options],
            env=self.env(**extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def finished(process: subprocess.Popen[str], timeout: int = 900) -> tuple[int, str]:
    out, err = process.communicate(timeout=timeout)
    OUTPUTS.append(out + err)
    return process.returncode, out + err


OUTPUTS: list[str] = []  # everything the CLI printed in this module, for the password search


@pytest.fixture(scope="module")
def shared(pilot_lab: LabHandle, postgres_server: PostgresServer) -> Iterator[Shared]:
    """The pilot rolled out by two rollouts started together, one per set of sites."""
    with fresh_database(postgres_server) as database:
        handle = Shared(pilot_lab, database)
        runs = [handle.start(FIRST), handle.start(SECOND)]
        for run in runs:
            code, output = finished(run)
            assert code == 0, output
        yield handle


def overlays(handle: LabHandle, codes: list[int]) -> dict[str, set[str]]:
    """hub name -> the overlay addresses (/32) of `codes`' gateways on its tunnel."""
    plan = lab_plan(handle)
    return {
        hub.name: {f"{plan.sites[code].overlay[hub.office]}/32" for code in codes}
        for hub in plan.hubs.values()
    }


def test_two_rollouts_at_once_leave_both_hubs_with_every_site(shared: Shared):
    lab = shared.lab
    peers = hub_peers(lab, lab_plan(lab))
    for hub, expected in overlays(lab, [26380, 25217, 25195]).items():
        assert set(peers[hub]) == expected, hub
        assert all(time.time() - handshake < 180 for handshake in peers[hub].values()), hub
    # and every tunnel carries packets: each gateway reaches both hubs through it
    for gateway in GATEWAYS:
        for hub in lab_plan(lab).hubs.values():
            done = lab.ssh(gateway, f"ping -c 2 -W 3 {hub.overlay_address}", check=False)
            assert done.returncode == 0, (gateway, hub.name, done.stdout)
    # both runs are in the one journal, each with its controller and operator
    with psycopg.connect(shared.database.owner_url) as connection:
        rows = connection.execute(
            "SELECT controller, operator, outcome FROM runs WHERE kind = 'rollout'"
        ).fetchall()
    assert len(rows) == 2 and all(r[0] and r[1] and r[2] == "succeeded" for r in rows), rows


def _run(
    argv: list[str], env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    OUTPUTS.append(done.stdout + done.stderr)
    return done


def _clone(tmp_path: Path) -> Path:
    """A second checkout: the tracked files only, no state folder."""
    clone = tmp_path / "clone"
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, tracked):
        source = REPO / name.decode()
        if source.is_file():
            (clone / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name.decode())
    assert not (clone / "state").exists()
    return clone


def _hub_state(lab: LabHandle) -> dict[str, tuple[str, set[str]]]:
    """hub -> (sha256 of its wg-sites.conf, its live peers' keys)."""
    state = {}
    for hub in ("tcd-hub-province", "tcd-hub-central"):
        config = lab.ssh(hub, "sudo cat /etc/wireguard/wg-sites.conf").stdout
        peers = set(lab.ssh(hub, "sudo wg show wg-sites peers").stdout.split())
        state[hub] = (hashlib.sha256(config.encode()).hexdigest(), peers)
    return state


def test_plain_pyinfra_hubs_from_a_second_clone_reads_the_shared_registry(
    shared: Shared, postgres: PostgresDatabase, tmp_path: Path
):
    """deploys/hubs.py with the plain pyinfra CLI, from a clone whose own state is empty:
    pointed at the shared journal it changes nothing; pointed at an empty one it refuses with
    one line, and the hubs keep their peers."""
    lab, clone = shared.lab, _clone(tmp_path)
    before = _hub_state(lab)
    assert all(len(peers) == 3 for _, peers in before.values())
    argv = [*PYINFRA_ARGV, "deploys/hubs.py"]
    env = {**shared.env(TCD_LAB="1"), "PYTHONPATH": str(clone)}

    done = _run(argv, env, cwd=clone)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _hub_state(lab) == before
    assert pyinfra_changed(done.stdout + done.stderr) == "-", done.stdout + done.stderr

    env["TCD_DATABASE_URL"] = postgres.writer_url  # a journal no rollout wrote to
    refused = _run(argv, env, cwd=clone)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    reasons = [line for line in output.splitlines() if "holds no site's key" in line]
    assert len(reasons) == 1, output
    assert "Traceback" not in output, output
    assert _hub_state(lab) == before


def test_a_rollout_outlives_its_database_and_the_next_run_writes_what_it_kept(
    shared: Shared,
):
    """The database stops while a rollout of the 3 pilot sites runs: the rollout finishes,
    says its results are spooled, and the next run (the database back) writes them."""
    server = shared.database.server
    run = shared.start("26380,25217,25195")
    deadline = time.monotonic() + 300
    with psycopg.connect(shared.database.owner_url, autocommit=True) as connection:
        while time.monotonic() < deadline:
            running = connection.execute(
                "SELECT count(*) FROM sites s JOIN runs r ON r.id = s.run_id"
                " WHERE r.outcome = 'running' AND s.state = 'running'"
            ).fetchone()
            if running and running[0]:
                break
            assert run.poll() is None, "the rollout ended before its sites ran"
            time.sleep(0.2)
    server.stop()
    try:
        code, output = finished(run)
    finally:
        server.start()
    assert "spool" in output, output
    status = _run([TCD, "status", "--lab", "--runs", "--json"], shared.env())
    assert status.returncode == 0, status.stdout + status.stderr
    with psycopg.connect(shared.database.owner_url) as connection:
        last = connection.execute(
            "SELECT id, outcome FROM runs WHERE kind = 'rollout' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        assert last is not None and last[1] != "running", last
        states = connection.execute(
            "SELECT code, state FROM sites WHERE run_id = %s ORDER BY code", (last[0],)
        ).fetchall()
    assert [s for _, s in states] == ["deployed"] * 3, (states, output, code)


def test_a_peer_of_no_site_in_the_inventory_is_listed_by_a_dry_run_then_removed(shared: Shared):
    """A hub peer whose address belongs to no site of the inventory (a site that left it): a
    dry run names it and changes nothing, the next rollout removes it and says so."""
    lab, plan = shared.lab, lab_plan(shared.lab)
    province = next(h for h in plan.hubs.values() if h.name == "tcd-hub-province")
    used = {str(s.overlay[province.office]) for s in plan.sites.values()}
    used.add(str(province.overlay_address))
    spare = next(str(a) for a in province.overlay_network.iter_hosts() if str(a) not in used)
    key = lab.ssh(province.name, "wg genkey | wg pubkey").stdout.strip()
    lab.ssh(province.name, f"sudo wg set wg-sites peer {key} allowed-ips {spare}/32")

    def rollout(*extra: str) -> dict:
        run = shared.start(FIRST, *extra)
        out, err = run.communicate(timeout=600)
        OUTPUTS.append(out + err)
        assert run.returncode == 0, out + err
        return json.loads(out)

    wanted = f"peer {key[:8]}… ({spare}/32): its site is no longer in the inventory"
    dry = rollout("--dry-run")
    hub = next(h for h in dry["hubs"] if h["name"] == province.name)
    assert hub["hosts"][province.name]["peers_removed"] == [wanted]
    assert key in lab.ssh(province.name, "sudo wg show wg-sites peers").stdout
    done = rollout()
    hub = next(h for h in done["hubs"] if h["name"] == province.name)
    assert hub["hosts"][province.name]["peers_removed"] == [wanted]
    assert key not in lab.ssh(province.name, "sudo wg show wg-sites peers").stdout


def test_a_hub_running_on_another_port_than_its_config_is_restarted_back(shared: Shared):
    """Live drift with an unchanged file: the port set by hand on the running interface. The
    restart that repairs it is also what the peers of a new site no longer cause (the first
    test's handshakes)."""
    lab, plan = shared.lab, lab_plan(shared.lab)
    central = next(h for h in plan.hubs.values() if h.name == "tcd-hub-central")
    port = "sudo wg show wg-sites listen-port"
    lab.ssh(central.name, "sudo wg set wg-sites listen-port 51999")
    assert lab.ssh(central.name, port).stdout.strip() == "51999"
    run = shared.start(FIRST)
    out, err = run.communicate(timeout=600)
    OUTPUTS.append(out + err)
    assert run.returncode == 0, out + err
    assert lab.ssh(central.name, port).stdout.strip() == str(central.listen_port)
    hub = next(h for h in json.loads(out)["hubs"] if h["name"] == central.name)
    changes = hub["hosts"][central.name]["changes"]
    assert any(c.endswith("| wg-sites restarted") for c in changes), changes


def test_the_database_password_is_nowhere_a_rollout_wrote_or_printed(shared: Shared):
    """Searched byte for byte: the lab's state folder (journal spool, rollout logs, facts asked),
    the repository outside .venv, and everything the CLI printed in this module."""
    passwords = shared.database.passwords
    assert passwords and all(len(p) >= 24 for p in passwords)
    printed = "\n".join(OUTPUTS)
    assert printed and not any(p in printed for p in passwords)
    searched = 0
    for folder in (shared.lab.settings.state_dir, REPO):
        skip = [*UNPACKED, REPO / ".git"] if folder == REPO else []
        for path in files_under(folder, skip):
            content = read_small(path)
            searched += 1
            assert not any(p.encode() in content for p in passwords), path
    assert searched > 100


def test_without_the_lock_a_rollout_drops_the_peers_another_just_added(
    shared: Shared, postgres: PostgresDatabase, tmp_path: Path
):
    """The positive control: with the hub lock switched off (a test-only switch), one rollout
    that read the hubs and the registry before another wrote them writes its older view over
    the other's peers. Ordered by a test-only gate: the first holds what it read until the
    second has finished. Runs last: it leaves the hubs without the second set's peers."""
    lab = shared.lab
    for hub in ("tcd-hub-province", "tcd-hub-central"):  # the hubs as before any rollout
        forget = "for k in $(wg show wg-sites peers); do wg set wg-sites peer $k remove; done"
        lab.ssh(hub, f"sudo sh -c '{forget}'")
    gate = tmp_path / "gate"
    gate.mkdir()
    off = {"TCD_TEST_HUB_LOCK": "off"}
    shared.database = postgres  # an empty registry, as before any rollout
    first = shared.start(FIRST, TCD_TEST_HUB_GATE=str(gate), **off)
    deadline = time.monotonic() + 600
    while not any(gate.glob("holding-*")):
        assert first.poll() is None and time.monotonic() < deadline, finished(first)
        time.sleep(0.5)
    code, output = finished(shared.start(SECOND, **off))
    assert code == 0, output
    everyone = overlays(lab, [26380, 25217, 25195])
    assert {h: set(p) for h, p in hub_peers(lab, lab_plan(lab)).items()} == everyone
    (gate / "release").touch()
    code, output = finished(first)
    assert code == 0, output
    lost = overlays(lab, [25217, 25195])
    for hub, peers in hub_peers(lab, lab_plan(lab)).items():
        assert set(peers) == everyone[hub] - lost[hub], hub
