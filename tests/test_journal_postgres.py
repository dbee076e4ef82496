"""The journal on a real PostgreSQL server (tests/postgres.py starts a throwaway one): the same
migrations, the writer role that cannot drop a table, the hub lock across journals, and a run
that goes on when the server goes away. Nothing here needs the lab."""

import threading
import time

import psycopg
import pytest
from sqlalchemy import create_engine

from tcd.journal import Journal, JournalError
from tcd.journal.journal import HostOutcome
from tcd.journal.lock import HUB_LOCK_KEY
from tcd.journal.schema import current, head, upgrade
from tcd.journal.urls import engine_url

from .postgres import PostgresDatabase

TARGET = "lab t"


def start(journal: Journal, codes: list[int]) -> int:
    return journal.start_run(
        kind="rollout",
        target=TARGET,
        wave=None,
        arguments=["rollout", "--sites", ",".join(map(str, codes))],
        inventory_digest="d",
        sites=[(c, None, 1) for c in codes],
    )


def site(journal: Journal, run: int, code: int, state: str = "done") -> None:
    journal.record_site(
        run,
        code,
        state=state,
        hosts=[HostOutcome(f"tcd-{code}-gw", "changed", changes=["wireguard: up"])],
        verify={"passed": 70},
    )


def test_the_writer_role_writes_runs_and_reads_them_back(postgres: PostgresDatabase):
    with Journal(postgres.writer_url) as journal:
        run = start(journal, [26380, 25217])
        journal.set_sites(run, [26380, 25217], "running")
        site(journal, run, 26380)
        site(journal, run, 25217, "failed")
        journal.finish_run(run, "failed")
        back = journal.run(run)
    assert back is not None and back.outcome == "failed"
    assert back.started_at.tzinfo is not None and back.dry is False
    assert [(s.code, s.state) for s in back.sites] == [(26380, "done"), (25217, "failed")]
    assert back.sites[0].verify == {"passed": 70}
    assert [r.name for r in back.sites[0].hosts[0].results] == ["wireguard: up"]


@pytest.mark.parametrize("statement", ["DROP TABLE runs", "ALTER TABLE runs ADD COLUMN x int"])
def test_the_writer_role_cannot_drop_or_change_a_table(postgres: PostgresDatabase, statement):
    with (
        psycopg.connect(postgres.writer_url) as connection,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="must be owner"),
    ):
        connection.execute(statement)


def test_the_writer_cannot_rewrite_the_schema_revision(postgres: PostgresDatabase):
    with (
        psycopg.connect(postgres.writer_url) as connection,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        connection.execute("UPDATE alembic_version SET version_num = '0001'")


def test_a_journal_behind_head_asks_the_owner_to_upgrade_it(postgres: PostgresDatabase):
    server = postgres.server
    server.admin("CREATE DATABASE tcd_behind OWNER tcd_owner")
    behind = PostgresDatabase(server, "tcd_behind")
    try:
        engine = create_engine(engine_url(behind.owner_url))
        upgrade(engine, "0001")
        behind.grant_writer()
        with pytest.raises(JournalError) as error:
            Journal(behind.writer_url)
        assert str(error.value) == (
            f"journal {behind.writer_url}: journal at revision 0001, tcd needs {head()}: ask the"
            " database owner to run `tcd journal upgrade`"
        )
        Journal(behind.owner_url).close()  # what `tcd journal upgrade` does
        assert current(engine) == head()
        behind.grant_writer()  # the new tables: default privileges cover them
        with Journal(behind.writer_url) as journal:
            start(journal, [26380])
        engine.dispose()
    finally:
        server.admin("DROP DATABASE tcd_behind WITH (FORCE)")


def test_the_unix_socket_form_of_the_url(postgres: PostgresDatabase):
    with Journal(postgres.socket_url) as journal:
        assert start(journal, [26380]) == 1


def test_a_libpq_service_names_the_database(postgres: PostgresDatabase):
    server = postgres.server
    server.servicefile.write_text(
        f"[tcd]\nhost=127.0.0.1\nport={server.port}\ndbname={postgres.name}\nuser=tcd_writer\n"
    )
    with Journal("postgresql://?service=tcd") as journal:
        assert start(journal, [26380]) == 1


def test_a_wrong_password_is_one_line_without_the_password(postgres: PostgresDatabase):
    url = postgres.writer_url.replace("tcd_writer@", "tcd_writer:not-the-password@")
    with pytest.raises(JournalError) as error:
        Journal(url)
    message = str(error.value)
    assert "\n" not in message and "not-the-password" not in message
    assert message.startswith(f"journal {postgres.writer_url.replace('@', ':***@')}: ")
    assert "password authentication failed" in message


def test_run_arguments_keep_no_password(postgres: PostgresDatabase):
    with Journal(postgres.writer_url) as journal:
        run = journal.start_run(
            kind="rollout",
            target=TARGET,
            wave=None,
            arguments=["journal", "copy", "--to", "postgresql://u:s3cret@h/db"],
            inventory_digest="d",
        )
        back = journal.run(run)
    assert back is not None and back.arguments == [
        "journal",
        "copy",
        "--to",
        "postgresql://u:***@h/db",
    ]


# ---- the hub lock -----------------------------------------------------------------------------


def serialised(url_or_urls, monkeypatch=None) -> list[str]:
    """Two threads, each with its own journal, take the hub lock; the second must wait for the
    first to leave. Returns what happened in order."""
    events: list[str] = []
    first_in = threading.Event()

    def hold(name: str, url: str, after: threading.Event | None) -> None:
        with Journal(url) as journal:
            if after is not None:
                after.wait(10)
            with journal.hub_lock(waiting=lambda _s: events.append(f"{name} waits")):
                events.append(f"{name} in")
                if after is None:
                    first_in.set()
                    time.sleep(1.5)
                events.append(f"{name} out")

    threads = [
        threading.Thread(target=hold, args=("a", url_or_urls, None)),
        threading.Thread(target=hold, args=("b", url_or_urls, first_in)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return [e for i, e in enumerate(events) if e != events[i - 1] or not i]  # waits once


def test_the_hub_lock_serialises_two_journals_on_postgresql(postgres: PostgresDatabase):
    assert serialised(postgres.writer_url) == ["a in", "b waits", "a out", "b in", "b out"]


def test_the_hub_lock_serialises_two_journals_on_sqlite(tmp_path):
    assert serialised(f"sqlite:///{tmp_path / 'journal.sqlite'}") == [
        "a in",
        "b waits",
        "a out",
        "b in",
        "b out",
    ]


def test_the_hub_lock_is_off_only_for_the_positive_control(postgres: PostgresDatabase, monkeypatch):
    monkeypatch.setenv("TCD_TEST_HUB_LOCK", "off")
    assert serialised(postgres.writer_url) == ["a in", "b in", "b out", "a out"]


def test_the_hub_lock_is_released_with_its_connection(postgres: PostgresDatabase):
    """A controller that dies holding the lock: the server drops it with the session."""
    holder = psycopg.connect(postgres.writer_url, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", (HUB_LOCK_KEY,))
    waited: list[float] = []
    with Journal(postgres.writer_url) as journal:

        def waiting(seconds: float) -> None:
            waited.append(seconds)
            if len(waited) == 2:
                holder.close()

        with journal.hub_lock(waiting):
            pass
    assert len(waited) == 2


# ---- a database that goes away ----------------------------------------------------------------


def test_a_run_whose_database_goes_away_is_spooled_and_written_by_the_next(
    postgres: PostgresDatabase, tmp_path
):
    server = postgres.server
    journal = Journal(postgres.writer_url, tmp_path)
    run = start(journal, [26380, 25217, 26381])
    journal.set_sites(run, [26380, 25217, 26381], "running")
    site(journal, run, 26380)
    server.stop()  # immediate: the pooled connection dies with the server
    try:
        site(journal, run, 25217)
        site(journal, run, 26381, "failed")
        journal.finish_run(run, "failed")
        assert journal.spooled == 3
        notice = journal.spool_notice()
        assert notice is not None and "3 writes of run 1 kept in" in notice
        assert str(tmp_path / "journal-spool") in notice
        assert postgres.writer_url.replace("@", ":***@") not in notice  # no password to mask
        journal.close()
        spooled = tmp_path / "journal-spool" / f"{run}.jsonl"
        assert len(spooled.read_text().splitlines()) == 3
        with pytest.raises(JournalError):  # still away: opening is an error, the spool stays
            Journal(postgres.writer_url, tmp_path)
        assert spooled.exists()
    finally:
        server.start()
    with Journal(postgres.writer_url, tmp_path) as again:
        assert again.spool_pending() == 0
        assert not spooled.exists()
        back = again.run(run)
    assert back is not None and back.outcome == "failed" and back.ended_at is not None
    assert [(s.code, s.state) for s in back.sites] == [
        (26380, "done"),
        (25217, "done"),
        (26381, "failed"),
    ]
    assert all(s.hosts and s.verify == {"passed": 70} for s in back.sites)
    # the times are when it happened, not when it was written back
    assert back.sites[2].ended_at <= back.ended_at


def test_a_live_runs_spool_is_not_written_back_by_another_process(
    postgres: PostgresDatabase, tmp_path
):
    server = postgres.server
    journal = Journal(postgres.writer_url, tmp_path)
    run = start(journal, [26380])
    server.stop()
    try:
        site(journal, run, 26380)
    finally:
        server.start()
    with Journal(postgres.writer_url, tmp_path) as reader:  # e.g. `tcd status` meanwhile
        assert reader.spool_pending() == 1
        assert reader.run(run).sites[0].state == "pending"
    journal.finish_run(run, "succeeded")  # still spooled: the run's writes stay in order
    journal.close()
    with Journal(postgres.writer_url, tmp_path) as next_run:
        assert next_run.spool_pending() == 0
        back = next_run.run(run)
    assert back.outcome == "succeeded" and back.sites[0].state == "done"


def test_without_a_state_folder_a_lost_database_is_an_error(postgres: PostgresDatabase):
    server = postgres.server
    journal = Journal(postgres.writer_url)
    run = start(journal, [26380])
    server.stop()
    try:
        with pytest.raises(JournalError, match="journal postgresql://"):
            site(journal, run, 26380)
    finally:
        server.start()
        journal.close()
