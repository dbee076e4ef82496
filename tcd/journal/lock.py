"""The hub lock: one controller at a time reads the registry and writes a hub's peers, so two
rollouts sharing a journal update a hub one after the other and neither drops the other's sites.

PostgreSQL: a session advisory lock on a connection of its own, held while the hub is worked
on; the server drops it with the session, so a controller that dies or loses the database does
not leave the hubs locked. SQLite (one controller): an exclusive flock on a file beside the
journal, dropped by the kernel with the process. Not an exclusive transaction on the journal
itself: that would stop every write to it, the lock holder's own key registry updates and the
other rollout's site results included, for as long as a hub takes.

Both wait by polling, with a callback between tries: a rollout runs under gevent, where a wait
inside the driver or the kernel would freeze every other host's deploy (and Ctrl-C) with it.
"""

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

# any 64-bit number no other tool takes advisory locks with: "tcd_hub"
HUB_LOCK_KEY = 0x7463_645F_6875_62
TEST_SWITCH = "TCD_TEST_HUB_LOCK"
POLL_S = 1.0

Waiting = Callable[[float], None]  # called with the seconds waited so far, between tries


@contextlib.contextmanager
def hub_lock(
    engine: Engine, sqlite_file: Path | None, waiting: Waiting | None, poll_s: float = POLL_S
) -> Iterator[None]:
    if os.environ.get(TEST_SWITCH) == "off":
        yield
    elif engine.dialect.name == "postgresql":
        with _advisory(engine, waiting, poll_s):
            yield
    elif sqlite_file is not None:
        with _flock(sqlite_file.with_name(sqlite_file.name + ".hub-lock"), waiting, poll_s):
            yield
    else:  # an in-memory journal lives in one process: nobody to wait for
        yield


@contextlib.contextmanager
def _advisory(engine: Engine, waiting: Waiting | None, poll_s: float) -> Iterator[None]:
    # autocommit: the lock belongs to the session, and no transaction stays open for minutes
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        _wait(
            lambda: bool(
                connection.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": HUB_LOCK_KEY})
            ),
            waiting,
            poll_s,
        )
    except BaseException:
        connection.close()
        raise
    try:
        yield
    finally:
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": HUB_LOCK_KEY})
        except SQLAlchemyError:
            # the session is gone and its lock with it; the connection must not go back to the
            # pool (a live one would carry the lock to whoever takes it next)
            connection.invalidate()
        connection.close()


@contextlib.contextmanager
def _flock(path: Path, waiting: Waiting | None, poll_s: float) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as file:

        def take() -> bool:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        _wait(take, waiting, poll_s)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


def _wait(take: Callable[[], bool], waiting: Waiting | None, poll_s: float) -> None:
    started = time.monotonic()
    while not take():
        if waiting is not None:
            waiting(time.monotonic() - started)
        time.sleep(poll_s)
