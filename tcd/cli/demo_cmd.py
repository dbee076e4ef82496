"""`tcd demo`: the main job end to end on this machine — the pilot as a lab of real hosts,
rolled out, verified against the baseline, then torn down."""

from pathlib import Path
from typing import Annotated

import typer

from tcd.cli.common import DEFAULT, InventoryOption, console, fail, load_planned
from tcd.cli.lab_cmd import lab_settings, start_lab, stop_lab
from tcd.cli.rollout_cmd import print_rollout, run_rollout
from tcd.cli.verify_cmd import ReportOption, print_run, run_verify
from tcd.text import counted


def demo_command(
    wave: Annotated[str, typer.Option(help="The wave to bring up.")] = "pilot",
    keep: Annotated[
        bool, typer.Option("--keep", help="Leave the lab up afterwards (tcd lab down ends it).")
    ] = False,
    report: ReportOption = Path("reports"),
    inventory: InventoryOption = DEFAULT,
) -> None:
    """Build the pilot lab, roll the pilot out, verify it, show where the reports are, and tear
    the lab down (unless --keep). Exits 0 when the rollout succeeded and every check passed."""
    settings = lab_settings()
    loaded, _ = load_planned(inventory)
    try:
        selected = loaded.select(wave=wave)
    except KeyError as exc:
        fail(exc.args[0])
    console.print(
        f"[bold]1/3 lab[/]: wave {wave}, {counted(len(selected), 'site')} "
        f"({', '.join(f'{s.code} {s.name}' for s in selected)}) and both hubs"
    )
    start_lab(settings, loaded, selected)
    try:
        console.print("[bold]2/3 rollout[/]: the roles over SSH (pyinfra)")
        # step 3 verifies every site with its reports: no gate before it
        rolled = run_rollout(loaded, selected, lab=True, verify_gate=False)
        print_rollout(rolled)
        console.print("[bold]3/3 verify[/]: the baseline on every host (testinfra)")
        run, folder = run_verify(loaded, selected, f"wave {wave}", True, report, 16)
        print_run(run, folder)
    finally:
        if keep:
            console.print(
                f"the lab stays up: tcd lab ssh HOST, tcd verify --lab --wave {wave}, tcd lab down"
            )
        else:
            stop_lab(settings)
    if rolled.outcome != "succeeded" or run.failed:
        raise typer.Exit(1)
