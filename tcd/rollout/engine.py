"""The rollout, in steps (three pyinfra runs, then checks and the cameras):

1. hubs: their roles, the hub role only preparing (its WireGuard key); read each hub's public
   key (sites need it);
2. sites: every role the registry gives each host of the selected sites; read the spokes'
   public keys back (the private keys never leave the hosts);
3. hubs: the hub role, with one peer per deployed site: every site of the shared key registry
   still in the inventory (another controller's too), read with the hubs' own peers under the
   hub lock, so two rollouts update a hub one after the other and none drops the other's peers;
4. the tunnels carry packets (not in a dry run);
5. the IP cameras over ONVIF, through SSH port forwards on their gateways (tcd.rollout.cameras).

Each host's result is kept (operations changed, errors); a host that cannot be reached or
fails does not stop the others. With `dry`, operations are only prepared: what would change is
reported and nothing is executed.
"""

import contextlib
import logging
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import gevent
import gevent.pool
from pyinfra.api import BaseStateCallback, Config, State
from pyinfra.api.connect import connect_all, disconnect_all
from pyinfra.api.deploy import add_deploy
from pyinfra.api.exceptions import PyinfraError
from pyinfra.api.facts import get_facts
from pyinfra.api.operations import run_ops
from pyinfra.api.state import StateStage
from pyinfra.context import ctx_state

import tcd.rollout.proxy  # noqa: F401  (its fixes to paramiko apply on import)
from roles import site as deploys
from roles.common.attention import flagged
from roles.common.files import UPLOAD_DIR
from roles.common.wireguard import PeersAnswering, WireGuardPeers, WireGuardPublicKey, key_path
from roles.vpn_hub.defaults import INTERFACE as HUB_INTERFACE
from roles.vpn_spoke.defaults import INTERFACES as SPOKE_INTERFACES
from tcd.exports.hosts import HostRecord, Kind
from tcd.exports.pyinfra_inventory import pyinfra_inventory
from tcd.journal import JournalError
from tcd.model.province import Office
from tcd.model.site import Site
from tcd.onvif.secrets import CameraVault
from tcd.planning.hostdata import HostData
from tcd.planning.keys import PublicKeys
from tcd.rollout import factbatch, lookups, opnames, rootshell
from tcd.rollout.cameras import SiteCamera, configure_cameras, ip_cameras
from tcd.rollout.diffs import DiffCapture
from tcd.target import Target

Status = Literal["changed", "unchanged", "failed", "would change", "needs attention"]


@dataclass(frozen=True)
class Reach:
    """How hosts are reached: a host that does not answer within `timeout` seconds (after
    `retries` more tries, `retry_delay` seconds apart) is unreachable and never holds up the
    others."""

    timeout: int = 10
    retries: int = 0
    # a commune's link that drops comes back after seconds, not after pyinfra's 0.1-0.5 s
    retry_delay: tuple[float, float] = (3.0, 6.0)
    parallel: int = 40  # tcd rollout's --parallel
    diff: bool = False  # with a dry run: keep the diff of every file that would change


def pyinfra_config(reach: Reach, dry: bool) -> Config:
    """pyinfra's settings for a phase of the rollout (deploys/config.py gives the plain CLI its
    TEMP_DIR; --sudo on its command line)."""
    return Config(
        SUDO=True,
        PARALLEL=reach.parallel,
        FAIL_PERCENT=None,
        CONNECT_TIMEOUT=reach.timeout,
        TEMP_DIR=UPLOAD_DIR,
        DIFF=reach.diff and dry,
    )


class Reporter:
    """What the engine tells the display; the CLI draws it, tests ignore it."""

    def phase(self, description: str, total: int) -> None: ...
    def advance(self) -> None: ...
    def running(self, host: str, operation: str | None) -> None:
        """`host` started `operation` (None: it finished its last one)."""


@dataclass
class HostResult:
    name: str
    changes: list[str] = field(default_factory=list)  # names of operations that changed
    errors: list[str] = field(default_factory=list)
    # found but left to a person (controls with `repair: manual`, roles/common/attention.py)
    attention: list[str] = field(default_factory=list)
    diff: list[str] = field(default_factory=list)  # --dry --diff: what files would change
    peers_removed: list[str] = field(default_factory=list)  # a hub's: each with why

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def add(self, other: "HostResult") -> None:
        """Another run's result on the same host (a hub is deployed before and after sites)."""
        self.changes += other.changes
        self.errors += other.errors
        self.attention += [a for a in other.attention if a not in self.attention]
        self.diff += other.diff
        self.peers_removed += other.peers_removed


@dataclass
class SiteResult:
    code: int | None  # None for a hub
    name: str
    hosts: list[HostResult]
    dry: bool

    @property
    def status(self) -> Status:
        if any(h.failed for h in self.hosts):
            return "failed"
        if any(h.attention for h in self.hosts):
            return "needs attention"
        if any(h.changes for h in self.hosts):
            return "would change" if self.dry else "changed"
        return "unchanged"

    @property
    def changed(self) -> int:
        return sum(len(h.changes) for h in self.hosts)

    def as_json(self) -> dict[str, Any]:
        return {
            "site": self.code,
            "name": self.name,
            "status": self.status,
            "operations_changed": self.changed,
            "errors": [f"{h.name}: {e}" for h in self.hosts for e in h.errors],
            "attention": [f"{h.name}: {a}" for h in self.hosts for a in h.attention],
            "hosts": {
                h.name: {
                    "changes": h.changes,
                    "errors": h.errors,
                    "attention": h.attention,
                    **({"diff": h.diff} if h.diff else {}),
                    **({"peers_removed": h.peers_removed} if h.peers_removed else {}),
                }
                for h in self.hosts
            },
        }


@dataclass
class RolloutResult:
    target: str
    dry: bool
    sites: list[SiteResult]
    hubs: list[SiteResult]

    @property
    def failed(self) -> bool:
        return any(s.status == "failed" for s in [*self.sites, *self.hubs])

    @property
    def changed(self) -> int:
        return sum(s.changed for s in [*self.sites, *self.hubs])

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "dry": self.dry,
            "operations_changed": self.changed,
            "sites": [s.as_json() for s in self.sites],
            "hubs": [h.as_json() for h in self.hubs],
        }


def rollout(
    target: Target,
    sites: list[Site],
    *,
    dry: bool = False,
    reach: Reach = Reach(),
    reporter: Reporter | None = None,
    limit: Callable[[str], bool] | None = None,
) -> RolloutResult:
    """`limit`: only the hosts whose name it accepts (hubs included)."""
    reporter = reporter or Reporter()
    plan, records = target.managed_hosts(sites)
    if limit is not None:
        records = [r for r in records if limit(r.name)]
    site_records = [r for r in records if r.kind is Kind.HOST]
    hub_records = [r for r in records if r.kind is Kind.HUB]
    keys = _registry(target)
    cameras = ip_cameras(plan, target.host_data(plan, keys), sites)
    if limit is not None:  # a camera is reached through its gateway: with it or not at all
        cameras = [c for c in cameras if limit(c.gateway.name)]
    # the vault opens before anything changes: a missing password stops the rollout here
    vault = target.camera_vault() if cameras else None

    # one SSH connection per host for the whole rollout: each phase reuses what an earlier one
    # opened to the same host (hubs: 1 and 3; gateways: 2 and 4)
    connections = _Connections()

    def new_phase(
        records: list[HostRecord], title: str, keys: PublicKeys = keys, at_once: int = 0
    ) -> _Phase:
        return _Phase(
            target=target,
            records=records,
            data=target.host_data(plan, keys),
            reach=replace(reach, parallel=max(reach.parallel, at_once)),
            dry=dry,
            reporter=reporter,
            title=title,
            connections=connections,
        )

    try:
        # 1. hubs: base (they serve the fleet's NTP) and keys; without the lock if the journal
        # is away (the base is the same from every controller: only the peers need it)
        with _hub_lock(target, reporter, dry):
            phase = new_phase(hub_records, "hubs: base")
            hub_results = phase.run(deploys.before_sites)
            read = phase.read(WireGuardPublicKey, path=key_path(HUB_INTERFACE))
            phase.close()
        for office, key in read.items():
            keys.hubs[office_of(plan, office)] = key

        # 2. sites
        phase = new_phase(site_records, "sites")
        results = phase.run(deploys.everything)
        gateways = [
            p.gateway.name for code in (s.code for s in sites) if (p := plan.sites[code]).gateway
        ]
        fresh = _spoke_keys(phase, gateways)
        phase.close()

        # 3. hubs with their peers, never without the lock and the registry
        mine = PublicKeys(hubs=dict(keys.hubs), spokes=dict(fresh))
        step = _hubs_step(
            target=target,
            reporter=reporter,
            dry=dry,
            new_phase=new_phase,
            records=hub_records,
            plan=plan,
            mine=mine,
        )
        for name, result in step:
            hub_results[name].add(result)

        if not dry:
            # 4. the tunnels carry packets: every gateway pings both hubs through them
            # (a gateway that failed or did not answer is not asked again)
            answering = [
                r for r in site_records if r.name in gateways and not results[r.name].failed
            ]
            # all at once: each waits for pings (a tunnel's first handshake), over a connection
            # already open, and in groups of --parallel 95 gateways waited three times
            phase = new_phase(answering, "tunnels", at_once=len(answering))
            _check_tunnels(phase, plan, results)
            phase.close()
    finally:
        connections.close()

    by_site: dict[int, list[HostResult]] = defaultdict(list)
    for record in site_records:
        assert record.site is not None
        by_site[record.site].append(results[record.name])

    # 5. the IP cameras, through their gateways (a gateway that failed cannot forward to them)
    failed = {name for name, result in results.items() if result.failed}
    for site, result in _cameras(target, vault, cameras, failed, dry=dry, reporter=reporter):
        by_site[site].append(result)
    return RolloutResult(
        target=target.name,
        dry=dry,
        sites=[SiteResult(s.code, s.name, by_site[s.code], dry) for s in sites],
        hubs=[SiteResult(None, r.name, [hub_results[r.name]], dry) for r in hub_records],
    )


def _cameras(
    target: Target,
    vault: CameraVault | None,
    cameras: list[SiteCamera],
    failed: set[str],
    *,
    dry: bool,
    reporter: Reporter,
) -> list[tuple[int, HostResult]]:
    """Each IP camera's result and its site; a camera whose gateway failed is not tried."""
    reachable = [c for c in cameras if c.gateway.name not in failed]
    results = []
    if reachable and vault is not None:
        reporter.phase("cameras", len(reachable))
        done = configure_cameras(target, vault, reachable, dry=dry, advance=reporter.advance)
        for item in reachable:
            changes, errors = done[item.camera.name]
            results.append((item.site, HostResult(item.camera.name, changes, errors)))
    for item in cameras:
        if item.gateway.name in failed:
            reason = f"not configured: its gateway {item.gateway.name} failed"
            results.append((item.site, HostResult(item.camera.name, errors=[reason])))
    return results


def _check_tunnels(phase: "_Phase", plan: Any, results: dict[str, HostResult]) -> None:
    """An error on each gateway of `phase` from which a hub does not answer through its tunnel."""
    hubs = {str(h.overlay_address): h for h in plan.hubs.values()}
    answered = phase.read(PeersAnswering, addresses=list(hubs))
    for name in phase.results:
        for address, hub in hubs.items():
            if address not in answered.get(name, []) and not results[name].failed:
                results[name].errors.append(
                    f"no answer from the {hub.office.value} office's hub ({address}) through "
                    f"{SPOKE_INTERFACES[hub.office]}"
                )


def office_of(plan: Any, hub_name: str) -> Office:
    return next(h.office for h in plan.hubs.values() if h.name == hub_name)


@contextlib.contextmanager
def _hub_lock(target: Target, reporter: Reporter, dry: bool) -> Iterator[str | None]:
    """The hub lock, held for the block (a dry run writes nothing: it never waits); yields
    None, or why the lock could not be taken (the journal cannot be reached)."""
    told = False

    def waiting(_seconds: float) -> None:
        nonlocal told
        if not told:
            reporter.phase("hubs: waiting for another rollout's hub update (the hub lock)", 0)
            told = True

    with contextlib.ExitStack() as held:
        away = None
        if not dry:
            try:
                held.enter_context(target.hub_lock(waiting))
            except JournalError as exc:
                away = str(exc)
        yield away


def _registry(target: Target) -> PublicKeys:
    """The key registry as the rollout starts; empty if the journal cannot be reached then:
    the hubs give their keys in step 1 and the gateways theirs in step 2, and the peers wait
    for the registry (step 3 reads it again, and leaves the hubs alone if it is still away)."""
    try:
        return target.load_keys()
    except JournalError as exc:
        logging.getLogger(__name__).warning("key registry not read: %s", exc)
        return PublicKeys()


def _saved(target: Target, keys: PublicKeys) -> str | None:
    """The keys just read into the registry; None, or why they could not be."""
    try:
        target.save_keys(keys)
    except JournalError as exc:
        return str(exc)
    return None


def _spoke_keys(phase: "_Phase", gateways: list[str]) -> dict[str, dict[Office, str]]:
    """Gateway name -> office -> the public key it has now (never its private key)."""
    fresh: dict[str, dict[Office, str]] = defaultdict(dict)
    for office, interface in SPOKE_INTERFACES.items():
        read = phase.read(WireGuardPublicKey, path=key_path(interface), only=gateways)
        for name, key in read.items():
            fresh[name][office] = key
    return fresh


def _hubs_step(
    *,
    target: Target,
    reporter: Reporter,
    dry: bool,
    new_phase: Callable[..., "_Phase"],
    records: list[HostRecord],
    plan: Any,
    mine: PublicKeys,
) -> list[tuple[str, HostResult]]:
    """Step 3 under the hub lock: this rollout's keys into the registry, then the hubs with
    their peers; if the journal cannot be reached, no hub is written and each says so."""
    with _hub_lock(target, reporter, dry) as locked_out:
        away = locked_out
        if not dry and away is None:
            away = _saved(target, mine)
        try:
            if away is None:
                registry = target.load_keys()  # before any hub is written
                return _hubs_with_peers(new_phase, records, plan, registry, mine)
        except JournalError as exc:
            away = str(exc)
    reason = (
        f"peers not updated: {away} (the hub lock and the key registry are there); the next "
        "rollout updates them"
    )
    return [(r.name, HostResult(r.name, attention=[reason])) for r in records]


def _hubs_with_peers(
    new_phase: Callable[..., "_Phase"],
    records: list[HostRecord],
    plan: Any,
    registry: PublicKeys,
    mine: PublicKeys,
) -> list[tuple[str, HostResult]]:
    """The hub role on every hub, its peers built from the peers it has now, the `registry`
    and the keys this rollout read (`mine`), all read under the hub lock the caller holds."""
    phase = new_phase(records, "hubs: peers")
    current = phase.read(WireGuardPeers, interface=HUB_INTERFACE)
    phase.close()
    peers = _peer_keys(plan, current, registry, mine)
    _test_gate()
    phase = new_phase(records, "hubs", keys=peers)
    results = list(phase.run(deploys.after_sites).items())
    phase.close()
    for name, result in results:
        result.peers_removed += _removed(plan, name, current, peers)
    return results


def _peer_keys(
    plan: Any, current: dict[str, dict[str, list[str]]], registry: PublicKeys, mine: PublicKeys
) -> PublicKeys:
    """The keys the hubs' peers are built from, later ones winning: the peers each hub has now
    (a site another controller deployed whose key the registry has not got stays a peer), the
    shared registry, then the keys this rollout just read from its hosts (a dry run has not
    saved them). The hub role keeps only sites still in the inventory."""
    keys = PublicKeys(hubs=dict(mine.hubs))
    for layer in (_known_peers(plan, current), registry.spokes, mine.spokes):
        for name, offices in layer.items():
            keys.spokes.setdefault(name, {}).update(offices)
    return keys


def _known_peers(
    plan: Any, current: dict[str, dict[str, list[str]]]
) -> dict[str, dict[Office, str]]:
    """Gateway name -> office -> public key, from the peers each hub has now (peers of sites
    no longer in the inventory are left out: they are the only ones a rollout removes)."""
    by_overlay = _overlay_owners(plan)
    known: dict[str, dict[Office, str]] = defaultdict(dict)
    for hub_name, peers in current.items():
        office = office_of(plan, hub_name)
        for public_key, allowed in (peers or {}).items():
            for network in allowed:
                name = by_overlay.get((office, network.split("/")[0]))
                if name:
                    known[name][office] = public_key
    return known


def _overlay_owners(plan: Any) -> dict[tuple[Office, str], str]:
    """(office, a gateway's overlay address on the tunnel to it) -> the gateway's name."""
    return {
        (office, str(address)): site_plan.gateway.name
        for site_plan in plan.sites.values()
        if site_plan.gateway
        for office, address in site_plan.overlay.items()
    }


def _removed(
    plan: Any, hub_name: str, current: dict[str, dict[str, list[str]]], keys: PublicKeys
) -> list[str]:
    """The peers the hub has now that its new peer list leaves out, each with why."""
    office = office_of(plan, hub_name)
    owners = _overlay_owners(plan)
    gateways = [p.gateway.name for p in plan.sites.values() if p.gateway]
    kept = {keys.spokes.get(name, {}).get(office) for name in gateways}
    removed = []
    for public_key, allowed in (current.get(hub_name) or {}).items():
        if public_key in kept:
            continue
        names = [owners[k] for a in allowed if (k := (office, a.split("/")[0])) in owners]
        why = f"{names[0]} has a new key" if names else "its site is no longer in the inventory"
        removed.append(f"peer {public_key[:8]}… ({', '.join(allowed) or 'no address'}): {why}")
    return removed


def _test_gate() -> None:
    """Test-only (tests/test_shared_journal.py): with TCD_TEST_HUB_GATE=<folder>, the rollout
    says it holds the hubs' peers it has read (`<folder>/holding-<pid>`) and waits until
    `<folder>/release` exists (at most 5 minutes) before writing them, so a test can order two
    rollouts' hub updates."""
    folder = os.environ.get("TCD_TEST_HUB_GATE")
    if not folder:
        return
    gate = Path(folder)
    (gate / f"holding-{os.getpid()}").touch()
    deadline = time.monotonic() + 300
    while not (gate / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.2)


class _Progress(BaseStateCallback):
    def __init__(self, reporter: Reporter, errors: Callable[[str, str], None]) -> None:
        """`errors` receives what happens outside operations (a host that cannot be reached);
        failed operations are read from their results after the run."""
        self.reporter = reporter
        self.errors = errors

    def operation_host_start(self, state: State, host: Any, op_hash: Any) -> None:
        names = state.get_op_meta(op_hash).names
        self.reporter.running(host.name, ", ".join(sorted(names)) or None)

    def operation_host_success(
        self, state: State, host: Any, op_hash: Any, retry_count: int = 0
    ) -> None:
        self.reporter.advance()
        self.reporter.running(host.name, None)

    def operation_host_error(
        self, state: State, host: Any, op_hash: Any, retry_count: int = 0, max_retries: int = 0
    ) -> None:
        self.reporter.advance()
        self.reporter.running(host.name, None)

    def host_connect_error(self, state: State, host: Any, error: Any) -> None:
        self.errors(host.name, f"unreachable: {error}")


class _Phase:
    """One pyinfra State over some hosts: connect, prepare a deploy, run it, read facts."""

    def __init__(
        self,
        *,
        target: Target,
        records: list[HostRecord],
        data: dict[str, HostData],
        reach: Reach,
        dry: bool,
        reporter: Reporter,
        title: str,
        connections: "_Connections",
    ) -> None:
        self.dry = dry
        self.connections = connections
        self.parallel = reach.parallel
        self.reporter = reporter
        self.title = title
        self.results = {r.name: HostResult(r.name) for r in records}
        # the fact reads this phase asks of each host (questions only: never an answer)
        self.questions = (
            target.keys_file.parent / "facts-asked" / title.replace(" ", "").replace(":", "-")
        )
        # hosts with the same roles ask the same facts (factbatch.pathfinders)
        self.kinds = {r.name: tuple(data[r.name].roles) for r in records}
        self.state: State | None = None
        if not records:  # pyinfra's State needs a host (a batch none of whose hosts answered)
            return
        retries = {
            "ssh_connect_retries": reach.retries,
            "ssh_connect_retry_min_delay": reach.retry_delay[0],
            "ssh_connect_retry_max_delay": reach.retry_delay[1],
        }
        on_top = {r.name: {**target.pyinfra_data(r, data[r.name]), **retries} for r in records}
        inventory = pyinfra_inventory(records, on_top)
        lookups.quicken(inventory)
        rootshell.install()
        self.state = State(
            inventory=inventory,
            # the failure budget is the wave's, counted per site (tcd.rollout.waves)
            config=pyinfra_config(reach, dry),
        )
        self.state.add_callback_handler(_Progress(reporter, self._error))
        opnames.record()
        self.state.set_stage(StateStage.Connect)
        connections.lend(self.state)
        try:
            connect_all(self.state)
        except PyinfraError:  # "No hosts remaining!": each host already has its reason
            logging.getLogger(__name__).debug("pyinfra: no host of %s answered", title)

    def _error(self, host: str, message: str) -> None:
        self.results[host].errors.append(message)

    def run(self, deploy: Callable[[], Any]) -> dict[str, HostResult]:
        state = self.state
        if state is None or not state.inventory.get_active_hosts():
            return self.results
        state.set_stage(StateStage.Prepare)
        # Preparing reads hundreds of facts per host: prepare the hosts side by side (pyinfra's
        # own add_deploy walks them one after the other). Its host context is greenlet-local.
        # pyinfra's state context is process-wide: set it once around all of them.
        pool = gevent.pool.Pool(self.parallel)
        factbatch.begin(state, self.questions, self.kinds)
        diffs = DiffCapture()
        if state.config.DIFF:
            logging.getLogger("pyinfra").addHandler(diffs)
        try:
            with ctx_state.use(state):
                hosts = state.inventory.get_active_hosts()
                for group in factbatch.pathfinders(state, hosts):
                    # what this phase asked each host (or its kind) last time, read in one
                    # command per host
                    reads = [pool.spawn(factbatch.read, state, h) for h in group]
                    gevent.joinall(reads, raise_error=True)
                    jobs = [pool.spawn(add_deploy, state, deploy, host=[h]) for h in group]
                    gevent.joinall(jobs, raise_error=True)
        finally:
            logging.getLogger("pyinfra").removeHandler(diffs)
        for name, lines in diffs.lines.items():
            self.results[name].diff += lines
        for host in hosts:
            self.results[host.name].attention += flagged(host.name)
        ops = sum(len(state.ops[h]) for h in state.inventory.iter_activated_hosts())
        self.reporter.phase(self.title, ops)
        if not self.dry:
            state.set_stage(StateStage.Execute)
            try:
                run_ops(state)
            except PyinfraError as exc:  # every host failed: each already has its reason
                logging.getLogger(__name__).debug("pyinfra: %s", exc)
        factbatch.end(state)
        for host in state.inventory.iter_activated_hosts():
            for op_hash in state.get_op_order():
                if op_hash not in state.ops[host]:
                    continue
                op_meta = state.ops[host][op_hash].operation_meta
                name = opnames.name_of(state, host, op_hash)
                if self.dry:
                    # an operation run only `_if` another changed follows from that one
                    conditional = state.ops[host][op_hash].global_arguments.get("_if")
                    changed = bool(op_meta._maybe_is_change) and not conditional
                else:
                    changed = (
                        op_meta.is_complete() and op_meta.did_succeed() and op_meta.did_change()
                    )
                if changed:
                    self.results[host.name].changes.append(name)
                if op_meta.is_complete() and not op_meta.did_succeed():
                    # the last line a failing command printed is usually the reason
                    said = [x for x in op_meta.stderr_lines + op_meta.stdout_lines if x.strip()]
                    reason = f": {said[-1].strip()}" if said else ""
                    self.results[host.name].errors.append(f"{name} failed{reason}")
        opnames.forget(state)
        for host in state.failed_hosts:
            if not self.results[host.name].errors:
                self.results[host.name].errors.append("failed")
        return self.results

    def read(self, fact: type, only: list[str] | None = None, **kwargs: Any) -> dict[str, Any]:
        """A fact from every reachable host (in `only`, if given), freshly read."""
        state = self.state
        if state is None:
            return {}
        if state.current_stage < StateStage.Prepare:
            state.set_stage(StateStage.Prepare)
        values = get_facts(state, fact, kwargs=kwargs)
        return {
            host.name: value
            for host, value in values.items()
            if value is not None and (only is None or host.name in only)
        }

    def close(self) -> None:
        """The phase ends; its hosts' connections stay open for the next phase."""
        if self.state is not None:
            self.connections.keep(self.state)


class _Connections:
    """The rollout's SSH clients by host name, lent to each phase's pyinfra hosts."""

    def __init__(self) -> None:
        self.clients: dict[str, Any] = {}

    def lend(self, state: State) -> None:
        """Hosts of `state` reached before start connected (connect_all then only activates
        them)."""
        for host in state.inventory:
            client = self.clients.get(host.name)
            transport = client.get_transport() if client is not None else None
            if transport is not None and transport.is_active():
                host.connector.client = client
                host.connected = True

    def keep(self, state: State) -> None:
        for host in state.activated_hosts:
            client = getattr(host.connector, "client", None)
            if client is not None:
                self.clients[host.name] = client
        disconnect_all(state)  # only what pyinfra keeps per host: its SFTP session

    def close(self) -> None:
        # pyinfra's SSH connector keeps its paramiko client open after disconnect (its CLI
        # exits right after): close them, or the rollout leaves transports and proxies behind
        for client in self.clients.values():
            client.close()
        self.clients.clear()
