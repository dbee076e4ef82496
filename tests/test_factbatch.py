"""The script that asks a host many facts at once gives each its own output, as if it had been
run alone (here with the machine's own sh; on lab hosts in test_converge.py and the rollout
tests)."""

import subprocess

from tcd.rollout.factbatch import _answers, _chunks, _script

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
