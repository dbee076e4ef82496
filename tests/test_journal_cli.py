"""`tcd journal …` and `--database` against a throwaway PostgreSQL server (tests/postgres.py):
an SQLite journal copied over without loss (`tcd status` prints the same), the grants, and the
database password found nowhere: not in the journal, the state folder, the CLI's output or `ps`.
Nothing here needs the lab."""

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import select

from tcd.journal import Journal
from tcd.journal.journal import DATABASE_ENV, HostOutcome
from tcd.journal.models import Base
from tcd.model.province import Office
from tcd.planning.keys import PublicKeys

from .conftest import REPO
from .postgres import WRITER, PostgresDatabase


@pytest.fixture(autouse=True)
def _database_env_restored() -> Iterator[None]:
    """`--database` sets TCD_DATABASE_URL for the process: here the test runner's."""
    saved = os.environ.pop(DATABASE_ENV, None)
    yield
    os.environ.pop(DATABASE_ENV, None)
    if saved is not None:
        os.environ[DATABASE_ENV] = saved


def write_runs(journal: Journal) -> None:
    """A few runs of the field as rollouts and a verify write them, keys too."""
    first = journal.start_run(
        kind="rollout",
        target="field",
        wave="pilot",
        arguments=["rollout", "pilot"],
        inventory_digest="d1",
        sites=[(26380, "pilot", 1), (25217, "pilot", 2), (25195, "pilot", 2)],
    )
    journal.set_sites(first, [26380], "running")
    journal.record_site(
        first,
        26380,
        state="done",
        hosts=[HostOutcome("tcd-26380-gw", "changed", changes=["wg up", "nft"])],
        verify={"passed": 70, "failed": 0},
    )
    journal.set_sites(first, [25217, 25195], "running")
    journal.record_site(
        first,
        25217,
        state="failed",
        reason="apt: no route",
        hosts=[HostOutcome("tcd-25217-gw", "failed", errors=["apt: no route"])],
    )
    journal.record_site(first, 25195, state="unreachable", reason="ssh timed out")
    journal.finish_run(first, "failed")
    second = journal.start_run(
        kind="rollout",
        target="field",
        wave="pilot",
        arguments=["rollout", "pilot", "--resume"],
        inventory_digest="d1",
        resumed_from=first,
        sites=[(25217, "pilot", 1)],
    )
    journal.record_site(second, 25217, state="done", verify={"passed": 70})
    journal.finish_run(second, "succeeded")
    verify = journal.start_run(
        kind="verify",
        target="field",
        wave=None,
        arguments=["verify", "--all"],
        inventory_digest="d1",
        sites=[(26380, None, None)],
    )
    journal.record_site(
        verify,
        26380,
        state="drifted",
        reason="tcd-26380-gw TCD-BASE-001",
        verify={"passed": 69, "failed": 1},
        hosts=[HostOutcome("tcd-26380-gw", "unchanged", controls=[("TCD-BASE-001", "sshd")])],
    )
    journal.finish_run(verify, "failed")
    journal.save_keys(
        PublicKeys(
            hubs={Office.PROVINCE: "hub-p", Office.CENTRAL: "hub-c"},
            spokes={"tcd-26380-gw": {Office.PROVINCE: "s-p", Office.CENTRAL: "s-c"}},
        )
    )


def rows(url: str) -> dict[str, list[dict]]:
    """Every row of every table, times in UTC."""
    with Journal(url) as journal, journal.engine.connect() as connection:
        found = {}
        for table in Base.metadata.sorted_tables:
            result = connection.execute(select(table).order_by(*table.primary_key.columns))
            found[table.name] = [
                {
                    k: v.astimezone(dt.UTC) if isinstance(v, dt.datetime) and v.tzinfo else v
                    for k, v in row.items()
                }
                for row in result.mappings()
            ]
        return found


def naive_utc(found: dict[str, list[dict]]) -> dict[str, list[dict]]:
    return {
        t: [
            {k: v.replace(tzinfo=None) if isinstance(v, dt.datetime) else v for k, v in r.items()}
            for r in rs
        ]
        for t, rs in found.items()
    }


def test_an_sqlite_journal_copied_to_postgresql_keeps_every_row_and_reads_the_same(
    postgres: PostgresDatabase, tmp_path, tcd, monkeypatch
):
    sqlite = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    with Journal(sqlite) as journal:
        write_runs(journal)
    monkeypatch.setenv(DATABASE_ENV, sqlite)
    before = [
        tcd("status", "--no-live"),
        tcd("status", "--runs"),
        tcd("status", "--json", "--no-live"),
    ]
    assert all(r.exit_code == 0 for r in before), before

    copied = tcd("journal", "copy", "--to", postgres.owner_url)
    assert copied.exit_code == 0, copied.stderr
    assert f"copied {sum(map(len, rows(sqlite).values()))} rows from {sqlite}" in copied.stdout

    assert naive_utc(rows(postgres.owner_url)) == naive_utc(rows(sqlite))
    monkeypatch.delenv(DATABASE_ENV)
    after = [
        tcd("status", "--no-live", "--database", postgres.writer_url),
        tcd("status", "--runs", "--database", postgres.writer_url),
        tcd("status", "--json", "--no-live", "--database", postgres.writer_url),
    ]
    assert [r.stdout for r in after] == [r.stdout for r in before]
    assert "@" in before[0].stdout  # the "by" column: operator@controller
    with Journal(postgres.writer_url) as journal:  # the ids go on after the copied ones
        assert (
            journal.start_run(
                kind="verify", target="field", wave=None, arguments=[], inventory_digest="d"
            )
            == 4
        )


def test_a_copy_into_a_journal_that_holds_runs_is_refused(postgres, tmp_path, tcd):
    sqlite = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    with Journal(sqlite) as journal:
        write_runs(journal)
    assert tcd("journal", "copy", "--from", sqlite, "--to", postgres.owner_url).exit_code == 0
    again = tcd("journal", "copy", "--from", sqlite, "--to", postgres.owner_url)
    assert again.exit_code == 1
    assert again.stderr.startswith(
        f"error: journal {postgres.owner_url} is not empty (2 in hub_keys, 3 in runs,"
    )
    assert again.stderr.count("\n") == 1


def test_status_runs_lists_every_target_with_who_ran_them(postgres, tcd):
    with Journal(postgres.writer_url) as journal:
        write_runs(journal)
        journal.start_run(
            kind="rollout", target="lab t", wave=None, arguments=[], inventory_digest="d"
        )
    field = tcd("status", "--runs", "--database", postgres.writer_url, "--json")
    every = tcd("status", "--runs", "--all-targets", "--database", postgres.writer_url, "--json")
    assert {r["target"] for r in json.loads(field.stdout)} == {"field"}
    runs = json.loads(every.stdout)
    assert {r["target"] for r in runs} == {"field", "lab t"}
    assert all(r["operator"] and r["controller"] for r in runs)
    sites = json.loads(
        tcd("status", "--json", "--no-live", "--database", postgres.writer_url).stdout
    )
    (site,) = [s for s in sites["sites"] if s["site"] == 26380]
    assert site["operator"] and site["controller"] and sites["spooled"] == 0


def test_grants_are_printed_for_the_owner_to_run(postgres, tcd):
    done = tcd("journal", "grants", "team_2", "--database", postgres.owner_url)
    assert done.exit_code == 0, done.stderr
    assert f'GRANT CONNECT ON DATABASE "{postgres.name}" TO "team_2";' in done.stdout
    assert "DROP" not in done.stdout and "CREATE" not in done.stdout
    sqlite = tcd("journal", "grants", "team_2", "--database", "sqlite:////tmp/x.sqlite")
    assert sqlite.exit_code == 1 and "not PostgreSQL" in sqlite.stderr


def test_journal_upgrade_by_the_owner(postgres, tcd):
    done = tcd("journal", "upgrade", "--database", postgres.owner_url)
    assert done.exit_code == 0, done.stderr
    assert done.stdout.startswith(f"journal {postgres.owner_url}: at revision ")


@pytest.mark.parametrize(
    "args",
    [
        ["status", "--database", "postgresql://tcd:hunter2@db/tcd"],
        ["status", "--database", "postgresql:///tcd?password=hunter2"],
        ["journal", "copy", "--to", "postgresql://tcd:hunter2@db/tcd"],
        ["journal", "upgrade", "--database", "postgresql://tcd:hunter2@db/tcd"],
    ],
)
def test_a_password_on_the_command_line_is_refused_in_one_line(args, tcd):
    done = tcd(*args)
    assert done.exit_code == 2
    assert done.stderr.count("\n") == 1 and "~/.pgpass" in done.stderr
    assert "hunter2" not in done.stdout + done.stderr


# ---- the password, searched for byte for byte ---------------------------------------------------


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real CLI of this tree, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-c", "from tcd.cli.main import app; app()", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def watching_ps(stop: threading.Event, seen: list[str]) -> None:
    while not stop.is_set():
        seen.append(
            subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
        )
        time.sleep(0.05)


def test_the_password_is_found_nowhere(postgres: PostgresDatabase, tmp_path):
    password = postgres.server.passwords[WRITER].encode()
    # TCD_DATABASE_URL may carry the password (an environment is not shown by `ps`): accepted,
    # always shown masked
    with_password = postgres.writer_url.replace(
        f"{WRITER}@", f"{WRITER}:{postgres.server.passwords[WRITER]}@"
    )
    env = {**os.environ, DATABASE_ENV: with_password}
    sqlite = f"sqlite:///{tmp_path / 'journal.sqlite'}"
    with Journal(sqlite) as journal:
        write_runs(journal)

    stop, seen = threading.Event(), []
    watcher = threading.Thread(target=watching_ps, args=(stop, seen))
    watcher.start()
    try:
        outputs = [
            cli("journal", "copy", "--from", sqlite, "--to", postgres.owner_url, env=env),
            cli("status", "--no-live", env=env),
            cli("status", "--runs", env=env),
            cli(
                "journal",
                "upgrade",
                env={
                    **env,
                    DATABASE_ENV: with_password.replace(postgres.server.passwords[WRITER], "wrong"),
                },
            ),
        ]
    finally:
        stop.set()
        watcher.join()
    assert [o.returncode for o in outputs] == [0, 0, 0, 1], outputs
    assert "password authentication failed" in outputs[3].stderr
    assert postgres.writer_url.replace("@", ":***@") in outputs[3].stderr

    # a run of the writer whose server goes away: the spool in the state folder
    state = tmp_path / "state"
    journal = Journal(with_password, state)
    run = journal.start_run(
        kind="verify",
        target="field",
        wave=None,
        arguments=["verify", "--database", postgres.writer_url],
        inventory_digest="d",
        sites=[(26380, None, None)],
    )
    postgres.server.stop()
    try:
        journal.record_site(run, 26380, state="verified")
        notice = journal.spool_notice() or ""
        journal.close()
    finally:
        postgres.server.start()
    assert "***" in notice

    places = {"ps": "".join(seen).encode(), "notice": notice.encode()}
    for i, done in enumerate(outputs):
        places[f"output {i}"] = (done.stdout + done.stderr).encode()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            places[str(path)] = path.read_bytes()
    with psycopg.connect(postgres.owner_url) as connection:
        for table in Base.metadata.sorted_tables:
            dump = connection.execute(f"SELECT row_to_json(t)::text FROM {table.name} t").fetchall()
            places[table.name] = "".join(r[0] for r in dump).encode()
    assert len(seen) > 3 and places["runs"]
    assert [where for where, data in places.items() if password in data] == []
