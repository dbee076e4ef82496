"""Options and helpers shared by every command."""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from tcd.loading import Inventory, InventoryError, load_inventory
from tcd.model.site import Site
from tcd.paths import DEFAULT_INVENTORY
from tcd.planning import Plan, plan_addresses
from tcd.text import counted

# Docstrings are wrapped to 100 columns in the source: markdown joins their lines, so help
# reflows to the terminal instead of breaking mid-sentence (write `<word>` in backquotes).
HELP_MARKUP = "markdown"
EXIT_INVALID = 2  # bad usage or invalid inventory, as for click's usage errors

# Piped output (CI logs, `| less`) keeps full lines instead of rich's 80-column default.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
# Problems go to stderr one per line, never wrapped, so editors and grep can jump to FILE:LINE.
errors = Console(stderr=True, highlight=False, soft_wrap=True)

InventoryOption = Annotated[
    Path,
    typer.Option(
        "--inventory",
        "-i",
        envvar="TCD_INVENTORY",
        help="Inventory folder.",
        file_okay=False,
    ),
]
DEFAULT = DEFAULT_INVENTORY
WaveOption = Annotated[
    str | None, typer.Option("--wave", "-w", help="Only the sites of this wave.")
]
AllOption = Annotated[bool, typer.Option("--all", help="Every site of the inventory.")]
SitesOption = Annotated[
    str | None,
    typer.Option("--sites", "-s", help="Only these sites: admin codes, comma-separated."),
]


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    errors.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


def refuse_password(url: str, option: str) -> None:
    """A password on the command line shows in `ps` to every user of the machine."""
    from tcd.journal.urls import has_password  # noqa: PLC0415 - as in _use_database

    if has_password(url):
        fail(
            f"{option} holds a password, which `ps` shows to everyone on this machine: put it in"
            " ~/.pgpass (or PGPASSFILE, a service file, PGPASSWORD) and give the URL without it"
        )


def _use_database(url: str | None) -> str | None:
    """`--database` is handed down as TCD_DATABASE_URL, for this process and what it starts
    (tcd.journal.urls.journal_url reads it)."""
    # here, not at the top: only the commands that open the journal pay for SQLAlchemy's import
    from tcd.journal.urls import DATABASE_ENV  # noqa: PLC0415

    if url is None:
        return None
    refuse_password(url, "--database")
    os.environ[DATABASE_ENV] = url
    return url


DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        metavar="URL",
        help="The journal's database, e.g. `postgresql://tcd@db.example:5432/tcd` (default: "
        "TCD_DATABASE_URL, else the target's SQLite file); the password comes from ~/.pgpass, "
        "never the URL.",
        callback=_use_database,
        show_default=False,
    ),
]


def load_valid(inventory_dir: Path) -> Inventory:
    """The validated inventory, or every problem on stderr and exit 2."""
    with _problems_exit(inventory_dir):
        return load_inventory(inventory_dir)


def load_planned(inventory_dir: Path) -> tuple[Inventory, Plan]:
    """The validated inventory and its address plan, or every problem on stderr and exit 2."""
    with _problems_exit(inventory_dir):
        inventory = load_inventory(inventory_dir)
        return inventory, plan_addresses(inventory)


@contextmanager
def _problems_exit(inventory_dir: Path) -> Iterator[None]:
    try:
        yield
    except InventoryError as exc:
        for problem in exc.problems:
            errors.print(str(problem), markup=False)
        count = len(exc.problems)
        errors.print(f"{counted(count, 'problem')} in {inventory_dir}; nothing was written.")
        raise typer.Exit(EXIT_INVALID) from None


def select_sites(
    inventory: Inventory,
    wave: str | None,
    sites: str | None,
    all_sites: bool = False,
    *,
    required: bool = False,
) -> list[Site]:
    """The sites of --wave, --sites or --all (one of them; with none: every site, unless
    `required`, for commands that change or start things)."""
    given = [name for name, value in (("--wave", wave), ("--sites", sites)) if value is not None]
    given += ["--all"] if all_sites else []
    if len(given) > 1:
        fail(f"give one of --wave, --sites, --all (got {' and '.join(given)})")
    if required and not given:
        fail("choose the sites: --wave W, --sites CODE,… or --all (e.g. --wave pilot)")
    codes = None
    if sites is not None:
        try:
            codes = [int(code) for code in sites.split(",") if code.strip()]
        except ValueError:
            fail(f"--sites takes admin codes separated by commas, e.g. 26380,25217 (got {sites!r})")
    try:
        return inventory.select(wave=wave, codes=codes)
    except KeyError as exc:
        fail(exc.args[0])
