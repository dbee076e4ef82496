"""Questions merged by kind, and the cheaper Users command, answer each question as it would be
answered alone: files on this machine here; units, and every question a rollout keeps, on lab
hosts (test_the_batch_answers_as_each_question_alone, on the shared rolled-out lab)."""

import json
import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from pyinfra.facts.files import File, Sha1File
from pyinfra.facts.server import Users
from pyinfra.facts.systemd import SystemdStatus

from roles.common.files import dropin_listing
from roles.common.units import UnitFileState
from roles.common.wireguard import key_path
from tcd.rollout import factbatch
from tcd.rollout.factmerge import KINDS, _raw, companions, equivalents, hashes_a_key, merge
from tests.test_factbatch import alone

TOKEN = "@@tcd-0123456789ab@@"


def asked(questions: list[str], lines: list[str]) -> dict[str, tuple[bool, list]]:
    answers = factbatch._answers(questions, lines, TOKEN)
    return {
        q: (ok, [(line.buffer_name, line.line) for line in out.combined_lines])
        for q, (ok, out) in answers.items()
    }


def run_here(script: str) -> list[str]:
    done = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    """Every kind of path a role asks about: a file, a folder, links (one dangling, one to a
    name with a newline), an empty file, one that is not there."""
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "10-ours.conf").write_text("ours\n")
    (tmp_path / "conf.d" / "00-theirs.conf").write_text("theirs\n")
    (tmp_path / "conf.d" / "nested.d").mkdir()
    (tmp_path / "conf.d" / "link.conf").symlink_to("/nowhere")
    (tmp_path / "empty").write_text("")
    (tmp_path / "odd").symlink_to("two\nlines")
    # each path's access time later than its change time (which setting it makes now) and
    # than its modification: reading it (the drop-in listing reads the folder) then leaves it
    # as it is (relatime), so a stat before the reads and one after agree, in any second
    now = time.time()
    for path in tmp_path.rglob("*"):
        os.utime(path, (now + 3600, now - 60), follow_symlinks=False)
    return [
        str(tmp_path / name)
        for name in ("conf.d", "conf.d/10-ours.conf", "conf.d/link.conf", "empty", "odd", "gone")
    ]


def test_files_merged_by_kind_answer_as_each_alone(files: list[str]):
    questions = [_raw(File().command(path)) for path in files]
    questions += [_raw(Sha1File().command(path)) for path in files]
    questions += [dropin_listing(path) for path in (files[0], files[-1], f"{files[0]}/nested.d")]
    questions.append("echo not merged")
    single, merged = merge(questions)
    assert single == ["echo not merged"]
    assert sorted(m.kind.name for m in merged) == ["drop-ins", "sha1", "stat"]
    answers = asked(questions, run_here(factbatch._script(questions, TOKEN)))
    assert list(answers) != [] and set(answers) == set(questions)
    for question, answer in answers.items():
        assert answer == alone(question), question


def test_a_question_is_merged_only_as_pyinfra_words_it():
    quoted = _raw(File().command("/etc/with space"))
    reworded = _raw(File().command("/etc/issue")).replace("2> /dev/null", "")
    single, merged = merge([quoted, reworded, "systemctl is-enabled a b 2>/dev/null || true"])
    assert merged == [] and len(single) == 3


def test_a_files_hash_is_asked_next_time_beside_its_stat():
    """pyinfra asks a file's hash once the file is there: in the rollout after the one that
    made it. Kept beside its stat, that rollout is already a steady one."""
    questions = [_raw(File().command("/etc/issue")), "uname -s"]
    assert companions(questions) == [_raw(Sha1File().command("/etc/issue"))]


def test_a_private_key_is_never_hashed():
    """The rollout never reads a WireGuard private key, not even for its hash."""
    key = key_path("wg-province")
    assert companions([_raw(File().command(key))]) == []
    # nor kept from before: such a question is dropped when the kept ones are read
    assert hashes_a_key(_raw(Sha1File().command(key)))
    assert not hashes_a_key(_raw(Sha1File().command("/etc/issue")))
    conf = key_path("wg-province").replace(".key", ".conf")  # the role's own config: hashed
    assert companions([_raw(File().command(conf))]) == [_raw(Sha1File().command(conf))]
    assert not hashes_a_key(_raw(Sha1File().command(conf)))


@pytest.mark.parametrize(
    ("status", "lines", "answered"),
    [
        (0, ["enabled", "static", "alias"], 3),
        (1, ["enabled"], 1),  # systemctl stopped at the second unit: it and the third go alone
        (0, ["enabled", "static"], 0),  # a unit said nothing: which is which is unknown
        (0, ["enabled", "static", "alias", "more"], 0),
    ],
)
def test_units_are_answered_up_to_where_systemctl_stopped(status, lines, answered):
    questions = [UnitFileState().command(unit) for unit in ("a.service", "b.timer", "c.service")]
    (group,) = merge(questions)[1]
    answers = group.answers(lines, status)
    assert list(answers) == questions[:answered]
    assert list(answers.values()) == [[line] for line in lines[:answered]]


def test_unit_blocks_are_split_in_the_order_asked():
    units = ["a.service", "b.timer"]
    kind = next(k for k in KINDS if k.name == "unit state")
    questions = [kind.question(unit) for unit in units]
    assert all(kind.argument(q) for q in questions)
    assert _raw(SystemdStatus().command(services=units)) == kind.command(units)
    (group,) = merge(questions)[1]
    lines = ["Id=a.service", "SubState=running", "", "Id=b.timer", "SubState=waiting"]
    assert group.answers(lines, 0) == {
        questions[0]: ["Id=a.service", "SubState=running"],
        questions[1]: ["Id=b.timer", "SubState=waiting"],
    }


# ---- the Users fact: pyinfra's command and the cheaper one, in made-up worlds -------------

PASSWD = [
    "root:x:0:0:root:/root:/bin/bash",
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
    "qtv-admin:x:1000:1000::/home/qtv-admin:/bin/bash",
    "booth:x:1002:1003::/home/booth:/usr/sbin/nologin",
    "booth2:x:1003:1003::/home/booth2:/usr/sbin/nologin",
]
GROUP = [
    "root:x:0:",
    "daemon:x:1:",
    "audio:x:29:booth,booth2",
    "qtv-admin:x:1000:qtv-admin",  # a user listed in its own primary group
    "booth:x:1003:",
    "tcdadmin:x:1500:qtv-admin,booth",
    "video:x:44:booth",
]
SHADOW = ["root:*:19000:0:99999:7:::", "qtv-admin:$6$salt$hash:19000::::::", "booth:!:19000::::::"]
FILES = "files"
WORLDS = {
    "plain": (PASSWD, GROUP, SHADOW, FILES),
    "with systemd's module": (PASSWD, GROUP, SHADOW, "files systemd"),
}
ANSWERED = set(WORLDS)
WORLDS |= {  # the cheaper command steps aside: pyinfra's own answers
    "a dotted name": ([*PASSWD, "a.b:x:1004:1003::/:/bin/sh"], GROUP, SHADOW, FILES),
    "a gid twice": (PASSWD, [*GROUP, "again:x:44:"], SHADOW, FILES),
    "a gid without a group": ([*PASSWD, "lost:x:1005:4242::/:/bin/sh"], GROUP, SHADOW, FILES),
    "a name twice in shadow": (PASSWD, GROUP, [*SHADOW, "booth:$6$x$y:1::::::"], FILES),
    "another module": (PASSWD, GROUP, SHADOW, "files ldap"),
}


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root")
@pytest.mark.parametrize("world", WORLDS)
def test_the_cheaper_users_command_answers_as_pyinfras(world: str, tmp_path: Path):
    passwd, group, shadow, modules = WORLDS[world]
    made = {
        "passwd": passwd,
        "group": group,
        "shadow": shadow,
        "nsswitch.conf": [f"passwd: {modules}", f"group: {modules}"],
    }
    binds = []
    for name, lines in made.items():
        (tmp_path / name).write_text("\n".join(lines) + "\n")
        binds.append(f"mount --bind {tmp_path / name} /etc/{name}")
    original = Users().command()
    cheaper = equivalents()[original]

    def answer(command: str) -> subprocess.CompletedProcess[str]:
        # in a mount namespace of its own: the made-up files hide the machine's from `id` too
        script = " && ".join([*binds, f"exec sh -c {shlex.quote(command)}"])
        return subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    theirs, ours = answer(original), answer(cheaper)
    # the cheaper command answered itself, or stepped aside
    fast = answer((Path(factbatch.__file__).parent / "users.sh").read_text())
    assert fast.returncode == (0 if world in ANSWERED else 3), fast.stderr
    assert theirs.stdout.count("\n") >= len(passwd), theirs.stderr
    assert (ours.returncode, ours.stdout, ours.stderr) == (
        theirs.returncode,
        theirs.stdout,
        theirs.stderr,
    )
    if world == "plain":  # parsed as pyinfra parses it
        users = Users().process(theirs.stdout.splitlines())
        assert users["booth"]["groups"] == ["audio", "tcdadmin", "video"]
        assert users["qtv-admin"]["groups"] == ["tcdadmin"]


# ---- on lab hosts: every question a rollout keeps -----------------------------------------


def test_the_batch_answers_as_each_question_alone(rolled_out):
    """For a reception PC, a gateway and each hub, every question the last rollout kept, asked
    merged and asked one by one (the batch as it was, each question in its own shell): the
    same answers, but for the tunnels' live counters."""
    lab = rolled_out.lab
    kept = lab.settings.state_dir / "facts-asked"
    hosts = {"sites": ["tcd-26380-pc1", "tcd-25217-gw1"], "hubs-base": ["tcd-hub-province"]}
    hosts["hubs"] = ["tcd-hub-province", "tcd-hub-central"]
    compared = 0
    for phase, names in hosts.items():
        for name in names:
            questions = json.loads((kept / phase / f"{name}.json").read_text())
            merged = asked(questions, _on(lab, name, factbatch._script(questions, TOKEN)))
            one_by_one = asked(questions, _on(lab, name, _unmerged(questions)))
            assert set(merged) == set(one_by_one) == set(questions), (phase, name)
            live = [q for q in questions if "wg show" in q and "dump" in q]
            for question in set(questions) - set(live):
                assert merged[question] == one_by_one[question], (name, question)
            compared += len(questions)
    assert compared > 300


def _on(lab, host: str, script: str) -> list[str]:
    return lab.ssh(host, f"sudo sh -c {shlex.quote(script)}").stdout.splitlines()


def _unmerged(questions: list[str]) -> str:
    """The batch's script with no question merged nor answered by another command."""
    return factbatch._framed([(str(n), q) for n, q in enumerate(questions)], TOKEN)
