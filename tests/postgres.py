"""A throwaway PostgreSQL server for the tests: Debian's PostgreSQL binaries (./dev installs
them), a cluster in a temporary folder owned by the `postgres` user (the server refuses to run
as root), on 127.0.0.1 at a free port with scram passwords, and on a unix socket in that folder.

Two roles, as docs/journal.md sets them up: an owner (creates and upgrades the schema) and a
writer (what runs connect as: rows only). Their random passwords reach tcd the way they reach it
in the field, through a PGPASSFILE (mode 0600), never through a URL. Each test gets a database
of its own (`postgres` fixture), the server is shared by the session (`postgres_server`)."""

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from tcd.journal import Journal
from tcd.journal.roles import grant_statements

OWNER, WRITER = "tcd_owner", "tcd_writer"


def bin_dir() -> Path:
    """Where initdb and pg_ctl are: pg_config's answer, else the newest Debian install."""
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        found = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True
        ).stdout.strip()
        if (Path(found) / "initdb").is_file():
            return Path(found)
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise RuntimeError("no PostgreSQL server binaries: ./dev setup installs `postgresql`")
    return candidates[-1].parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    root: Path
    port: int
    passwords: dict[str, str]  # role -> password, for the tests that search for it
    bin: Path = field(default_factory=bin_dir)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def sockets(self) -> Path:
        return self.root / "sockets"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    @property
    def passfile(self) -> Path:
        return self.root / "pgpass"

    @property
    def servicefile(self) -> Path:
        return self.root / "pg_service.conf"

    def _as_postgres(self, *argv: str) -> None:
        done = subprocess.run(
            ["runuser", "-u", "postgres", "--", *argv],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{argv[0]} failed: {done.stdout}{done.stderr}{log}")

    def init(self) -> None:
        self.sockets.mkdir(parents=True)
        shutil.chown(self.root, "postgres", "postgres")
        shutil.chown(self.sockets, "postgres", "postgres")
        self._as_postgres(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--no-locale",
            "--encoding=UTF8",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        )
        # the superuser through the private socket folder only (the fixture's own door);
        # every other role with its password, on TCP and on the socket alike
        (self.data / "pg_hba.conf").write_text(
            "local all postgres trust\n"
            "local all all scram-sha-256\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
        )

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port}"
            f" -c unix_socket_directories={self.sockets} -c fsync=off"
        )
        self._as_postgres(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-o",
            options,
            "start",
        )

    def stop(self, mode: str = "immediate") -> None:
        """`immediate`: as a crash or a pulled cable looks to the clients."""
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def admin(self, sql: str, database: str = "postgres") -> None:
        with psycopg.connect(
            host=str(self.sockets),
            port=self.port,
            user="postgres",
            dbname=database,
            autocommit=True,
        ) as connection:
            connection.execute(sql)  # type: ignore[arg-type]

    def url(self, role: str, database: str) -> str:
        return f"postgresql://{role}@127.0.0.1:{self.port}/{database}"

    def socket_url(self, role: str, database: str) -> str:
        return f"postgresql://{role}@/{database}?host={self.sockets}&port={self.port}"


@dataclass
class PostgresDatabase:
    """One test's database, its schema at head (created by the owner), the writer granted."""

    server: PostgresServer
    name: str

    @property
    def owner_url(self) -> str:
        return self.server.url(OWNER, self.name)

    @property
    def writer_url(self) -> str:
        return self.server.url(WRITER, self.name)

    @property
    def socket_url(self) -> str:
        """The writer through the unix socket."""
        return self.server.socket_url(WRITER, self.name)

    @property
    def passwords(self) -> list[str]:
        return list(self.server.passwords.values())

    def grant_writer(self) -> None:
        with psycopg.connect(self.owner_url, autocommit=True) as connection:
            for statement in grant_statements(WRITER, self.name):
                connection.execute(statement)  # type: ignore[arg-type]


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[PostgresServer]:
    root = Path(tempfile.mkdtemp(prefix="tcd-pg-"))
    passwords = {role: secrets.token_urlsafe(24) for role in (OWNER, WRITER)}
    server = PostgresServer(root, free_port(), passwords)
    saved = {name: os.environ.get(name) for name in ("PGPASSFILE", "PGSERVICEFILE")}
    try:
        server.init()
        server.start()
        for role, password in passwords.items():
            server.admin(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        server.passfile.write_text(
            "".join(f"*:{server.port}:*:{role}:{pw}\n" for role, pw in passwords.items())
        )
        server.passfile.chmod(0o600)
        os.environ["PGPASSFILE"] = str(server.passfile)
        os.environ["PGSERVICEFILE"] = str(server.servicefile)
        yield server
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            if server.running():
                server.stop()
        shutil.rmtree(root, ignore_errors=True)


_databases = iter(range(1, 10_000))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server (PGPASSFILE and PGSERVICEFILE point into it meanwhile)."""
    with throwaway_postgres() as server:
        yield server


@contextlib.contextmanager
def fresh_database(server: PostgresServer) -> Iterator[PostgresDatabase]:
    """A new database on `server`: schema at head (made by the owner), the writer granted;
    dropped after (the server started again if a test left it stopped)."""
    if not server.running():
        server.start()
    database = PostgresDatabase(server, f"tcd_{next(_databases)}")
    server.admin(f"CREATE DATABASE {database.name} OWNER {OWNER}")
    Journal(database.owner_url).close()
    database.grant_writer()
    try:
        yield database
    finally:
        if not server.running():
            server.start()
        server.admin(f"DROP DATABASE {database.name} WITH (FORCE)")


@pytest.fixture
def postgres(postgres_server: PostgresServer) -> Iterator[PostgresDatabase]:
    """A fresh database on the session's server, for one test."""
    with fresh_database(postgres_server) as database:
        yield database
