"""A `tcd verify` run into the journal: per site `verified`, `drifted` (a control failed) or
`unreachable`, with its counts and the controls that did not pass. `tcd status` shows a site
that a later verify failed as drifted."""

from tcd.journal import Journal
from tcd.journal.journal import HostOutcome
from tcd.verify.results import FAILING, VerifyRun

STATE = {"pass": "verified", "fail": "drifted", "unreachable": "unreachable"}


def record_verify(
    journal: Journal,
    run: VerifyRun,
    *,
    arguments: list[str],
    inventory_digest: str,
    wave: str | None,
) -> int:
    sites = [s for s in run.sites() if s.site is not None]
    run_id = journal.start_run(
        kind="verify",
        target=run.target,
        wave=wave,
        arguments=arguments,
        inventory_digest=inventory_digest,
        sites=[(s.site, None, None) for s in sites if s.site is not None],
    )
    outcome = "failed" if run.failed else "succeeded"
    try:
        for site in sites:
            assert site.site is not None
            failing = [c for c in run.checks if c.site == site.site and c.result in FAILING]
            journal.record_site(
                run_id,
                site.site,
                state=STATE[site.status],
                reason=", ".join(f"{c.host} {c.control}" for c in failing[:8]) or None,
                verify=site.counts,
                hosts=[
                    HostOutcome(
                        host,
                        "unreachable" if site.status == "unreachable" else "unchanged",
                        controls=[(c.control, c.reason) for c in failing if c.host == host],
                    )
                    for host in site.hosts
                ],
            )
    finally:
        journal.finish_run(run_id, outcome)
    return run_id
