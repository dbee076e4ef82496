"""The script that asks a host many facts at once gives each its own output, as if it had been
run alone (here with the machine's own sh; on lab hosts in test_converge.py and the rollout
tests)."""

import subprocess

import pytest
from pyinfra import host
from pyinfra.api import Config, Inventory, State, StringCommand, operation
from pyinfra.api.arguments import CONNECTOR_ARGUMENT_KEYS
from pyinfra.api.connect import connect_all
from pyinfra.api.deploy import add_deploy
from pyinfra.api.facts import _handle_fact_kwargs
from pyinfra.api.operations import run_ops
from pyinfra.api.state import StateStage
from pyinfra.facts.files import File, Sha1File
from pyinfra.facts.server import Users
from pyinfra.operations import server

from tcd.rollout import factbatch
from tcd.rollout.engine import Reach, pyinfra_config
from tcd.rollout.factbatch import _answers, _batchable, _chunks, _script

QUESTIONS = [
    "printf 'one\\ntwo\\n'",
    "printf 'no newline at the end'",
    "printf 'a\\n\\nb\\n\\n'",  # empty lines kept, but for the last newline's
    "echo refused >&2; exit 3",
    "true",
    "echo '@@tcd-lookalike@@ 0 status 0'",  # a line like the framing is only output
    "cat",  # reads nothing: stdin is /dev/null
]


def alone(question: str) -> tuple[bool, list[tuple[str, str]]]:
    done = subprocess.run(
        ["sh", "-c", question],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    lines = [("stdout", line) for line in done.stdout.splitlines()]
    lines += [("stderr", line) for line in done.stderr.splitlines()]
    return done.returncode == 0, lines


def test_each_answer_is_what_the_question_alone_gives():
    token = "@@tcd-0123456789ab@@"
    script = _script(QUESTIONS, token)
    run = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)
    answers = _answers(QUESTIONS, run.stdout.splitlines(), token)
    assert list(answers) == QUESTIONS
    for question, (status, output) in answers.items():
        got = (status, [(line.buffer_name, line.line) for line in output.combined_lines])
        assert got == alone(question), question


def test_a_long_list_is_asked_in_scripts_that_fit_one_argument():
    chunks = list(_chunks(["x" * 1000] * 200))
    assert [len(c) for c in chunks] == [56, 56, 56, 32]
    assert max(len(_script(c, "@@t@@")) for c in chunks) < 128 * 1024


@pytest.mark.parametrize("dry", [False, True])
@pytest.mark.parametrize(
    ("fact", "kwargs"),
    [(File, {"path": "/etc/hosts"}), (Sha1File, {"path": "/etc/hosts"}), (Users, {})],
)
def test_the_rollouts_own_fact_reads_are_batched(fact, kwargs, dry):
    """What pyinfra runs a fact with under the rollout's own settings is what the batch runs
    its script with. The settings once gave every fact a `_temp_dir`, the batch refused them
    all, and each host was asked ~370 commands a no-change run instead of 4-5, with no test
    failing: this one would have."""
    state = State(inventory=Inventory((["site-host"], {})), config=pyinfra_config(Reach(), dry))
    host = state.inventory.get_host("site-host")
    _, arguments = _handle_fact_kwargs(state, host, fact, None, kwargs)
    # as pyinfra's _get_fact passes them to the host
    assert _batchable({k: v for k, v in arguments.items() if k in CONNECTOR_ARGUMENT_KEYS})


@pytest.mark.parametrize("earlier_change", [False, True])
def test_an_operation_with_nothing_to_do_runs_again_only_on_a_host_changed_since(
    tmp_path, earlier_change
):
    """An operation that had nothing to do when prepared is not run again as the operations
    execute, unless an operation before it changed the host: then it decides anew (here it
    finds the file the earlier one made, and removes it). Real pyinfra on the machine itself
    (its @local connector), in a folder of the test's own."""
    made = tmp_path / "made"
    runs: list[str] = []

    @operation()
    def remove_if_there(path: str):
        runs.append("run")
        if host.get_fact(File, path=path):
            yield StringCommand("rm", "-f", path)

    def deploy() -> None:
        if earlier_change:
            server.shell(name="make it", commands=[f"touch {made}"])
        remove_if_there(name="remove it", path=str(made))

    state = State(inventory=Inventory((["@local"], {})), config=Config())
    connect_all(state)
    state.set_stage(StateStage.Prepare)
    factbatch.begin(state, tmp_path / "asked", {})
    add_deploy(state, deploy)
    state.set_stage(StateStage.Execute)
    run_ops(state)
    factbatch.end(state)

    local = state.inventory.get_host("@local")
    last = state.ops[local][local.op_hash_order[-1]].operation_meta
    assert last.did_succeed()
    assert runs == (["run", "run"] if earlier_change else ["run"])
    assert last.did_change() is earlier_change
    assert not made.exists()
    assert state.results[local].success_ops == (2 if earlier_change else 1)
