"""A journal copied into another database, row for row with its ids: how a controller's SQLite
journal moves to the PostgreSQL one several teams share (`tcd journal copy --to …`)."""

from dataclasses import dataclass

from sqlalchemy import Connection, DateTime, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from tcd.journal.journal import Journal, JournalError, _reason, utc
from tcd.journal.models import Base

BATCH = 1000


@dataclass
class Copied:
    tables: dict[str, int]  # table -> rows copied, parents first

    @property
    def total(self) -> int:
        return sum(self.tables.values())


def copy_journal(source: Journal, destination: Journal) -> Copied:
    """Every row of every table (runs, sites, hosts, results, the key registry), ids kept, in
    one transaction on the destination. The destination must be empty: merging two journals
    would give two runs one id."""
    if source.engine.url == destination.engine.url:
        raise JournalError(f"journal {source.masked_url}: copied onto itself")
    tables = Base.metadata.sorted_tables  # parents before children: foreign keys hold
    try:
        with source.engine.connect() as read, destination.engine.begin() as write:
            held = {
                t.name: n
                for t in tables
                if (n := write.scalar(select(func.count()).select_from(t)))
            }
            if held:
                rows = ", ".join(f"{n} in {name}" for name, n in held.items())
                raise JournalError(
                    f"journal {destination.masked_url} is not empty ({rows}): copy into a new "
                    "database"
                )
            copied = {}
            for table in tables:
                dates = [c.name for c in table.columns if isinstance(c.type, DateTime)]
                count = 0
                result = read.execute(select(table).order_by(*table.primary_key.columns))
                while batch := result.mappings().fetchmany(BATCH):
                    # SQLite keeps naive UTC: PostgreSQL would read a naive time in its own zone
                    rows = [{**row, **{d: utc(row[d]) for d in dates}} for row in batch]
                    write.execute(insert(table), rows)
                    count += len(rows)
                copied[table.name] = count
            _advance_sequences(write)
    except JournalError:
        raise
    except (SQLAlchemyError, OSError, ValueError) as exc:  # either side's driver: named, masked
        raise JournalError(
            f"journal copy {source.masked_url} -> {destination.masked_url}: {_reason(exc)}"
        ) from None
    return Copied(copied)


def _advance_sequences(connection: Connection) -> None:
    """Ids were given, not drawn: PostgreSQL's sequences must start past them, or the next run
    gets an id that is taken."""
    if connection.dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        (key,) = table.primary_key.columns if len(table.primary_key.columns) == 1 else (None,)
        if key is None or not key.autoincrement or key.type.python_type is not int:
            continue
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, :column),"
                f" coalesce((SELECT max({key.name}) FROM {table.name}), 0) + 1, false)"
            ),
            {"table": table.name, "column": key.name},
        )
