"""`tcd rollout`: deploy the selected sites batch after batch, each through its verify gate,
with both hubs; every step goes into the journal."""

import datetime as dt
import fnmatch
import json
import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tcd.cli.common import (
    DEFAULT,
    AllOption,
    DatabaseOption,
    InventoryOption,
    SitesOption,
    WaveOption,
    console,
    errors,
    fail,
    load_planned,
    select_sites,
)
from tcd.cli.lab_cmd import lab_settings
from tcd.cli.progress import RichReporter
from tcd.journal import Journal, JournalError
from tcd.journal.provenance import inventory_digest
from tcd.lab.lab import LabError
from tcd.lab.target import lab_target
from tcd.loading import Inventory
from tcd.model.site import Site
from tcd.onvif.secrets import VaultError
from tcd.rollout.batches import parse_sizes, split
from tcd.rollout.engine import Reach
from tcd.rollout.waves import Stop, WaveOptions, WaveResult, in_order, resume_sites, run_wave
from tcd.target import Target, TargetError, field_target
from tcd.text import counted
from tcd.verify.plan import VerifyError

# pyinfra's own default on the 2-core controller; 95 units, no change: 166.6 s at 10,
# 143.1 s at 40, 138.1 s at 80 (docs/benchmarks.md)
PARALLEL = 40
EXIT_INTERRUPTED = 130  # as a shell reports a command ended by SIGINT
STATE_STYLE = {
    "done": "green",
    "deployed": "cyan",
    "failed": "red",
    "unreachable": "dark_orange",
    "not started": "dim",
}


class _Reporter:
    """The wave and batch on each step's line (from the runner), and beside them what the
    running hosts are doing: one by name, then how many more (a line holds no more; `-v`
    logs every operation of every host)."""

    SHOWN = 1

    def __init__(self, progress: RichReporter) -> None:
        self.progress = progress
        self.doing: dict[str, str] = {}

    def phase(self, description: str, total: int) -> None:
        self.doing.clear()
        self.progress.step(description, total=total)

    def advance(self) -> None:
        self.progress.advance()

    def running(self, host: str, operation: str | None) -> None:
        if operation is None:
            self.doing.pop(host, None)
        else:
            self.doing[host] = operation
        shown = [f"{h}: {self.doing[h]}" for h in sorted(self.doing)[: self.SHOWN]]
        more = len(self.doing) - len(shown)
        self.progress.note(" · ".join(shown) + (f" (+{more} more)" if more > 0 else ""))


def rollout_command(
    wave_name: Annotated[
        str | None,
        typer.Argument(metavar="[WAVE]", help="A wave of waves.yml, e.g. pilot (as --wave)."),
    ] = None,
    wave_option: WaveOption = None,
    sites: SitesOption = None,
    all_sites: AllOption = False,
    lab: Annotated[
        bool, typer.Option("--lab", help="Deploy to the lab instead of the field.")
    ] = False,
    dry: Annotated[
        bool, typer.Option("--dry", "--dry-run", help="Show what would change; change nothing.")
    ] = False,
    diff: Annotated[
        bool,
        typer.Option(
            "--diff", help="With --dry: the diff of every file that would change (secrets masked)."
        ),
    ] = False,
    batch: Annotated[
        str | None,
        typer.Option(
            help="Batch sizes, as Ansible's serial: e.g. 1,5,25% (the last repeats; the first "
            "batch is the canary). Default: the wave's `batches`, else one batch."
        ),
    ] = None,
    canary: Annotated[
        int | None, typer.Option(help="This site goes first: the canary of the first batch.")
    ] = None,
    max_fail_percent: Annotated[
        float | None,
        typer.Option(
            help="Stop before the next batch when more than this percentage of a batch is "
            "not done (failed or unreachable).",
            min=0,
            max=100,
        ),
    ] = None,
    max_failures: Annotated[
        int | None,
        typer.Option(
            help="Stop before the next batch when more than this many sites of the run are "
            "not done.",
            min=0,
        ),
    ] = None,
    verify_gate: Annotated[
        bool,
        typer.Option(
            "--verify/--no-verify",
            help="Verify each batch's sites right after their deploy (a site is done only "
            "when it passes).",
        ),
    ] = True,
    pause: Annotated[
        float,
        typer.Option(
            help="Seconds to wait between batches (to watch the sites just done, e.g. on the "
            "monitoring, before the next batch starts).",
            min=0,
        ),
    ] = 0,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Only the sites the last run of this wave did not finish."),
    ] = False,
    limit: Annotated[
        str | None,
        typer.Option(help="Only hosts whose name matches this glob (e.g. 'tcd-25195-*')."),
    ] = None,
    parallel: Annotated[
        int, typer.Option(help="Hosts deployed at once (default: pyinfra's 20 per core).", min=1)
    ] = PARALLEL,
    connect_timeout: Annotated[
        int, typer.Option(help="Seconds before a host that does not answer is unreachable.", min=1)
    ] = 10,
    connect_retries: Annotated[
        int,
        typer.Option(
            help="More tries to connect, 3-6 s apart, before a host is unreachable (a link that "
            "drops for a moment).",
            min=0,
        ),
    ] = 0,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask before changing the field.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Print each operation as it runs.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    database: DatabaseOption = None,
    inventory: InventoryOption = DEFAULT,
) -> None:
    """Deploy the sites of WAVE (or --wave, --sites, --all) batch after batch, then update both
    hubs.

    Exits 0 when every site is done (deployed and verified), 1 if any failed, was unreachable
    or was not started, 130 when stopped by Ctrl-C, 2 on bad usage."""
    if wave_name is not None and wave_option is not None and wave_name != wave_option:
        fail(f"two waves given: {wave_name} and --wave {wave_option} (give one)")
    wave = wave_name or wave_option
    if diff and not dry:
        fail("--diff goes with --dry (a rollout that changes files does not stop to show them)")
    loaded, _ = load_planned(inventory)
    selected = select_sites(loaded, wave, sites, all_sites, required=True)
    try:
        sizes = parse_sizes(batch) if batch is not None else list(_wave_batches(loaded, wave))
        ordered = in_order(selected, canary)
    except ValueError as exc:
        fail(str(exc))
    options = WaveOptions(
        batches=sizes,
        canary=canary,
        max_fail_percent=max_fail_percent,
        max_failures=max_failures,
        verify_gate=verify_gate,
        pause_s=pause,
        dry=dry,
        reach=Reach(timeout=connect_timeout, retries=connect_retries, parallel=parallel, diff=diff),
        limit=(lambda name: fnmatch.fnmatchcase(name, limit)) if limit else None,
    )
    target = _target(loaded, lab)
    journal = _journal(target)
    resumed_from = None
    if resume:
        ordered, resumed_from = _resumed(journal, target, loaded, wave, ordered)
    if not lab and not dry and not yes:
        _confirm(target, wave, ordered, options)
    result = _run(target, journal, ordered, wave, options, inventory, resumed_from, verbose)
    if as_json:
        print(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        print_rollout(result)
    print_spooled(journal)
    if result.outcome == "interrupted":
        raise typer.Exit(EXIT_INTERRUPTED)
    if result.outcome != "succeeded":
        raise typer.Exit(1)


def _wave_batches(loaded: Inventory, wave: str | None) -> list[int | str]:
    return list(loaded.wave(wave).batches) if wave is not None else []


def _target(loaded: Inventory, lab: bool) -> Target:
    try:
        return lab_target(loaded, lab_settings()) if lab else field_target(loaded)
    except (TargetError, LabError) as exc:
        fail(str(exc), code=1)


def _journal(target: Target) -> Journal:
    """The target's journal, spooling into its state folder if the database goes away."""
    try:
        return target.journal()
    except JournalError as exc:
        fail(str(exc), code=1)


def print_spooled(journal: Journal) -> None:
    """The run's results that are in the spool, not (yet) in the journal: one line on stderr
    (with --json too: the summary on stdout stays what it is)."""
    if (notice := journal.spool_notice()) is not None:
        errors.print(notice, markup=False)


def _resumed(
    journal: Journal, target: Target, loaded: Inventory, wave: str | None, ordered: list[Site]
) -> tuple[list[Site], int]:
    try:
        last, codes = resume_sites(journal, target, wave)
    except LookupError as exc:
        fail(str(exc), code=1)
    wanted = set(codes)
    left = [s for s in ordered if s.code in wanted]
    if not left:
        console.print(f"nothing to resume: every site of run {last} is done")
        raise typer.Exit(0)
    names = ", ".join(f"{s.code} {s.name}" for s in left)
    errors.print(f"resuming run {last}: {len(left)} sites not done: {names}")
    return left, last


def _confirm(target: Target, wave: str | None, ordered: list[Site], options: WaveOptions) -> None:
    """A field rollout says what it is about to do and asks, as pyinfra's CLI does."""
    batches = split(ordered, options.batches)
    what = f"wave {wave}" if wave else "the selected sites"
    errors.print(
        f"About to deploy {what} to {target.name}: {len(ordered)} sites in {len(batches)} "
        f"batch{'es' if len(batches) != 1 else ''} ({', '.join(str(len(b)) for b in batches)}), "
        "then both hubs' peers."
    )
    if not sys.stdin.isatty():
        fail("a field rollout asks before it changes anything: give -y to run it unattended")
    if not typer.confirm("Go ahead?", err=True):
        raise typer.Exit(1)


def _run(
    target: Target,
    journal: Journal,
    ordered: list[Site],
    wave: str | None,
    options: WaveOptions,
    inventory: Path,
    resumed_from: int | None,
    verbose: bool,
) -> WaveResult:
    log_path = _log_path(target)
    stop = Stop()
    try:
        with (
            _run_log(log_path, verbose),
            _interrupts(stop),
            RichReporter() as progress,
            journal,
        ):
            return run_wave(
                target,
                ordered,
                wave=wave,
                options=options,
                journal=journal,
                arguments=sys.argv[1:],
                inventory_digest=inventory_digest(inventory),
                reporter=_Reporter(progress),
                verify_reporter=progress,
                stop=stop,
                resumed_from=resumed_from,
                log_path=log_path,
            )
    except KeyboardInterrupt:
        errors.print("aborted (second Ctrl-C); the journal records the run as interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except (TargetError, LabError, VaultError, JournalError, VerifyError) as exc:
        fail(str(exc), code=1)


def _log_path(target: Target) -> Path:
    when = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return target.state_dir / "logs" / f"rollout-{when}.log"


@contextmanager
def _run_log(path: Path, verbose: bool) -> Iterator[None]:
    """Every run writes pyinfra's and tcd's log to `path` (the journal points to it); -v shows
    it on stderr too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [logging.FileHandler(path, encoding="utf-8")]
    if verbose:
        handlers.append(logging.StreamHandler(sys.stderr))
    formatter = logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s")
    loggers = [logging.getLogger(name) for name in ("pyinfra", "tcd")]
    for handler in handlers:
        handler.setFormatter(formatter)
        for logger in loggers:
            logger.addHandler(handler)
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
            for handler in handlers:
                logger.removeHandler(handler)
        for handler in handlers:
            handler.close()


@contextmanager
def _interrupts(stop: Stop) -> Iterator[None]:
    """The first Ctrl-C lets the running batch finish and starts no other; the second aborts."""
    import gevent  # noqa: PLC0415 - `tcd rollout` runs under gevent (tcd.cli.main)

    main = gevent.getcurrent()

    def on_interrupt() -> None:
        if stop.requested:
            main.throw(KeyboardInterrupt())
            return
        stop.requested = True
        errors.print(
            "Ctrl-C: the running batch finishes, no other starts (Ctrl-C again aborts at once)"
        )

    handler = gevent.signal_handler(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        handler.cancel()


def run_rollout(
    loaded: Inventory, selected: list[Site], *, lab: bool, verify_gate: bool = True
) -> WaveResult:
    """Shared with `tcd demo`: the sites in one batch (through their verify gate unless
    `verify_gate` is off); a rollout that cannot start is exit 1 with one line."""
    target = _target(loaded, lab)
    options = WaveOptions(verify_gate=verify_gate)
    journal = _journal(target)
    result = _run(target, journal, selected, None, options, loaded.root, None, False)
    print_spooled(journal)
    return result


def print_rollout(result: WaveResult) -> None:
    console.print(_table(result))
    for site in result.sites:
        for host in site.deploy.hosts if site.deploy else []:
            if host.diff:
                console.print(f"[bold]{host.name}[/]")
                for line in host.diff:
                    style = "red" if line.startswith("- ") else "green" if line[:2] == "+ " else ""
                    console.print(f"[{style}]{escape(line)}[/]" if style else escape(line))
    for hub in result.hubs:
        for line in (line for host in hub.hosts for line in host.peers_removed):
            removal = "would remove" if result.dry else "removed"
            console.print(f"[yellow]{hub.name}: {removal} {escape(line)}[/]")
    verb = "would change" if result.dry else "changed"
    dry = " (dry run)" if result.dry else ""
    counts = ", ".join(
        f"{n} {state}"
        for state in ("done", "deployed", "failed", "unreachable", "not started")
        if (n := result.count(state))
    )
    changed = counted(result.changed, "operation")
    console.print(f"{changed} {verb} on {result.target}{dry}; sites: {counts}")
    if result.stopped:
        console.print(f"[red]stopped[/]: {result.stopped}")
    console.print(f"journal: run {result.run}, {result.outcome}")


def _table(result: WaveResult) -> Table:
    table = Table(title=f"rollout to {result.target}", title_justify="left")
    for column in ("site", "unit / hub", "batch", "state", "ops changed", "details"):
        table.add_column(column)
    for site in result.sites:
        deploy = site.deploy
        detail = site.reason or ""
        if deploy is not None and not detail:
            detail = _details(deploy, result.dry)
        style = STATE_STYLE.get(site.state, "")
        table.add_row(
            str(site.code),
            site.name,
            str(site.batch),
            f"[{style}]{site.state}[/]",
            str(deploy.changed) if deploy else "",
            detail,
        )
    for hub in result.hubs:
        style = "red" if hub.status == "failed" else "green"
        table.add_row(
            "hub", hub.name, "", f"[{style}]{hub.status}[/]", str(hub.changed), _details(hub, False)
        )
    return table


def _details(row: object, dry: bool) -> str:
    hosts = getattr(row, "hosts", [])
    problems = [f"{h.name}: {e}" for h in hosts for e in h.errors]
    problems += [f"{h.name}: needs attention: {a}" for h in hosts for a in h.attention]
    if problems:
        return "; ".join(problems)
    if dry:
        return "; ".join(f"{h.name}: {', '.join(h.changes)}" for h in hosts if h.changes)
    return ""
