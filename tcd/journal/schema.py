"""The journal's schema: brought to Alembic's head revision whenever a journal is opened, so a
journal written by an older tcd is upgraded on first use (by a role allowed to: on PostgreSQL,
runs usually connect with one that may only write rows, and the owner runs `tcd journal
upgrade`)."""

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, column, inspect, select, table, text
from sqlalchemy.exc import DBAPIError

from tcd.journal.roles import VERSION_TABLE

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Two controllers opening an old shared journal at once would both migrate it: the second waits
# for the first on this PostgreSQL advisory lock (any 64-bit number no other tool uses), then
# finds it at head.
MIGRATION_LOCK_KEY = 0x7463_645F_6D69_67  # "tcd_mig"
INSUFFICIENT_PRIVILEGE = "42501"
# Alembic's `context` and `op` are module globals: one migration at a time in a process
_ALEMBIC = threading.Lock()  # PostgreSQL's SQLSTATE for "permission denied", "must be owner"


class SchemaError(RuntimeError):
    """The journal is not at the revision this tcd needs and cannot be brought there."""


# Alembic (~11 MB) is imported only to migrate or to look at a revision this tcd does not have:
# a run finds its journal at head by these two reads alone.


def alembic_config() -> "Config":
    from alembic.config import Config  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head() -> str:
    """The newest revision. Revisions are numbered and each migration's file is named by its
    own (0002_public_key_registry.py); tests/test_journal.py checks this is Alembic's head."""
    return max(path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def known(revision: str) -> bool:
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    return any(
        s.revision == revision
        for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    )


def _current(connection: Connection) -> str | None:
    """The journal's revision, read as Alembic reads it (its version table; None if there is
    none: an empty database)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    versions = table(VERSION_TABLE, column("version_num"))
    found = connection.execute(select(versions.c.version_num)).scalars().all()
    return found[0] if len(found) == 1 else None


def current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return _current(connection)


def upgrade(engine: Engine, revision: str = "head") -> None:
    if revision == "head" and current(engine) == head():
        return
    config = alembic_config()
    with _ALEMBIC, engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        if revision == "head" and _current(connection) == head():
            return
        config.attributes["connection"] = connection
        from alembic import command  # noqa: PLC0415

        command.upgrade(config, revision)


def ensure_head(engine: Engine) -> None:
    """The journal at head: upgraded if it is behind and this role may; else SchemaError with
    what to do."""
    at = current(engine)
    if at == head():
        return
    if at is not None and not known(at):
        raise SchemaError(
            f"journal at revision {at}, newer than this tcd knows ({head()}): update tcd"
        )
    try:
        upgrade(engine)
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
            raise
        raise SchemaError(
            f"journal at revision {at or 'none (empty)'}, tcd needs {head()}: ask the database "
            "owner to run `tcd journal upgrade`"
        ) from None
