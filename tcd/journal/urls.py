"""The journal's URL: which database, how SQLAlchemy is told, and how it is shown.

A password never comes through tcd itself: libpq reads it from ~/.pgpass, PGPASSFILE, a service
file (PGSERVICEFILE) or PGPASSWORD. Anything that shows a URL (errors, the journal's record of a
run's arguments, the spool) shows it with its password masked."""

import os
import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url

FILE_NAME = "journal.sqlite"
DATABASE_ENV = "TCD_DATABASE_URL"
MASK = "***"
# scheme://user:PASSWORD@ anywhere in a string: what masking falls back to when the URL cannot be
# parsed (a malformed URL is still shown, and may still hold a password)
_USERINFO = re.compile(r"(?P<head>[A-Za-z][\w+.-]*://[^/?#@\s:]*:)(?P<password>[^@\s]*)(?=@)")
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&]password=)(?P<password>[^&\s]*)", re.IGNORECASE)


def journal_url(state_dir: Path) -> str:
    """TCD_DATABASE_URL when set (one journal for several targets: runs name theirs; `--database`
    sets it for the process), else the embedded default, an SQLite file in the target's state
    folder."""
    return os.environ.get(DATABASE_ENV) or f"sqlite:///{(state_dir / FILE_NAME).resolve()}"


def masked(url: str) -> str:
    """The URL as it may be shown: its password (in the user part or the query) as ***."""
    text = _USERINFO.sub(lambda m: m["head"] + MASK, url)
    return _QUERY_PASSWORD.sub(lambda m: m["head"] + MASK, text)


def mask_arguments(arguments: list[str]) -> list[str]:
    """A command line as the journal keeps it: any URL in it masked."""
    return [masked(argument) for argument in arguments]


def has_password(url: str) -> bool:
    try:
        parsed = make_url(url)
    except ValueError:
        return masked(url) != url
    return parsed.password is not None or "password" in parsed.query


def is_postgresql(url: str) -> bool:
    return url.startswith(("postgresql:", "postgresql+", "postgres:"))


def engine_url(url: str) -> URL:
    """What SQLAlchemy is given: `postgresql://…` (libpq's own form) through psycopg 3, the only
    PostgreSQL driver tcd installs; any other URL as it is."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed
