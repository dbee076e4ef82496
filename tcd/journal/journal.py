"""Opening the journal, writing a run as it goes, reading it back."""

import datetime as dt
import getpass
import os
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from tcd.journal import schema
from tcd.journal.models import HostRun, HubKey, Result, Run, SiteRun, SpokeKey
from tcd.journal.provenance import git_state
from tcd.model.province import Office
from tcd.planning.keys import PublicKeys

FILE_NAME = "journal.sqlite"
DATABASE_ENV = "TCD_DATABASE_URL"


class JournalError(RuntimeError):
    """The journal cannot be opened or written (its URL is named with the password masked)."""


def journal_url(state_dir: Path) -> str:
    """TCD_DATABASE_URL when set (one journal for several targets: runs name theirs), else
    the embedded default, an SQLite file in the target's state folder."""
    return os.environ.get(DATABASE_ENV) or f"sqlite:///{(state_dir / FILE_NAME).resolve()}"


def masked(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def utc(when: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives back naive datetimes: the journal writes UTC only."""
    if when is None or when.tzinfo is not None:
        return when
    return when.replace(tzinfo=dt.UTC)


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


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        # WAL: `tcd status` reads while a rollout writes; each commit is durable on its own,
        # so a killed rollout leaves every row it committed
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


class Journal:
    def __init__(self, url: str) -> None:
        self.url = url
        try:
            parsed = make_url(url)
            if parsed.get_backend_name() == "sqlite" and parsed.database:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(url)
            if self.engine.dialect.name == "sqlite":
                _sqlite_pragmas(self.engine)
            schema.upgrade(self.engine)
        except (SQLAlchemyError, OSError, ValueError) as exc:
            raise JournalError(f"journal {masked(url)}: {_reason(exc)}") from None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def for_state(cls, state_dir: Path) -> "Journal":
        return cls(journal_url(state_dir))

    def close(self) -> None:
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
        """A new run, `running`, with its sites (code, wave, batch) `pending`."""
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
                arguments=arguments,
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
        codes = list(codes)
        when = now()
        with self._session() as session:
            rows = session.scalars(
                select(SiteRun).where(SiteRun.run_id == run_id, SiteRun.code.in_(codes))
            )
            for row in rows:
                row.state, row.reason = state, reason
                if state == "running":
                    row.started_at = when
                elif state == "deployed":
                    row.deployed_at = when
                elif state != "verifying":
                    row.ended_at = when

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
        when = now()
        with self._session() as session:
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
            for outcome in hosts:
                host = next((h for h in row.hosts if h.name == outcome.name), None)
                if host is None:
                    host = HostRun(name=outcome.name, state=outcome.state)
                    row.hosts.append(host)
                elif outcome.state != "unchanged":
                    host.state = outcome.state
                results = [
                    *(Result(kind="changed", name=n) for n in outcome.changes),
                    *(Result(kind="error", name="error", detail=e[:4096]) for e in outcome.errors),
                    *(
                        Result(kind="attention", name="attention", detail=a)
                        for a in outcome.attention
                    ),
                    *(Result(kind="control", name=c, detail=d[:4096]) for c, d in outcome.controls),
                ]
                host.results.extend(results)
                row.operations_changed += len(outcome.changes)

    def finish_run(self, run_id: int, outcome: str) -> None:
        with self._session() as session:
            run = session.get(Run, run_id)
            assert run is not None
            run.outcome, run.ended_at = outcome, now()

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


def _reason(exc: BaseException) -> str:
    """The driver's message (SQLAlchemy's own repeats the statement and its parameters)."""
    original = getattr(exc, "orig", None)
    return str(original if original is not None else exc).splitlines()[0]
