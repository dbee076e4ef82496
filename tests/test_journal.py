"""The journal on a real SQLite file: its schema through Alembic (from empty and from the
previous revision, by Alembic's own CLI and on first use), the public-key registry, and the
states `tcd status` derives from what runs wrote. Nothing here needs the lab."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tcd.journal import Journal, JournalError, journal_url
from tcd.journal.journal import HostOutcome
from tcd.journal.keys import import_key_file
from tcd.journal.schema import alembic_config, current, head
from tcd.journal.status import site_status
from tcd.loading import load_inventory
from tcd.model.province import Office
from tcd.planning.keys import PublicKeys
from tcd.rollout.batches import parse_sizes, split

from .conftest import INVENTORY, REPO

ALEMBIC_INI = REPO / "tcd" / "journal" / "alembic.ini"
TARGET = "lab t"


def alembic(url: str, *args: str) -> str:
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "alembic"),
            "-c",
            str(ALEMBIC_INI),
            "-x",
            f"url={url}",
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout + done.stderr


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("select name from sqlite_master where type='table'")}


def test_alembic_upgrades_an_empty_file_to_head(tmp_path):
    url = journal_url(tmp_path)
    alembic(url, "upgrade", "head")
    assert head() in alembic(url, "current")
    assert {"runs", "sites", "hosts", "results", "hub_keys", "spoke_keys"} <= tables(
        tmp_path / "journal.sqlite"
    )


def test_a_journal_of_the_previous_revision_is_upgraded_keeping_its_runs(tmp_path):
    url = journal_url(tmp_path)
    alembic(url, "upgrade", "0001")
    assert "hub_keys" not in tables(tmp_path / "journal.sqlite")
    with sqlite3.connect(tmp_path / "journal.sqlite") as db:  # a run the older tcd wrote
        db.execute(
            "insert into runs (kind, target, operator, controller, pid, inventory_digest,"
            " arguments, dry, started_at, outcome) values ('rollout', 'field', 'an', 'c1', 1,"
            " 'd', '[]', 0, '2026-11-30 08:00:00', 'succeeded')"
        )
    with Journal(url) as journal:  # first use upgrades it
        assert [r.operator for r in journal.runs()] == ["an"]
        journal.save_keys(PublicKeys(hubs={Office.PROVINCE: "hub-key"}))
    assert head() in alembic(url, "current")


def test_alembic_upgrade_head_from_the_previous_revision(tmp_path):
    url = journal_url(tmp_path)
    alembic(url, "upgrade", "0001")
    alembic(url, "upgrade", "head")
    assert head() in alembic(url, "current")
    alembic(url, "downgrade", "0001")  # and back: the migration is reversible
    assert "spoke_keys" not in tables(tmp_path / "journal.sqlite")


def test_the_journal_reads_its_revision_as_alembic_does(tmp_path):
    """A run checks its journal is at head without importing Alembic: the head from the
    migrations' file names, the revision from Alembic's table."""
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415
    from alembic.script import ScriptDirectory  # noqa: PLC0415
    from sqlalchemy import create_engine  # noqa: PLC0415

    assert head() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    url = journal_url(tmp_path)
    engine = create_engine(url)
    for revision in (None, "0001", "head"):
        if revision is not None:
            alembic(url, "upgrade", revision)
        with engine.connect() as connection:
            theirs = MigrationContext.configure(connection).get_current_revision()
        assert current(engine) == theirs
    assert theirs == head()
    engine.dispose()


def test_the_key_registry_adds_and_never_drops_and_imports_the_old_file_once(tmp_path):
    old = tmp_path / "wireguard-public-keys.json"
    old.write_text(json.dumps({"hubs": {"province": "P1"}, "spokes": {"gw-a": {"province": "A1"}}}))
    with Journal.for_state(tmp_path) as journal:
        assert import_key_file(journal, old)
        assert not old.exists() and old.with_name(old.name + ".imported").exists()
        assert not import_key_file(journal, old)
        journal.save_keys(
            PublicKeys(spokes={"gw-b": {Office.PROVINCE: "B1", Office.CENTRAL: "B2"}})
        )
        keys = journal.load_keys()
    assert keys.hubs == {Office.PROVINCE: "P1"}
    assert keys.spokes == {
        "gw-a": {Office.PROVINCE: "A1"},
        "gw-b": {Office.PROVINCE: "B1", Office.CENTRAL: "B2"},
    }


def test_a_journal_that_cannot_be_opened_is_one_line_naming_it(tmp_path):
    (tmp_path / "journal.sqlite").write_text("not a database")
    with pytest.raises(JournalError, match=r"journal sqlite:///.*journal\.sqlite: "):
        Journal.for_state(tmp_path)


def test_status_follows_what_runs_wrote(tmp_path):
    inventory = load_inventory(INVENTORY)
    a, b, c = inventory.wave("pilot").sites
    journal = Journal.for_state(tmp_path)
    run = journal.start_run(
        kind="rollout",
        target=TARGET,
        wave="pilot",
        arguments=["rollout", "pilot"],
        inventory_digest="x",
        sites=[(a, "pilot", 1), (b, "pilot", 2), (c, "pilot", 2)],
    )
    journal.set_sites(run, [a], "running")
    journal.record_site(
        run, a, state="done", hosts=[HostOutcome("pc", "changed", changes=["files.put"])]
    )
    journal.record_site(run, b, state="unreachable", reason="no answer from pc")
    journal.set_sites(run, [c], "not started", "the canary batch failed")
    journal.finish_run(run, "failed")
    states = {s.code: s for s in site_status(journal, inventory, TARGET, "pilot").sites}
    assert (states[a].state, states[a].run) == ("verified", run)
    assert (states[b].state, states[b].reason) == ("unreachable", "no answer from pc")
    assert states[c].state == "pending"  # never started: nothing was done there

    # a later verify that fails a site shows it drifted; another target's runs are apart
    check = journal.start_run(
        kind="verify", target=TARGET, wave=None, arguments=[], inventory_digest="x",
        sites=[(a, None, None)],
    )  # fmt: skip
    journal.record_site(check, a, state="drifted", reason="pc TCD-SSH-003", verify={"failed": 1})
    journal.finish_run(check, "failed")
    assert site_status(journal, inventory, TARGET, "pilot").sites[0].state == "drifted"
    assert site_status(journal, inventory, "field", "pilot").sites[0].state == "pending"
    journal.close()


def test_a_run_whose_process_died_reads_as_interrupted(tmp_path):
    inventory = load_inventory(INVENTORY)
    code = inventory.wave("pilot").sites[0]
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a PID that no longer runs: the rollout that was SIGKILLed
    journal = Journal.for_state(tmp_path)
    run = journal.start_run(
        kind="rollout", target=TARGET, wave="pilot", arguments=[], inventory_digest="x",
        sites=[(code, "pilot", 1)],
    )  # fmt: skip
    journal.set_sites(run, [code], "running")
    with sqlite3.connect(tmp_path / "journal.sqlite") as db:
        db.execute("update runs set pid = ? where id = ?", (child.pid, run))
    (status,) = [s for s in site_status(journal, inventory, TARGET).sites if s.code == code]
    assert status.state == "interrupted"
    db_pid = os.getpid()
    with sqlite3.connect(tmp_path / "journal.sqlite") as db:  # this process is alive
        db.execute("update runs set pid = ? where id = ?", (db_pid, run))
    (status,) = [s for s in site_status(journal, inventory, TARGET).sites if s.code == code]
    assert status.state == "running"
    journal.close()


@pytest.mark.parametrize(
    ("sizes", "total", "expected"),
    [
        ("1,5,25%", 10, [1, 5, 2, 2]),  # 25% of 10 is 2 (floor), repeated
        ("1,2,3", 6, [1, 2, 3]),
        ("1,5,100%", 20, [1, 5, 14]),
        ("50%", 3, [1, 1, 1]),  # floor of 1.5 is 1
        ("1%", 3, [1, 1, 1]),  # at least one site
        ("4", 10, [4, 4, 2]),
    ],
)
def test_batches_are_cut_as_ansible_serial_cuts_them(sizes, total, expected):
    batches = split(list(range(total)), parse_sizes(sizes))
    assert [len(b) for b in batches] == expected
    assert [x for b in batches for x in b] == list(range(total))


@pytest.mark.parametrize("bad", ["0", "-1", "150%", "a", "5,,x", ""])
def test_a_bad_batch_size_is_refused(bad):
    with pytest.raises(ValueError, match="batch"):
        parse_sizes(bad)
