"""Where every site stands, from the journal: its latest rollout and its latest verify.

A site is
- `pending`: no rollout reached it yet;
- `running`: a rollout is working on it now;
- `deployed`: deployed, its verify gate not (yet) passed;
- `verified`: deployed and its verification passed (the gate, or a later `tcd verify`);
- `failed`: its deploy or its verify gate failed (the reason is kept);
- `unreachable`: its hosts did not answer;
- `interrupted`: the run stopped (Ctrl-C, or the process died) while it was on this site;
- `drifted`: a `tcd verify` after its rollout failed it.
"""

import datetime as dt
import os
import socket
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tcd.journal.journal import Journal, utc
from tcd.journal.models import Run, SiteRun
from tcd.loading import Inventory
from tcd.model.site import Site

STATES = [
    "pending",
    "running",
    "deployed",
    "verified",
    "failed",
    "unreachable",
    "interrupted",
    "drifted",
]
# a site row's state in the rollout that touched it last -> the site's state
FROM_ROLLOUT = {
    "running": "running",
    "verifying": "running",
    "deployed": "deployed",
    "done": "verified",
    "failed": "failed",
    "unreachable": "unreachable",
}


@dataclass
class SiteStatus:
    code: int
    name: str
    wave: str | None
    former_district: str
    state: str
    reason: str | None
    since: dt.datetime | None
    run: int | None
    commit: str | None
    operator: str | None
    controller: str | None
    last_verify: str | None  # verified | drifted | unreachable
    last_verify_at: dt.datetime | None
    verify_counts: dict[str, int] | None

    def as_json(self) -> dict[str, Any]:
        return {
            "site": self.code,
            "name": self.name,
            "wave": self.wave,
            "former_district": self.former_district,
            "state": self.state,
            "reason": self.reason,
            "since": self.since.isoformat() if self.since else None,
            "run": self.run,
            "commit": self.commit,
            "operator": self.operator,
            "controller": self.controller,
            "last_verify": self.last_verify,
            "last_verify_at": self.last_verify_at.isoformat() if self.last_verify_at else None,
            "verify_counts": self.verify_counts,
        }


@dataclass
class StatusReport:
    target: str
    sites: list[SiteStatus]
    waves: list[str]

    def totals(self, wave: str | None = None) -> dict[str, int]:
        counts = Counter(s.state for s in self.sites if wave is None or s.wave == wave)
        return {state: counts.get(state, 0) for state in STATES}

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "totals": self.totals(),
            "waves": {wave: self.totals(wave) for wave in self.waves},
            "sites": [s.as_json() for s in self.sites],
        }


def run_alive(run: Run) -> bool:
    """A `running` run is alive if its process is (checked on this controller only: another
    controller's run is taken at its word)."""
    if run.outcome != "running":
        return False
    if run.controller != socket.gethostname():
        return True
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_outcome(run: Run) -> str:
    """A run's outcome; one still `running` whose process is gone was interrupted."""
    if run.outcome == "running" and not run_alive(run):
        return "interrupted"
    return run.outcome


def site_status(
    journal: Journal, inventory: Inventory, target: str, wave: str | None = None
) -> StatusReport:
    rollouts = journal.latest_sites(target=target, kind="rollout")
    verifies = journal.latest_sites(target=target, kind="verify")
    wave_of = {code: w.name for w in inventory.waves.waves for code in w.sites}
    sites = inventory.select(wave=wave)
    return StatusReport(
        target=target,
        sites=[
            _one(s, wave_of.get(s.code), rollouts.get(s.code), verifies.get(s.code)) for s in sites
        ],
        waves=[w.name for w in inventory.waves.waves if wave is None or w.name == wave],
    )


def _one(
    site: Site, wave: str | None, deployed: SiteRun | None, verified: SiteRun | None
) -> SiteStatus:
    state, reason, since = "pending", None, None
    if deployed is not None:
        state = FROM_ROLLOUT.get(deployed.state, deployed.state)
        reason = deployed.reason
        since = utc(deployed.ended_at or deployed.deployed_at or deployed.started_at)
        if state == "running" and not run_alive(deployed.run):
            state, reason = "interrupted", reason or f"run {deployed.run.id} stopped"
    last_verify = verify_at = counts = None
    if verified is not None:
        last_verify, verify_at, counts = verified.state, utc(verified.ended_at), verified.verify
        later = since is None or (verify_at is not None and verify_at > since)
        if later and state in ("deployed", "verified", "drifted"):
            if verified.state == "verified":
                state, reason, since = "verified", None, verify_at
            elif verified.state == "drifted":
                state, reason, since = "drifted", verified.reason, verify_at
    run = deployed.run if deployed is not None else None
    return SiteStatus(
        code=site.code,
        name=site.name,
        wave=wave,
        former_district=", ".join(site.former_districts),
        state=state,
        reason=reason,
        since=since,
        run=run.id if run else None,
        commit=run.git_commit[:10] if run and run.git_commit else None,
        operator=run.operator if run else None,
        controller=run.controller if run else None,
        last_verify=last_verify,
        last_verify_at=verify_at,
        verify_counts=counts,
    )
