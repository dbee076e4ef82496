"""`tcd journal`: the journal's database itself: its schema, its roles, moving it."""

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.engine import make_url

from tcd.cli.common import (
    DEFAULT,
    HELP_MARKUP,
    DatabaseOption,
    InventoryOption,
    console,
    fail,
    load_valid,
    refuse_password,
)
from tcd.cli.lab_cmd import lab_settings
from tcd.journal import Journal, JournalError, journal_url
from tcd.journal.copy import copy_journal
from tcd.journal.roles import grant_statements
from tcd.journal.schema import head
from tcd.journal.urls import is_postgresql, masked
from tcd.lab.lab import LabError
from tcd.lab.target import lab_target
from tcd.target import TargetError, field_target

app = typer.Typer(
    help="The journal's database: upgrade its schema, grant a role, copy it elsewhere.",
    no_args_is_help=True,
    rich_markup_mode=HELP_MARKUP,
)
LabOption = Annotated[bool, typer.Option("--lab", help="The lab's journal, not the field's.")]


def _target_url(lab: bool, inventory: InventoryOption) -> str:
    """The journal a command of this target opens: TCD_DATABASE_URL (or --database), else its
    SQLite file."""
    loaded = load_valid(inventory)
    try:
        target = lab_target(loaded, lab_settings()) if lab else field_target(loaded)
    except (TargetError, LabError) as exc:
        fail(str(exc), code=1)
    return journal_url(target.state_dir)


@app.command()
def upgrade(
    database: DatabaseOption = None,
    lab: LabOption = False,
    inventory: InventoryOption = DEFAULT,
) -> None:
    """Bring the journal's schema to this tcd's revision (every command does it on first use;
    on a shared PostgreSQL journal, runs connect as a role that may not: its owner runs this)."""
    url = _target_url(lab, inventory)
    try:
        Journal(url).close()
    except JournalError as exc:
        fail(str(exc), code=1)
    console.print(f"journal {masked(url)}: at revision {head()}", markup=False)


@app.command()
def grants(
    role: Annotated[str, typer.Argument(help="The role runs connect as, e.g. tcd_writer.")],
    database: DatabaseOption = None,
    lab: LabOption = False,
    inventory: InventoryOption = DEFAULT,
) -> None:
    """Print (not run) the SQL that lets ROLE write the shared journal without changing its
    tables: for the journal's owner to run, connected to its database, after `tcd journal
    upgrade` (docs/journal.md)."""
    url = _target_url(lab, inventory)
    if not is_postgresql(url):
        fail(f"journal {masked(url)} is not PostgreSQL: roles are for a shared journal", code=1)
    name = make_url(url).database
    if not name:
        fail(f"journal {masked(url)} names no database: give --database postgresql:///NAME…")
    for statement in grant_statements(role, name):
        print(f"{statement};")


@app.command()
def copy(
    to: Annotated[
        str, typer.Option("--to", metavar="URL", help="The database to copy into (empty).")
    ],
    source: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="URL",
            help="The journal to copy (default: this target's, as `tcd status` reads it).",
            show_default=False,
        ),
    ] = None,
    lab: LabOption = False,
    inventory: InventoryOption = DEFAULT,
) -> None:
    """Copy every row of a journal (runs, sites, hosts, results, the WireGuard key registry),
    ids kept, into an empty database: e.g. a controller's SQLite journal into the PostgreSQL
    one several teams share (its schema is created there first)."""
    refuse_password(to, "--to")
    if source is not None:
        refuse_password(source, "--from")
    source = source or _target_url(lab, inventory)
    try:
        with Journal(source) as reading, Journal(to) as writing:
            copied = copy_journal(reading, writing)
    except JournalError as exc:
        fail(str(exc), code=1)
    table = Table()
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in copied.tables.items():
        table.add_row(name, str(count))
    console.print(table)
    console.print(
        f"copied {copied.total} rows from {masked(source)} to {masked(to)}; point tcd at it with"
        " --database or TCD_DATABASE_URL",
        markup=False,
    )
