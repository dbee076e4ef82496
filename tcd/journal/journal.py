"""Opening the journal, writing a run as it goes, reading it back.

The journal is an SQLite file in the state folder (one controller) or a PostgreSQL database that
several controllers share (`--database` / TCD_DATABASE_URL). A run's writes that cannot reach
the database go to a spool in the state folder (tcd.journal.spool) and are written back by the
next journal opened there."""

import datetime as dt
import getpass
import logging
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from tcd.journal import schema
from tcd.journal.lock import Waiting, hub_lock
from tcd.journal.models import HostRun, HubKey, Result, Run, SiteRun, SpokeKey
from tcd.journal.provenance import git_state
from tcd.journal.spool import Entry, Spool
from tcd.journal.urls import (
    DATABASE_ENV,
    FILE_NAME,
    engine_url,
    journal_url,
    mask_arguments,
    masked,
)
from tcd.model.province import Office
from tcd.planning.keys import PublicKeys
from tcd.text import counted

__all__ = ["DATABASE_ENV", "FILE_NAME", "HostOutcome", "Journal", "JournalError", "journal_url"]

log = logging.getLogger(__name__)
# a database that does not answer is a spooled run after this long, not a run that hangs
CONNECT_TIMEOUT_S = 10
SQLITE_WAL_TRIES = 100


class JournalError(RuntimeError):
    """The journal cannot be opened or written (its URL is named with the password masked)."""


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def utc(when: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives back naive datetimes: the journal writes UTC only."""
    if when is None:
        return when
    if when.tzinfo is None:
        return when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)


def operator() -> str:
    """The person: under sudo, who ran sudo."""
    return os.environ.get("SUDO_USER") or getpass.getuser()


@dataclass
class HostOutcome:
    """What a run did on one host, as the journal keeps it."""

    name: str
    state: str  # unchanged | changed | failed | unreachable
    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    attention: list[str] = field(default_factory=list)
    controls: list[tuple[str, str]] = field(default_factory=list)  # (control, detail) not passed

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "HostOutcome":
        controls = [(c, d) for c, d in raw.pop("controls", [])]
        return cls(**raw, controls=controls)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        # WAL: `tcd status` reads while a rollout writes; each commit is durable on its own,
        # so a killed rollout leaves every row it committed
        _wal(cursor)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _wal(cursor: Any) -> None:
    """Two processes opening a new journal at once both switch it to WAL, and SQLite answers
    the second "locked" at once, without its busy timeout: it tries again."""
    for _ in range(SQLITE_WAL_TRIES - 1):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.1)
    cursor.execute("PRAGMA journal_mode=WAL")


def _engine(url: URL) -> Engine:
    if url.get_backend_name() != "postgresql":
        return create_engine(url)
    query = url.query
    connect: dict[str, Any] = {
        # the journal keeps UTC: timestamps read back the same whatever the server's zone
        "options": " ".join(filter(None, [str(query.get("options") or ""), "-c TimeZone=UTC"])),
    }
    if "connect_timeout" not in query:
        connect["connect_timeout"] = CONNECT_TIMEOUT_S
    # pre-ping: a pooled connection the server dropped (a restart) is replaced, not failed on
    return create_engine(url, pool_pre_ping=True, connect_args=connect)


def connection_lost(exc: SQLAlchemyError, dialect: str) -> bool:
    """The database is away (not: the statement was wrong). An SQLite file does not go away,
    but one locked by another writer past the busy timeout is as good as away."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError | InterfaceError):
        return dialect != "sqlite" or "locked" in str(exc.orig)
    return False


class Journal:
    def __init__(self, url: str, state_dir: Path | None = None) -> None:
        """The journal at `url`, at the schema's head. With `state_dir` (the target's state
        folder), writes of a run that cannot reach the database are spooled there, and what
        earlier runs spooled there is written back now."""
        self.url = url
        self.spool = Spool(state_dir) if state_dir is not None else None
        self.spooled = 0  # writes this journal object sent to the spool
        self.spool_reason: str | None = None  # why: the driver's first line
        self._spooling: set[int] = set()
        self._sqlite_file: Path | None = None
        try:
            parsed = engine_url(url)
            if parsed.get_backend_name() == "sqlite" and parsed.database:
                self._sqlite_file = Path(parsed.database)
                self._sqlite_file.parent.mkdir(parents=True, exist_ok=True)
            self.engine = _engine(parsed)
            if self.engine.dialect.name == "sqlite":
                _sqlite_pragmas(self.engine)
            schema.ensure_head(self.engine)
        except schema.SchemaError as exc:
            raise JournalError(f"journal {masked(url)}: {exc}") from None
        except (SQLAlchemyError, OSError, ValueError) as exc:
            raise JournalError(f"journal {masked(url)}: {_reason(exc)}") from None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.replay_spool()

    @classmethod
    def for_state(cls, state_dir: Path) -> "Journal":
        """A target's journal (journal_url), spooling into its state folder."""
        return cls(journal_url(state_dir), state_dir)

    @property
    def masked_url(self) -> str:
        return masked(self.url)

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()
        self.engine.dispose()

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """One transaction: committed whole or not at all."""
        try:
            with self._sessions.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            raise JournalError(f"journal {masked(self.url)}: {_reason(exc)}") from None

    def hub_lock(self, waiting: Waiting | None = None) -> AbstractContextManager[None]:
        """Held while a hub's peers are read from the registry and written to the hub: every
        controller sharing this journal waits for it (without end: a hub takes minutes),
        calling `waiting(seconds_so_far)` about once a second meanwhile. Released on exit, and
        by the database (PostgreSQL) or the kernel (SQLite) if the process or its connection
        dies. JournalError when the database cannot be reached.

        Test-only: TCD_TEST_HUB_LOCK=off makes it a no-op, for the test that shows what two
        rollouts do to the hubs without it (never set it in the field)."""
        return self._hub_lock(waiting)

    @contextmanager
    def _hub_lock(self, waiting: Waiting | None) -> Iterator[None]:
        with ExitStack() as stack:
            try:
                stack.enter_context(hub_lock(self.engine, self._sqlite_file, waiting))
            except (SQLAlchemyError, OSError) as exc:
                raise JournalError(
                    f"journal {masked(self.url)}: hub lock: {_reason(exc)}"
                ) from None
            yield

    # -- writing a run ------------------------------------------------------------------------

    def start_run(
        self,
        *,
        kind: str,
        target: str,
        wave: str | None,
        arguments: list[str],
        inventory_digest: str,
        dry: bool = False,
        log_path: Path | None = None,
        resumed_from: int | None = None,
        sites: Iterable[tuple[int, str | None, int | None]] = (),
    ) -> int:
        """A new run, `running`, with its sites (code, wave, batch) `pending`. What earlier runs
        spooled goes in first (a run that cannot start is an error, not spooled: it has no id
        yet)."""
        self.replay_spool()
        commit, dirty = git_state()
        with self._session() as session:
            run = Run(
                kind=kind,
                target=target,
                wave=wave,
                operator=operator(),
                controller=socket.gethostname(),
                pid=os.getpid(),
                git_commit=commit,
                git_dirty=dirty,
                inventory_digest=inventory_digest,
                arguments=mask_arguments(arguments),
                dry=dry,
                started_at=now(),
                outcome="running",
                log_path=str(log_path) if log_path else None,
                resumed_from=resumed_from,
            )
            run.sites = [
                SiteRun(code=code, wave=w, batch=batch, state="pending", operations_changed=0)
                for code, w, batch in sites
            ]
            session.add(run)
            session.flush()
            return run.id

    def set_sites(
        self, run_id: int, codes: Iterable[int], state: str, reason: str | None = None
    ) -> None:
        """Several sites of a run move to `state` at once (e.g. `running`, `not started`)."""
        self._write("set_sites", run_id, {"codes": list(codes), "state": state, "reason": reason})

    def record_site(
        self,
        run_id: int,
        code: int,
        *,
        state: str,
        reason: str | None = None,
        hosts: Iterable[HostOutcome] = (),
        verify: dict[str, int] | None = None,
    ) -> None:
        """A site's outcome and its hosts' results, in one transaction."""
        arguments = {
            "code": code,
            "state": state,
            "reason": reason,
            "hosts": [asdict(h) for h in hosts],
            "verify": verify,
        }
        self._write("record_site", run_id, arguments)

    def finish_run(self, run_id: int, outcome: str) -> None:
        self._write("finish_run", run_id, {"outcome": outcome})

    def _write(self, call: str, run_id: int, arguments: dict[str, Any]) -> None:
        """A write of a run, or into the spool once the database is away: the rest of the run
        follows it there, so the spool replays in the order things happened."""
        entry = Entry(masked(self.url), call, run_id, now(), arguments)
        if run_id not in self._spooling:
            try:
                with self._sessions.begin() as session:
                    _apply(session, entry)
                return
            except SQLAlchemyError as exc:
                if self.spool is None or not connection_lost(exc, self.engine.dialect.name):
                    raise JournalError(f"journal {masked(self.url)}: {_reason(exc)}") from None
                self.spool_reason = _reason(exc)
                self._spooling.add(run_id)
                log.warning("journal %s unreachable: %s", masked(self.url), self.spool_reason)
        assert self.spool is not None
        try:
            self.spool.append(entry)
        except OSError as exc:
            raise JournalError(
                f"journal {masked(self.url)}: unreachable ({self.spool_reason}), "
                f"and its spool {self.spool.folder} cannot be written: {exc}"
            ) from None
        self.spooled += 1

    # -- the spool ----------------------------------------------------------------------------

    def spool_notice(self) -> str | None:
        """One line for the end of a run whose writes were spooled, else None."""
        if not self.spooled or self.spool is None:
            return None
        return (
            f"journal unreachable ({masked(self.url)}: {self.spool_reason}): "
            f"{counted(self.spooled, 'write')} of run {', '.join(map(str, sorted(self._spooling)))}"
            f" kept in {self.spool.folder}; they are written to the journal on the next run"
        )

    def spool_pending(self) -> int:
        """Writes still waiting in this state folder's spool (for `tcd status` to say so)."""
        return self.spool.pending() if self.spool is not None else 0

    def replay_spool(self) -> int:
        """Writes what finished runs spooled here, run by run, each run in one transaction,
        and removes its file; a run the database still cannot take stays spooled. A run of
        another database (the URL changed since) stays too. Returns the writes written back."""
        if self.spool is None:
            return 0
        written = 0
        for path in self.spool.files():
            with self.spool.claim(path) as entries:
                if not entries or any(e.database != masked(self.url) for e in entries):
                    continue
                try:
                    with self._sessions.begin() as session:
                        for entry in entries:
                            _apply(session, entry)
                except (SQLAlchemyError, LookupError, ValueError, TypeError) as exc:
                    if isinstance(exc, SQLAlchemyError) and connection_lost(
                        exc, self.engine.dialect.name
                    ):
                        return written
                    kept = self.spool.reject(path)
                    log.warning(
                        "journal spool %s refused (%s): kept as %s", path, _reason(exc), kept
                    )
                    continue
                self.spool.done(path)
                written += len(entries)
                log.info("journal spool %s written back (%d writes)", path, len(entries))
        return written

    # -- reading ------------------------------------------------------------------------------

    def run(self, run_id: int) -> Run | None:
        with self._session() as session:
            return session.scalars(
                select(Run)
                .where(Run.id == run_id)
                .options(
                    selectinload(Run.sites)
                    .selectinload(SiteRun.hosts)
                    .selectinload(HostRun.results)
                )
            ).one_or_none()

    def runs(self, *, target: str | None = None, limit: int = 20) -> list[Run]:
        """The most recent runs first."""
        query = select(Run).order_by(Run.id.desc()).limit(limit)
        if target is not None:
            query = query.where(Run.target == target)
        with self._session() as session:
            return list(session.scalars(query.options(selectinload(Run.sites))))

    def last_run(self, *, target: str, kind: str, wave: str | None) -> Run | None:
        query = (
            select(Run)
            .where(Run.target == target, Run.kind == kind, Run.wave == wave, Run.dry.is_(False))
            .order_by(Run.id.desc())
            .limit(1)
            .options(selectinload(Run.sites))
        )
        with self._session() as session:
            return session.scalars(query).one_or_none()

    def latest_sites(self, *, target: str, kind: str) -> dict[int, SiteRun]:
        """Per site code, its row in the latest (not dry) run of `kind` that reached it."""
        touched = (
            select(func.max(SiteRun.id))
            .join(Run)
            .where(
                Run.target == target,
                Run.kind == kind,
                Run.dry.is_(False),
                SiteRun.state.not_in(("pending", "not started")),
            )
            .group_by(SiteRun.code)
        )
        with self._session() as session:
            rows = session.scalars(
                select(SiteRun).where(SiteRun.id.in_(touched)).options(selectinload(SiteRun.run))
            )
            return {row.code: row for row in rows}

    # -- the WireGuard public-key registry ----------------------------------------------------

    def load_keys(self) -> PublicKeys:
        with self._session() as session:
            keys = PublicKeys(
                hubs={Office(k.office): k.public_key for k in session.scalars(select(HubKey))}
            )
            for key in session.scalars(select(SpokeKey)):
                keys.spokes.setdefault(key.host, {})[Office(key.office)] = key.public_key
            return keys

    def save_keys(self, keys: PublicKeys) -> None:
        """Adds and updates; never removes (a key stays known while its host may have it)."""
        when = now()
        with self._session() as session:
            for office, public_key in keys.hubs.items():
                session.merge(HubKey(office=office.value, public_key=public_key, updated_at=when))
            for host, offices in keys.spokes.items():
                for office, public_key in offices.items():
                    session.merge(
                        SpokeKey(
                            host=host, office=office.value, public_key=public_key, updated_at=when
                        )
                    )


def _apply(session: Session, entry: Entry) -> None:
    """One write of a run, at the time it happened (a spooled one is written back later)."""
    arguments, when = entry.arguments, entry.when
    if entry.call == "set_sites":
        _set_sites(session, entry.run, when=when, **arguments)
    elif entry.call == "record_site":
        _record_site(session, entry.run, when=when, **arguments)
    elif entry.call == "finish_run":
        run = session.get(Run, entry.run)
        if run is None:
            raise LookupError(f"no run {entry.run}")
        run.outcome, run.ended_at = arguments["outcome"], when
    else:
        raise ValueError(f"unknown journal write {entry.call!r}")


def _set_sites(
    session: Session,
    run_id: int,
    *,
    codes: list[int],
    state: str,
    reason: str | None,
    when: dt.datetime,
) -> None:
    rows = session.scalars(select(SiteRun).where(SiteRun.run_id == run_id, SiteRun.code.in_(codes)))
    for row in rows:
        row.state, row.reason = state, reason
        if state == "running":
            row.started_at = when
        elif state == "deployed":
            row.deployed_at = when
        elif state != "verifying":
            row.ended_at = when


def _record_site(
    session: Session,
    run_id: int,
    *,
    when: dt.datetime,
    code: int,
    state: str,
    reason: str | None,
    hosts: list[dict[str, Any]],
    verify: dict[str, int] | None,
) -> None:
    row = session.scalars(
        select(SiteRun).where(SiteRun.run_id == run_id, SiteRun.code == code)
    ).one()
    row.state, row.reason = state, reason
    if state == "deployed":
        row.deployed_at = when
    else:
        row.ended_at = when
    if verify is not None:
        row.verify = verify
    for outcome in map(HostOutcome.from_json, hosts):
        host = next((h for h in row.hosts if h.name == outcome.name), None)
        if host is None:
            host = HostRun(name=outcome.name, state=outcome.state)
            row.hosts.append(host)
        elif outcome.state != "unchanged":
            host.state = outcome.state
        host.results.extend(
            [
                *(Result(kind="changed", name=n) for n in outcome.changes),
                *(Result(kind="error", name="error", detail=e[:4096]) for e in outcome.errors),
                *(Result(kind="attention", name="attention", detail=a) for a in outcome.attention),
                *(Result(kind="control", name=c, detail=d[:4096]) for c, d in outcome.controls),
            ]
        )
        row.operations_changed += len(outcome.changes)


def _reason(exc: BaseException) -> str:
    """The driver's message (SQLAlchemy's own repeats the statement and its parameters)."""
    original = getattr(exc, "orig", None)
    return str(original if original is not None else exc).splitlines()[0]
