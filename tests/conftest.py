"""Shared fixtures: a private copy of the committed inventory, the CLI run in-process, and a
lab of real hosts for integration tests."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from _pytest.nodeid import coerce_node_id
from typer.testing import CliRunner

from tcd.cli.main import app
from tcd.lab import lab as lab_ops
from tcd.lab.addressing import lab_inventory
from tcd.lab.settings import DEFAULT_CACHE, LabSettings
from tcd.lab.state import LabState
from tcd.loading import load_inventory
from tcd.model.province import Office
from tcd.planning import Plan, plan_addresses

# fixtures: a throwaway PostgreSQL server for the shared journal's tests
from .postgres import postgres, postgres_server  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
# what pip and ./dev unpacked into the repository (no file of ours: the secret searches skip it)
UNPACKED = [REPO / ".venv", REPO / ".tools"]
INVENTORY = REPO / "inventory"


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def tcd() -> Callable[..., Run]:
    runner = CliRunner()

    def run(*args: str) -> Run:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def inventory_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """inventory/ copied into a fresh folder that is also the working directory, so problems
    are printed as inventory/sites/... just as an operator in the repo sees them."""
    shutil.copytree(INVENTORY, tmp_path / "inventory")
    monkeypatch.chdir(tmp_path)
    return Path("inventory")


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def replace_in(path: Path, old: str, new: str, count: int = 1) -> int:
    """Edit one occurrence of `old` and return the 1-based line where the edit starts."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {path}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line


def site_file(inventory: Path, code: int) -> Path:
    (path,) = (inventory / "sites").glob(f"{code}-*.yml")
    return path


# ---- the lab: real hosts for integration tests (root only) ----------------------------------

# The session's shared labs, by the fixture that brings each up. `./dev test` runs the suite on
# several workers (pytest-xdist, --dist loadgroup): every test of one shared lab goes to the same
# worker, so each lab is brought up once and its tests never run at the same time; labs with
# other names run side by side on the other workers, with the tests that need no lab.
SHARED_LABS = {"rolled_out": "tcdroll", "pilot_lab": "tcdtest", "waves": "tcdwave"}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each shared lab's tests in one xdist group. xdist 3.8 groups by a `@group` suffix of the
    node id, which it sets as `item._nodeid`, a name pytest 9 no longer reads (its node id is
    `_id`): the suffix is set here, and checked, so a later pytest cannot spread one lab's tests
    over several workers (two workers would each bring the same lab up) without saying so."""
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        lab = next((name for f, name in SHARED_LABS.items() if f in fixtures), None)
        if lab is None or item.nodeid.endswith(f"@{lab}"):
            continue
        item._id = coerce_node_id(f"{item.nodeid}@{lab}")  # type: ignore[attr-defined]
        assert item.nodeid.endswith(f"@{lab}"), "pytest's node ids changed: see this hook"


@dataclass
class LabHandle:
    settings: LabSettings
    state: LabState

    def ssh(self, host: str, command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            lab_ops.ssh_argv(self.settings, host, [command]),
            capture_output=True,
            text=True,
            check=check,
            timeout=60,
        )

    def env(self) -> dict[str, str]:
        """Environment that points the `tcd` CLI at this lab."""
        return {
            **os.environ,
            "TCD_LAB_NAME": self.settings.name,
            "TCD_LAB_STATE": str(self.settings.state_dir),
        }

    def tcd(
        self, *args: str, cwd: Path | None = None, timeout: int = 900
    ) -> subprocess.CompletedProcess[str]:
        """The real CLI against this lab."""
        return subprocess.run(
            [TCD, *args],
            cwd=cwd,
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A folder with a short path (for sockets), removed after."""
    folder = Path(tempfile.mkdtemp(prefix="tcd-", dir="/tmp"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def files_under(folder: Path, skip: Sequence[Path] = ()) -> Iterator[Path]:
    """Every regular file under `folder` (symlinks not followed), but under `skip`: where the
    secret searches look."""
    for root, dirs, files in os.walk(folder):
        current = Path(root)
        dirs[:] = [d for d in dirs if (current / d) not in skip]
        for name in files:
            path = current / name
            if path.is_file() and not path.is_symlink():
                yield path


def read_small(path: Path) -> bytes:
    """The file's bytes; nothing for one over 20 MB (images, not what a secret leaks into)."""
    try:
        return path.read_bytes() if path.stat().st_size < 20_000_000 else b""
    except OSError:
        return b""


def lab_plan(handle: LabHandle) -> Plan:
    """The address plan as the lab sees it (its own addresses)."""
    public = handle.settings.ssh_key.with_name("id_ed25519.pub").read_text()
    lab, _ = lab_inventory(load_inventory(INVENTORY), " ".join(public.split()[:2]))
    return plan_addresses(lab)


def hub_peers(handle: LabHandle, plan: Plan) -> dict[str, dict[str, int]]:
    """hub name -> {each peer's overlay address (/32): its latest handshake, epoch seconds}."""
    peers = {}
    for hub in plan.hubs.values():
        dump = handle.ssh(hub.name, "sudo wg show wg-sites dump").stdout.splitlines()[1:]
        peers[hub.name] = {
            line.split("\t")[3].split(",")[0]: int(line.split("\t")[4]) for line in dump
        }
    return peers


@contextmanager
def spokes_open_to_each_other(lab: LabHandle, plan: Plan, a: int, b: int) -> Iterator[None]:
    """Two sites' provincial tunnels opened to each other's tunnel address, so a probe between
    them gets as far as the hub (their own AllowedIPs would stop it first); with a hub opened
    as well, the path is whole. The tunnels are restarted after, as their files say."""
    hub = plan.hubs[Office.PROVINCE]
    ends = {plan.sites[a].gateway: b, plan.sites[b].gateway: a}
    try:
        for gateway, peer_site in ends.items():
            assert gateway is not None
            peer = plan.sites[peer_site].overlay[hub.office]
            hub_key = lab.ssh(gateway.name, "sudo wg show wg-province peers").stdout.strip()
            allowed = f"{hub.overlay_address}/32,{peer}/32"
            lab.ssh(gateway.name, f"sudo wg set wg-province peer {hub_key} allowed-ips {allowed}")
            lab.ssh(gateway.name, f"sudo ip route replace {peer}/32 dev wg-province")
        yield
    finally:
        for gateway in ends:
            assert gateway is not None
            lab.ssh(gateway.name, "sudo systemctl restart wg-quick@wg-province")


@contextmanager
def hub_forwarding_everything(lab: LabHandle, hub: str) -> Iterator[None]:
    """A hub's forward chain opened to anything (a positive control), restored after."""
    lab.ssh(hub, "sudo nft insert rule inet tcd forward accept")
    try:
        yield
    finally:
        lab.ssh(hub, "sudo systemctl restart nftables")


def lab_settings(name: str) -> LabSettings:
    if os.geteuid() != 0:
        pytest.skip("lab tests need root (namespaces, mounts, containers); CI runs them as root")
    return LabSettings(name=name, state_dir=REPO / "state" / name, cache_dir=DEFAULT_CACHE)


@contextmanager
def fresh_lab(name: str, sites: list[int] | None = None) -> Iterator[LabHandle]:
    """A lab of its own with `sites` (default: the pilot) and both hubs, always torn down."""
    settings = lab_settings(name)
    lab_ops.down(settings, lab_ops.QuietReporter())  # what a crashed earlier run left
    inventory = load_inventory(INVENTORY)
    selected = inventory.select(codes=sites) if sites else inventory.select(wave="pilot")
    try:
        yield LabHandle(
            settings, lab_ops.up(settings, inventory, selected, lab_ops.QuietReporter())
        )
    finally:
        lab_ops.down(settings, lab_ops.QuietReporter())


@pytest.fixture(scope="session")
def pilot_lab() -> Iterator[LabHandle]:
    """The pilot (3 sites, 4 hosts) and both hubs, up for the whole session."""
    with fresh_lab("tcdtest") as lab:
        yield lab


TCD = str(Path(sys.executable).with_name("tcd"))


@dataclass
class RolledOut:
    lab: LabHandle
    first: dict
    second: dict
    outputs: list[str]  # everything the CLI printed, for the secret search
    # SSH connections each host accepted during the second rollout, read from sshd's journal
    # right after it (later tests change journald's settings and may empty the journal)
    second_connections: dict[str, int] = field(default_factory=dict)
    # what sudo ran on each host in the second rollout (its log's COMMAND=)
    second_sudo: dict[str, list[str]] = field(default_factory=dict)

    def tcd(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """The real CLI against this lab; what it prints is kept for the secret search."""
        done = self.lab.tcd(*args, cwd=cwd, timeout=600)
        self.outputs += [done.stdout, done.stderr]
        return done

    def rollout(self, *args: str, gate: bool = False) -> subprocess.CompletedProcess[str]:
        """Deploy only, by default: these tests verify on their own, with reports (the verify
        gate is tested in test_waves.py)."""
        return self.tcd("rollout", *args, "--lab", "--json", *([] if gate else ["--no-verify"]))


PYINFRA = str(Path(sys.executable).with_name("pyinfra"))
# the plain pyinfra CLI on deploys/, as deploys/inventory.py's docstring gives it
PYINFRA_ARGV = [PYINFRA, "-y", "--sudo", "--config", "deploys/config.py", "deploys/inventory.py"]


def pyinfra_changed(output: str) -> str:
    """The "Success" (changed) column of the pyinfra CLI's "Grand total" row: "-" for none."""
    (total,) = [line.split() for line in output.splitlines() if "Grand total" in line]
    return total[3]


def accepted_connections(lab: LabHandle, start: float, end: float) -> dict[str, int]:
    """host -> SSH connections its sshd accepted between `start` and `end` (epoch seconds;
    LogLevel VERBOSE, set by roles/base)."""
    said = _logged(lab, "sshd", start, end)
    return {
        name: sum("Accepted publickey" in line for line in lines) for name, lines in said.items()
    }


def sudo_commands(lab: LabHandle, start: float, end: float) -> dict[str, list[str]]:
    """host -> the commands sudo ran between `start` and `end` (epoch seconds)."""
    said = _logged(lab, "sudo", start, end)
    return {
        name: [line.split("COMMAND=", 1)[1] for line in lines if "COMMAND=" in line]
        for name, lines in said.items()
    }


def _logged(lab: LabHandle, tag: str, start: float, end: float) -> dict[str, list[str]]:
    """host -> what `tag` logged between `start` and `end` (epoch seconds). The window is taken
    in whole seconds: the query's own connection and sudo come after it."""
    time.sleep(max(0.0, end + 1.5 - time.time()))
    window = f"--since @{int(start)} --until @{int(end) + 1}"
    query = f"sudo journalctl -q -o cat -t {tag} {window}"
    return {host.name: lab.ssh(host.name, query).stdout.splitlines() for host in lab.state.hosts}


@pytest.fixture(scope="session")
def rolled_out() -> Iterator[RolledOut]:
    """A fresh pilot lab (its own), rolled out twice."""
    with fresh_lab("tcdroll") as lab:
        handle = RolledOut(lab, {}, {}, [])
        first = handle.rollout("pilot")
        assert first.returncode == 0, first.stdout + first.stderr
        start = time.time()
        second = handle.rollout("pilot")
        end = time.time()
        assert second.returncode == 0, second.stdout + second.stderr
        handle.second_connections = accepted_connections(handle.lab, start, end)
        handle.second_sudo = sudo_commands(handle.lab, start, end)
        # nothing but progress on stderr: no library's traceback or log records
        for done in (first, second):
            assert "Traceback" not in done.stderr and "INFO:" not in done.stderr, done.stderr
        handle.first, handle.second = json.loads(first.stdout), json.loads(second.stdout)
        yield handle
