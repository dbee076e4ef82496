"""Alembic's environment: the connection `tcd` hands over, or a URL from `-x url=…` or
TCD_DATABASE_URL when Alembic's CLI runs it."""

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine

from tcd.journal.models import Base

config = context.config
if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite alters a table by copying it: Alembic's batch mode does that
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "TCD_DATABASE_URL"
    )
    if not url:
        raise SystemExit(
            "give the journal's URL: alembic -x url=sqlite:///PATH … (or TCD_DATABASE_URL)"
        )
    engine = create_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()
