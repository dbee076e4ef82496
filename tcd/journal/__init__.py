"""The journal: every rollout and verify, site by site, and the WireGuard public-key registry,
in a database through SQLAlchemy (an SQLite file under the state folder by default), its schema
kept by Alembic (migrations/)."""

from tcd.journal.journal import Journal, JournalError, journal_url

__all__ = ["Journal", "JournalError", "journal_url"]
