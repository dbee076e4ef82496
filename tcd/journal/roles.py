"""The PostgreSQL roles of a shared journal: an owner that creates and upgrades the schema
(`tcd journal upgrade`), and writers that runs connect as, which may read and write rows but not
change or drop a table. The statements are printed for the owner to run, never run by tcd."""

# Alembic's bookkeeping: a writer reads which revision the journal is at, and nothing more
VERSION_TABLE = "alembic_version"


def _ident(name: str) -> str:
    """A role, database or schema name quoted for SQL (a role may be `team-2`)."""
    return '"' + name.replace('"', '""') + '"'


def grant_statements(role: str, database: str, schema: str = "public") -> list[str]:
    """What the journal's owner runs (connected to the journal's database, after `tcd journal
    upgrade`) so that `role` can write runs: rows of every table, the ids' sequences, and the
    same on tables a later upgrade creates (default privileges of the owner)."""
    r, d, s = _ident(role), _ident(database), _ident(schema)
    return [
        f"GRANT CONNECT ON DATABASE {d} TO {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"REVOKE INSERT, UPDATE, DELETE ON {s}.{VERSION_TABLE} FROM {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES"
        f" TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]
