"""A wave, batch after batch, into the journal.

The first batch (when there are several) is the canary: the run stops after it unless every
one of its sites deployed and passed its verification. After each batch the failure budget is
counted: `max_fail_percent` of the batch (exceeded, not matched, as Ansible's
max_fail_percentage) and `max_failures` across the run (also exceeded). Once either is spent, or
once stopping was asked (a first Ctrl-C), no new batch starts; the batch running finishes, and
every site never started is recorded `not started`.

A site is `done` only when its verification (the controls of `tcd verify`, for its hosts and
cameras) passes right after its deploy: the verify gate. Unreachable sites are counted apart
from failed ones, and both spend the budget.

Every step is committed to the journal as it happens, so a run killed at any point leaves a
journal that says how far it got; `resume_sites` picks up the sites of a run that are not
done.
"""

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tcd.journal import Journal
from tcd.journal.journal import HostOutcome
from tcd.model.site import Site
from tcd.reporting import QuietReporter
from tcd.reporting import Reporter as VerifyReporter
from tcd.rollout.batches import split
from tcd.rollout.engine import HostResult, Reach, Reporter, SiteResult, rollout
from tcd.target import Target
from tcd.verify.results import SiteSummary, VerifyRun
from tcd.verify.run import verify

UNREACHABLE = "unreachable: "
GATE_SETTLE_S = 20
OUTSIDE_LIMIT = "no host within --limit"


@dataclass
class WaveOptions:
    batches: list[int | str] = field(default_factory=list)
    canary: int | None = None  # this site goes first (so it is the canary)
    max_fail_percent: float | None = None
    max_failures: int | None = None
    verify_gate: bool = True
    pause_s: float = 0  # between batches: time to watch the batch just done before the next
    dry: bool = False
    reach: Reach = field(default_factory=Reach)
    limit: Callable[[str], bool] | None = None


class Stop:
    """Set by the first Ctrl-C: no new batch starts."""

    def __init__(self) -> None:
        self.requested = False


@dataclass
class SiteOutcome:
    code: int
    name: str
    batch: int
    state: str = "not started"  # done | deployed | failed | unreachable | not started
    reason: str | None = None
    deploy: SiteResult | None = None
    verify: dict[str, int] | None = None

    def as_json(self) -> dict[str, Any]:
        deploy = self.deploy.as_json() if self.deploy else {"site": self.code, "name": self.name}
        return {
            **deploy,
            "state": self.state,
            "batch": self.batch,
            "reason": self.reason,
            "verify": self.verify,
        }


@dataclass
class WaveResult:
    run: int
    wave: str | None
    target: str
    dry: bool
    sites: list[SiteOutcome]
    hubs: list[SiteResult]
    outcome: str  # succeeded | failed | interrupted
    stopped: str | None = None  # why no further batch started
    reports: list[Path] = field(default_factory=list)  # the verify gate's report folders

    @property
    def changed(self) -> int:
        deployed = [s.deploy for s in self.sites if s.deploy is not None]
        return sum(s.changed for s in [*deployed, *self.hubs])

    def count(self, state: str) -> int:
        return sum(1 for s in self.sites if s.state == state)

    def as_json(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "wave": self.wave,
            "target": self.target,
            "dry": self.dry,
            "outcome": self.outcome,
            "stopped": self.stopped,
            "operations_changed": self.changed,
            "counts": {
                state: self.count(state)
                for state in ("done", "deployed", "failed", "unreachable", "not started")
            },
            "sites": [s.as_json() for s in self.sites],
            "hubs": [h.as_json() for h in self.hubs],
        }


class _Prefixed(Reporter):
    """The engine's steps, shown with the wave and the batch they belong to."""

    def __init__(self, reporter: Reporter, prefix: str) -> None:
        self.reporter, self.prefix = reporter, prefix

    def phase(self, description: str, total: int) -> None:
        self.reporter.phase(f"{self.prefix}: {description}", total)

    def advance(self) -> None:
        self.reporter.advance()

    def running(self, host: str, operation: str | None) -> None:
        self.reporter.running(host, operation)


def in_order(sites: list[Site], canary: int | None) -> list[Site]:
    """The canary first, the others in the wave's order; ValueError if it is not in the wave."""
    if canary is None:
        return list(sites)
    first = [s for s in sites if s.code == canary]
    if not first:
        raise ValueError(f"--canary {canary} is not one of the sites selected")
    return first + [s for s in sites if s.code != canary]


def run_wave(
    target: Target,
    sites: list[Site],
    *,
    wave: str | None,
    options: WaveOptions,
    journal: Journal,
    arguments: list[str],
    inventory_digest: str,
    reporter: Reporter | None = None,
    verify_reporter: VerifyReporter | None = None,
    stop: Stop | None = None,
    resumed_from: int | None = None,
    log_path: Path | None = None,
) -> WaveResult:
    stop = stop or Stop()
    batches = split(in_order(sites, options.canary), options.batches)
    wave_of = {c: w.name for w in target.inventory.waves.waves for c in w.sites}
    run_id = journal.start_run(
        kind="rollout",
        target=target.name,
        wave=wave,
        arguments=arguments,
        inventory_digest=inventory_digest,
        dry=options.dry,
        log_path=log_path,
        resumed_from=resumed_from,
        sites=[(s.code, wave_of.get(s.code), n) for n, b in enumerate(batches, 1) for s in b],
    )
    outcomes = [SiteOutcome(s.code, s.name, n) for n, b in enumerate(batches, 1) for s in b]
    result = WaveResult(run_id, wave, target.name, options.dry, outcomes, [], "failed")
    run = _WaveRun(
        target,
        journal,
        options,
        result,
        reporter=reporter or Reporter(),
        verify_reporter=verify_reporter,
    )
    try:
        for number, batch in enumerate(batches, 1):
            if stop.requested:
                result.stopped = "stopped by the operator (Ctrl-C)"
                break
            run.batch(batch, f"{wave or 'sites'} batch {number}/{len(batches)}")
            result.stopped = run.budget(number, len(batches), batch)
            if result.stopped:
                break
            if number < len(batches):
                _pause(options.pause_s, stop)
        never = [o.code for o in outcomes if o.state == "not started" and o.reason is None]
        if never:
            journal.set_sites(run_id, never, "not started", result.stopped)
        finished = "done" if options.verify_gate and not options.dry else "deployed"
        if stop.requested:
            result.outcome = "interrupted"
        elif all(o.state == finished or o.reason == OUTSIDE_LIMIT for o in outcomes) and not any(
            h.status == "failed" for h in run.hubs.values()
        ):
            result.outcome = "succeeded"
    except BaseException:
        # a second Ctrl-C (or anything unexpected): the run ends here, recorded as such
        result.outcome = "interrupted"
        raise
    finally:
        result.hubs = list(run.hubs.values())
        journal.finish_run(run_id, result.outcome)
    return result


class _WaveRun:
    """One run's batches: deploy, record, gate, count the budget."""

    def __init__(
        self,
        target: Target,
        journal: Journal,
        options: WaveOptions,
        result: WaveResult,
        *,
        reporter: Reporter,
        verify_reporter: VerifyReporter | None,
    ) -> None:
        self.target, self.journal, self.options, self.result = target, journal, options, result
        self.reporter, self.verify_reporter = reporter, verify_reporter
        self.by_code = {o.code: o for o in result.sites}
        self.hubs: dict[str, SiteResult] = {}
        self.spent = 0  # sites not done so far

    def batch(self, batch: list[Site], label: str) -> None:
        run_id = self.result.run
        self.journal.set_sites(run_id, [s.code for s in batch], "running")
        deployed = rollout(
            self.target,
            batch,
            dry=self.options.dry,
            reach=self.options.reach,
            reporter=_Prefixed(self.reporter, label),
            limit=self.options.limit,
        )
        for hub in deployed.hubs:
            if hub.name in self.hubs:
                self.hubs[hub.name].hosts[0].add(hub.hosts[0])
            else:
                self.hubs[hub.name] = hub
        passed = []
        for site_result in deployed.sites:
            assert site_result.code is not None
            outcome = self.by_code[site_result.code]
            if not site_result.hosts:  # every host of it outside --limit
                outcome.reason = OUTSIDE_LIMIT
                self.journal.set_sites(run_id, [outcome.code], "not started", outcome.reason)
                continue
            outcome.deploy = site_result
            outcome.state, outcome.reason = _deploy_state(site_result)
            self.journal.record_site(
                run_id,
                outcome.code,
                state=outcome.state,
                reason=outcome.reason,
                hosts=[_host_outcome(h) for h in site_result.hosts],
            )
            if outcome.state == "deployed":
                passed.append(outcome)
        if passed and self.options.verify_gate and not self.options.dry:
            self.gate([s for s in batch if s.code in {o.code for o in passed}], passed, label)

    def gate(self, sites: list[Site], passed: list[SiteOutcome], label: str) -> None:
        """The verify gate: deployed sites are `done` only if their controls pass. A site that
        fails is checked once more after GATE_SETTLE_S: a daemon the deploy just restarted
        (chrony choosing its source, a tunnel's first handshake) may need those seconds."""
        run_id = self.result.run
        self.journal.set_sites(run_id, [o.code for o in passed], "verifying")
        verdicts = self._verify(sites, f"{label} (verify gate of run {run_id})")
        again = [
            s
            for s in sites
            if verdicts[s.code][0] is not None and verdicts[s.code][0].status == "fail"
        ]
        if again:
            time.sleep(GATE_SETTLE_S)
            verdicts |= self._verify(again, f"{label} (verify gate of run {run_id}, again)")
        for outcome in passed:
            summary, failing = verdicts[outcome.code]
            outcome.verify = summary.counts if summary else None
            if summary is not None and summary.status == "pass":
                outcome.state = "done"
            elif summary is not None and summary.status == "unreachable":
                outcome.state, outcome.reason = "unreachable", "unreachable in its verify gate"
            else:
                outcome.state = "failed"
                outcome.reason = "verify gate: " + ", ".join(f"{h} {c}" for h, c, _ in failing[:8])
            self.journal.record_site(
                run_id,
                outcome.code,
                state=outcome.state,
                reason=outcome.reason,
                verify=outcome.verify,
                hosts=[HostOutcome(h, "unchanged", controls=[(c, r)]) for h, c, r in failing],
            )

    def _verify(
        self, sites: list[Site], selection: str
    ) -> dict[int, tuple[SiteSummary | None, list[tuple[str, str, str]]]]:
        """Per site: its verify summary and the (host, control, reason) that did not pass."""
        run, folder = verify(
            self.target,
            sites,
            selection,
            self.target.state_dir / "verify-gate" / f"run-{self.result.run}",
            self.verify_reporter or QuietReporter(),
            now=dt.datetime.now(dt.UTC),
        )
        self.result.reports.append(folder)
        summaries = {s.site: s for s in run.sites() if s.site is not None}
        return {s.code: (summaries.get(s.code), _failing(run, s.code)) for s in sites}

    def budget(self, number: int, batches: int, batch: list[Site]) -> str | None:
        """Why no further batch may start, or None."""
        bad = sum(1 for s in batch if self.by_code[s.code].state in ("failed", "unreachable"))
        self.spent += bad
        size, options = len(batch), self.options
        if number == 1 and batches > 1 and bad:
            return f"the canary batch failed ({bad} of {size} sites not done)"
        if options.max_fail_percent is not None and 100 * bad / size > options.max_fail_percent:
            return (
                f"batch {number}: {bad} of {size} sites not done, more than "
                f"--max-fail-percent {options.max_fail_percent:g}"
            )
        if options.max_failures is not None and self.spent > options.max_failures:
            return (
                f"{self.spent} sites not done in this run, more than "
                f"--max-failures {options.max_failures}"
            )
        return None


def _pause(seconds: float, stop: Stop) -> None:
    """Waits between batches; a Ctrl-C ends the wait (and the run)."""
    until = time.monotonic() + seconds
    while not stop.requested and time.monotonic() < until:
        time.sleep(min(0.2, max(0.0, until - time.monotonic())))


def _deploy_state(result: SiteResult) -> tuple[str, str | None]:
    errors = [f"{h.name}: {e}" for h in result.hosts for e in h.errors]
    unreachable = [h.name for h in result.hosts if any(e.startswith(UNREACHABLE) for e in h.errors)]
    if unreachable:
        return "unreachable", f"no answer from {', '.join(unreachable)}"
    if errors:
        return "failed", "; ".join(errors)[:2000]
    return "deployed", None


def _host_outcome(host: HostResult) -> HostOutcome:
    if any(e.startswith(UNREACHABLE) for e in host.errors):
        state = "unreachable"
    elif host.errors:
        state = "failed"
    else:
        state = "changed" if host.changes else "unchanged"
    return HostOutcome(
        host.name, state, list(host.changes), list(host.errors), list(host.attention)
    )


def _failing(run: VerifyRun, code: int) -> list[tuple[str, str, str]]:
    return [
        (c.host, c.control, c.reason)
        for c in run.checks
        if c.site == code and c.result in ("failed", "unreachable")
    ]


def resume_sites(journal: Journal, target: Target, wave: str | None) -> tuple[int, list[int]]:
    """The last (not dry) run of `wave` on `target` and its sites that are not done, in the
    order they had; LookupError if there is no such run."""
    last = journal.last_run(target=target.name, kind="rollout", wave=wave)
    if last is None:
        raise LookupError(f"no earlier rollout of {wave or 'these sites'} on {target.name}")
    return last.id, [s.code for s in sorted(last.sites, key=lambda s: s.id) if s.state != "done"]
