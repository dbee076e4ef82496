"""`tcd lab …`: a real fleet on this machine (root needed)."""

import os
import time
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from tcd.cli.common import (
    DEFAULT,
    HELP_MARKUP,
    AllOption,
    InventoryOption,
    SitesOption,
    WaveOption,
    console,
    fail,
    load_planned,
    select_sites,
)
from tcd.cli.progress import RichReporter
from tcd.lab import emulated_cameras as lab_cameras
from tcd.lab import lab as lab_ops
from tcd.lab.emulated_cameras import LabCameraError
from tcd.lab.image import ensure_image
from tcd.lab.processes import alive
from tcd.lab.settings import LabSettings
from tcd.lab.system import LabCommandError
from tcd.loading import Inventory
from tcd.model.site import Site
from tcd.text import counted

app = typer.Typer(
    rich_markup_mode=HELP_MARKUP,
    help="A lab: the selected sites and both hubs as real hosts (systemd containers) here.",
    no_args_is_help=True,
)

T = TypeVar("T")
HostArgument = Annotated[
    str, typer.Argument(help="A lab host, e.g. tcd-26380-pc1 or tcd-hub-province.")
]


def lab_settings() -> LabSettings:
    try:
        return LabSettings.from_env()
    except ValueError as exc:
        fail(str(exc))


def _guard(action: Callable[[], T]) -> T:
    """Run a lab action; its known failures become one line on stderr and exit 1."""
    try:
        return action()
    except (lab_ops.LabError, LabCameraError, LabCommandError, KeyError) as exc:
        fail(exc.args[0] if exc.args else str(exc), code=1)


@app.command()
def image(
    rebuild: Annotated[bool, typer.Option(help="Build again even if cached.")] = False,
) -> None:
    """Build (or find cached) the Debian 12 base image every lab host boots."""
    settings = lab_settings()
    if os.geteuid() != 0:
        fail("building the image needs root (debootstrap)", code=1)
    with RichReporter() as reporter:
        reporter.step("debootstrap bookworm")
        root = _guard(
            lambda: ensure_image(settings.cache_dir, rebuild=rebuild, progress=reporter.note)
        )
    console.print(f"image: {root}")


@app.command()
def up(
    inventory: InventoryOption = DEFAULT,
    wave: WaveOption = None,
    sites: SitesOption = None,
    all_sites: AllOption = False,
    count: Annotated[
        int | None, typer.Option(help="The first N sites in rollout order.", min=1)
    ] = None,
) -> None:
    """Start a lab host for every host of the selected sites, plus both hubs."""
    settings = lab_settings()
    loaded, _ = load_planned(inventory)
    if count is not None and (wave or sites or all_sites):
        fail("give one of --wave, --sites, --all, --count")
    if count is not None:
        selected = loaded.select(codes=loaded.rollout_order()[:count])
    else:
        selected = select_sites(loaded, wave, sites, all_sites, required=True)
    start_lab(settings, loaded, selected)


def start_lab(settings: LabSettings, loaded: Inventory, selected: list[Site]) -> None:
    """`tcd lab up` once the sites are chosen (also the first step of `tcd demo`)."""
    started = time.monotonic()
    with RichReporter() as reporter:
        state = _guard(lambda: lab_ops.up(settings, loaded, selected, reporter))
    cameras = f", {len(state.cameras)} IP cameras" if state.cameras else ""
    console.print(
        f"lab {settings.name!r} up: {counted(len(state.hosts), 'host')}"
        f" ({counted(len(selected), 'site')} and 2 hubs)"
        f"{cameras} in {time.monotonic() - started:.1f} s"
    )
    console.print(f"ssh config: {settings.ssh_config}   (tcd lab ssh HOST, tcd lab status)")


@app.command()
def down() -> None:
    """Remove every namespace, mount, link and process the lab made (safe to run twice)."""
    stop_lab(lab_settings())


def stop_lab(settings: LabSettings) -> None:
    with RichReporter() as reporter:
        report = _guard(lambda: lab_ops.down(settings, reporter))
    console.print(
        f"lab {settings.name!r} down: {report.processes} processes ended, {report.mounts} mounts "
        f"and {report.namespaces} namespaces removed"
    )


@app.command()
def status() -> None:
    """List the lab's hosts (and IP cameras) and whether each host answers on SSH. Exits 1 if
    any does not."""
    settings = lab_settings()
    hosts = _guard(lambda: lab_ops.status(settings))
    table = Table(title=f"lab {settings.name!r}", title_justify="left")
    for column in ("host", "site", "address", "running", "ssh"):
        table.add_column(column)
    for host in hosts:
        table.add_row(
            host.name,
            str(host.site or "hub"),
            host.address,
            "yes" if host.running else "[red]stopped[/]",
            "[green]ok[/]" if host.ssh else "[red]no answer[/]",
        )
    cameras = lab_ops.load_state(settings).cameras
    for camera in cameras:
        running = camera.pid is not None and alive(camera.pid)
        table.add_row(
            camera.name,
            str(camera.site),
            camera.address,
            "yes" if running else "[red]stopped[/]",
            "[dim]-[/] (ONVIF camera)",
        )
    console.print(table)
    if not all(h.ssh for h in hosts):
        raise typer.Exit(1)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def ssh(
    host: HostArgument,
    command: Annotated[
        list[str] | None, typer.Argument(help="After --: a command to run instead of a shell.")
    ] = None,
) -> None:
    """Open a shell on a lab host, or run one command line: `tcd lab ssh HOST -- 'CMD | …'`
    runs it as `ssh HOST 'CMD | …'` does and exits with its status."""
    settings = lab_settings()
    state = _guard(lambda: lab_ops.load_state(settings))
    _guard(lambda: state.host(host))
    # as ssh does: the words after -- are joined and the remote shell parses the line, so
    # `-- 'cmd | other'` runs a pipeline there
    argv = lab_ops.ssh_argv(settings, host, command or ())
    if not command:
        argv.insert(1, "-t")
    os.execvp(argv[0], argv)


MachineArgument = Annotated[
    str, typer.Argument(help="A lab host (tcd-26380-pc1, tcd-hub-province) or IP camera.")
]


@app.command()
def stop(host: MachineArgument) -> None:
    """Power a lab host off, as a site going offline (its disk is kept), or unplug a lab IP
    camera (its settings are kept)."""
    settings = lab_settings()
    state = _guard(lambda: lab_ops.load_state(settings))
    if any(c.name == host for c in state.cameras):
        _guard(lambda: lab_cameras.power(settings, state, host, on=False))
    else:
        _guard(lambda: lab_ops.stop_host(settings, host))
    console.print(f"{host} stopped")


@app.command()
def start(host: MachineArgument) -> None:
    """Boot a stopped lab host again and wait until it answers on SSH, or plug a lab IP camera
    back in."""
    settings = lab_settings()
    state = _guard(lambda: lab_ops.load_state(settings))
    if any(c.name == host for c in state.cameras):
        _guard(lambda: lab_cameras.power(settings, state, host, on=True))
    else:
        with RichReporter() as reporter:
            _guard(lambda: lab_ops.start_host(settings, host, reporter))
    console.print(f"{host} started")


@app.command("reset-camera")
def reset_camera(
    camera: Annotated[str, typer.Argument(help="A lab IP camera, e.g. tcd-26380-cam1.")],
) -> None:
    """Reset a lab camera to its factory settings (factory password, no NTP, 720p, HTTP on),
    as a camera replaced or reset on site; `tcd rollout` configures it again."""
    settings = lab_settings()
    state = _guard(lambda: lab_ops.load_state(settings))
    _guard(lambda: lab_cameras.reset_camera(settings, state, camera))
    console.print(f"{camera} reset to factory settings and started again")
