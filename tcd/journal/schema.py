"""The journal's schema: brought to Alembic's head revision whenever a journal is opened, so a
journal written by an older tcd is upgraded on first use (by a role allowed to: on PostgreSQL,
runs usually connect with one that may only write rows, and the owner runs `tcd journal
upgrade`)."""

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

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


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head() -> str:
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None
    return revision


def known(revision: str) -> bool:
    return any(
        s.revision == revision
        for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    )


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


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
