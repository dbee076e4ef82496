"""The journal's writes that could not reach the database, kept in the state folder until the
next run writes them.

A run whose database goes away (a shared PostgreSQL server restarted, a link down) goes on: its
site results are appended here, one JSON line each, fsynced, in the order they happened, in one
file per run (<state>/journal-spool/<run>.jsonl). The run holds an exclusive flock on its file
while it lives, so another process replays only a finished run's file: the whole file in one
transaction, then the file is removed; a replay that fails keeps it for the next time.
"""

import contextlib
import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

FOLDER = "journal-spool"
SUFFIX = ".jsonl"
REJECTED = ".rejected"  # a file the database refused for a reason other than being away


@dataclass
class Entry:
    database: str  # the journal's URL, masked: a spool is only written back where it belongs
    call: str  # set_sites | record_site | finish_run
    run: int
    when: dt.datetime  # when it happened (not when it is written back)
    arguments: dict[str, Any]

    def line(self) -> str:
        return json.dumps(
            {
                "database": self.database,
                "call": self.call,
                "run": self.run,
                "when": self.when.isoformat(),
                "arguments": self.arguments,
            },
            ensure_ascii=False,
        )

    @classmethod
    def parse(cls, line: str) -> "Entry":
        raw = json.loads(line)
        return cls(
            raw["database"],
            raw["call"],
            raw["run"],
            dt.datetime.fromisoformat(raw["when"]),
            raw["arguments"],
        )


class Spool:
    def __init__(self, state_dir: Path) -> None:
        self.folder = state_dir / FOLDER
        self._open: dict[int, IO[str]] = {}

    def path(self, run: int) -> Path:
        return self.folder / f"{run}{SUFFIX}"

    def append(self, entry: Entry) -> None:
        """One line, on disk before this returns (a controller that loses power keeps it)."""
        file = self._open.get(entry.run)
        if file is None:
            new = not self.folder.is_dir()
            self.folder.mkdir(parents=True, exist_ok=True)
            if new:
                _fsync_dir(self.folder.parent)
            file = self.path(entry.run).open("a", encoding="utf-8")
            # held until close(): while this run lives, nobody else writes its file back
            fcntl.flock(file, fcntl.LOCK_EX)
            self._open[entry.run] = file
            _fsync_dir(self.folder)
        # one write of the whole line: a crash leaves at most a torn last line, skipped on replay
        file.write(entry.line() + "\n")
        file.flush()
        os.fsync(file.fileno())

    def close(self) -> None:
        for file in self._open.values():
            file.close()
        self._open.clear()

    def files(self) -> list[Path]:
        """The spooled runs, oldest first."""
        if not self.folder.is_dir():
            return []
        found = [p for p in self.folder.glob(f"*{SUFFIX}") if p.stem.isdigit()]
        return sorted(found, key=lambda p: int(p.stem))

    def pending(self) -> int:
        """Writes waiting in the spool (a read: no lock taken)."""
        return sum(len(_entries(p.read_text(encoding="utf-8"))) for p in self.files())

    @contextlib.contextmanager
    def claim(self, path: Path) -> Iterator[list[Entry] | None]:
        """A finished run's entries, under its file's lock; None when a live run still holds
        it (or it is gone or empty: a run that has just created it and not yet written)."""
        try:
            file = path.open("r+", encoding="utf-8")
        except FileNotFoundError:
            yield None
            return
        with file:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield None
                return
            entries = _entries(file.read()) if path.exists() else []
            yield entries or None

    @staticmethod
    def done(path: Path) -> None:
        path.unlink()
        _fsync_dir(path.parent)

    @staticmethod
    def reject(path: Path) -> Path:
        kept = path.with_name(path.name + REJECTED)
        path.replace(kept)
        return kept


def _entries(text: str) -> list[Entry]:
    entries = []
    for line in text.splitlines():
        try:
            entries.append(Entry.parse(line))
        except (ValueError, KeyError, TypeError):
            continue  # a line torn by a crash mid-write: everything before it is whole
    return entries


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
