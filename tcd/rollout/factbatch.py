"""A host's facts read in one SSH round trip per phase, not one each.

pyinfra reads every fact with its own command (≈200 per host for the site roles, one round trip
each). Here, before a phase prepares its operations, every fact command the same phase asked of
that host last time is run on the host in one script, and pyinfra's fact reads during the
preparation are answered from that output. In the script, questions of one kind (the stat of
many files, the state of many units) are asked with one command (factmerge.py). A host never
asked before (a first rollout, a new site) is asked what a host with the same roles asked: one
such host is prepared first when none was asked yet. A fact asked for the first time (a new
role, a file found this run) is read as pyinfra would, and asked in the batch the next time.

Only the questions are remembered between runs, never an answer: every answer is read from the
host at the start of the phase that uses it, so drift is seen exactly as before. An answer is
given while operations are prepared (nothing on the host has changed yet: the same question
gets the same answer), and while they run only until an operation has run a command or
uploaded a file on that host.

pyinfra runs each operation's code again as it executes it, and that code reads its facts
again. Once the host has changed, those reads go to the host, in one command for a run of
operations: the questions each operation asked while it was prepared, from the one executing
up to the next that was to change the host (its facts are read before its first command).
They are answered until the next command or upload, like the phase's own batch.

An operation that had nothing to do when it was prepared is not run again on a host that no
operation has changed since the answers were read: its code would read the same answers and
decide the same (pyinfra's operations decide from their arguments and facts alone). It
completes as pyinfra completes an operation without commands. In a no-change rollout of 95
units, running ~8,300 such operations' code again was most of the 6.3 s of the controller's CPU
that executing took.
"""

import json
import secrets
import shlex
from collections.abc import Hashable, Iterable, Mapping
from importlib import import_module
from pathlib import Path
from typing import Any

from paramiko import SSHException
from pyinfra.api import State, StringCommand
from pyinfra.api.host import Host
from pyinfra.api.state import StateStage
from pyinfra.connectors.util import CommandOutput, OutputLine

from tcd.rollout.factmerge import companions, equivalents, hashes_a_key, merge
from tcd.rollout.rootshell import ARGUMENT_MAX

# what a batched fact may be run with: as root through sudo, by sh, as the script runs them
# (another user, environment, folder or input is left to pyinfra)
_PLAIN = {"_sudo": True, "_shell_executable": "sh"}
# (_temp_dir is where pyinfra would put a sudo password helper: the script's own command is run
# with the same configuration, and the rollout's TEMP_DIR gives every fact read one)
_IRRELEVANT = {
    "print_output",
    "print_input",
    "_success_exit_codes",
    "_retry_delay",
    "_retries",
    "_temp_dir",
}

# the script's size (its framing per question included)
_SCRIPT_MAX = ARGUMENT_MAX
_FRAMING = 160

_run_shell_command = Host.run_shell_command
_put_file = Host.put_file
# the module (pyinfra.api's `facts` name may be another object), and its fact reader
_facts = import_module("pyinfra.api.facts")
_get_fact = _facts._get_fact
_operations = import_module("pyinfra.api.operations")
_run_host_op = _operations._run_host_op


class _Batch:
    """The answers read for one phase (its state), the questions asked in it, and the hosts on
    which an operation has run a command since the answers were read; per host, what each
    operation asked while prepared, and what was read again since the host's last change."""

    def __init__(self, folder: Path, kinds: Mapping[str, Hashable]) -> None:
        self.folder = folder
        self.kinds = kinds  # host -> what decides its questions (its roles)
        self.answers: dict[str, dict[str, tuple[bool, CommandOutput]]] = {}
        self.asked: dict[str, list[str]] = {}
        self.reading: dict[str, int] = {}  # host -> fact reads under way (nested)
        self.changed: set[str] = set()
        self._kept: dict[str, list[str]] = {}
        # host -> operation -> the questions it asked while prepared
        self.by_op: dict[str, dict[str, list[str]]] = {}
        # host -> answers read since its last command, for the operations executing
        self.since: dict[str, dict[str, tuple[bool, CommandOutput]]] = {}

    def touched(self, host: str) -> None:
        """An operation ran a command on `host` or uploaded to it: what was read is old (and
        let go: a phase's answers of 96 hosts are held until it ends otherwise)."""
        self.changed.add(host)
        self.answers.pop(host, None)
        self.since.pop(host, None)

    def ahead(self, host: Host) -> list[str]:
        """The questions the operations from the one executing on `host` asked while prepared,
        up to the first that was to change the host (included); only the executing one's if
        it was to change it itself."""
        order, current = host.op_hash_order, host.current_op_hash
        if current not in order:  # (an operation added while executing)
            return []
        asked = self.by_op.get(host.name, {})
        questions: list[str] = []
        for op_hash in order[order.index(current) :]:
            questions += asked.get(op_hash, [])
            # (None: pyinfra did not look, it may)
            if host.state.ops[host][op_hash].operation_meta._maybe_is_change is not False:
                break  # its commands follow these reads: later answers would be old
        return list(dict.fromkeys(questions))

    def kept(self, host: str) -> list[str]:
        # read once a phase (the files change only when it ends): a new host is asked its
        # siblings' questions, and each sibling's file would be read again for each new host
        if host not in self._kept:
            try:
                kept = json.loads((self.folder / f"{host}.json").read_text())
            except (OSError, ValueError):
                kept = []
            self._kept[host] = [q for q in kept if isinstance(q, str) and not hashes_a_key(q)]
        return self._kept[host]

    def questions(self, host: str) -> list[str]:
        """What `host` asked last time; for a host never asked (a first rollout, a new site),
        what the hosts of its kind asked, last time or already in this phase."""
        if kept := self.kept(host):
            return kept
        kind = self.kinds.get(host)
        siblings = [h for h, k in self.kinds.items() if k == kind and h != host]
        seen = [q for h in siblings for q in (self.asked.get(h) or self.kept(h))]
        return list(dict.fromkeys(seen))

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for host, asked in self.asked.items():
            path = self.folder / f"{host}.json"
            temporary = path.with_suffix(".tmp")
            kept = list(dict.fromkeys([*asked, *companions(asked)]))
            temporary.write_text(json.dumps(kept, indent=0))
            temporary.replace(path)


_BATCHES: dict[int, _Batch] = {}


def _batch_of(host: Host) -> _Batch | None:
    return _BATCHES.get(id(host.state.inventory)) if host.state else None


def _batchable(kwargs: dict[str, Any]) -> bool:
    arguments = {k: v for k, v in kwargs.items() if k not in _IRRELEVANT and v}
    return arguments == _PLAIN


def _reading_fact(state: State, host: Host, *args: Any, **kwargs: Any) -> Any:
    """pyinfra's own fact read, marked as one (what runs outside it is an operation's)."""
    batch = _batch_of(host)
    if batch is None:
        return _get_fact(state, host, *args, **kwargs)
    batch.reading[host.name] = batch.reading.get(host.name, 0) + 1
    try:
        return _get_fact(state, host, *args, **kwargs)
    finally:
        batch.reading[host.name] -= 1


def _answering(host: Host, command: Any, **kwargs: Any) -> tuple[bool, CommandOutput]:
    batch = _batch_of(host)
    if batch is None:
        return _run_shell_command(host, command, **kwargs)
    if not batch.reading.get(host.name):
        # an operation's command: from now on the host may differ from the answers
        batch.touched(host.name)
        return _run_shell_command(host, command, **kwargs)
    question = command.get_raw_value() if isinstance(command, StringCommand) else command
    # a command holding a secret (pyinfra masks it in logs) is never written down as a question
    secret = isinstance(command, StringCommand) and command.get_masked_value() != question
    if not isinstance(question, str) or secret or not _batchable(kwargs):
        return _run_shell_command(host, command, **kwargs)
    batch.asked.setdefault(host.name, []).append(question)
    preparing = host.state.current_stage == StateStage.Prepare
    if preparing and host.current_op_hash:
        batch.by_op.setdefault(host.name, {}).setdefault(host.current_op_hash, []).append(question)
    # pyinfra reads facts while it prepares operations, and again as it runs them: until an
    # operation has run a command on the host, the host is as the answers found it
    fresh = preparing or host.name not in batch.changed
    known = batch.answers if fresh else batch.since
    if (answer := known.get(host.name, {}).get(question)) is not None:
        return answer
    if not fresh and host.name not in batch.since:
        ahead = batch.ahead(host)
        if question in ahead and len(ahead) > 1:
            batch.since[host.name] = _ask(host, ahead)
            if (answer := batch.since[host.name].get(question)) is not None:
                return answer
    if (cheaper := equivalents().get(question)) is not None:
        return _run_shell_command(host, StringCommand(cheaper), **kwargs)
    return _run_shell_command(host, command, **kwargs)


def _uploading(host: Host, *args: Any, **kwargs: Any) -> Any:
    batch = _batch_of(host)
    if batch is not None:
        batch.touched(host.name)
    return _put_file(host, *args, **kwargs)


def _running_op(state: State, host: Host, op_hash: str) -> bool:
    """pyinfra's run of one operation on one host; none for an operation that had nothing to
    do while prepared, on a host nothing has changed since (its code would decide the same)."""
    batch = _batch_of(host)
    data = state.get_op_data_for_host(host, op_hash)
    meta = data.operation_meta
    if (
        batch is None
        or host.name in batch.changed
        or meta._maybe_is_change is not False  # (None: pyinfra did not look)
        or data.global_arguments.get("_retry_until")  # it may want a run even without commands
    ):
        return _run_host_op(state, host, op_hash)
    # what pyinfra's own run does when the operation yields no command
    results = state.get_results_for_host(host)
    results.ops += 1
    results.success_ops += 1
    state.trigger_callbacks("operation_host_success", host, op_hash, 0)
    meta.set_complete(True, [], CommandOutput([]))
    return True


def begin(state: State, folder: Path, kinds: Mapping[str, Hashable]) -> None:
    """Batch the fact reads of `state`'s phase; its questions are kept in `folder`. Hosts of
    the same kind (`kinds`: host -> a key, its roles) ask the same questions."""
    Host.run_shell_command = _answering  # type: ignore[method-assign]
    Host.put_file = _uploading  # type: ignore[method-assign]
    _facts._get_fact = _reading_fact
    _operations._run_host_op = _running_op
    _BATCHES[id(state.inventory)] = _Batch(folder, kinds)


def pathfinders(state: State, hosts: list[Host]) -> tuple[list[Host], list[Host]]:
    """`hosts` in the order to prepare them: first one host of each kind of which no host was
    asked anything yet, so that the others of its kind are asked its questions in one command,
    then the rest side by side."""
    batch = _BATCHES[id(state.inventory)]
    first: dict[Hashable, Host] = {}
    known = {batch.kinds.get(h.name) for h in hosts if batch.kept(h.name)}
    for host in hosts:
        kind = batch.kinds.get(host.name)
        if kind not in known and kind not in first:
            first[kind] = host
    return list(first.values()), [h for h in hosts if h not in first.values()]


def read(state: State, host: Host) -> None:
    """Ask `host`, in one command, every fact its phase asked last time, or asked of its kind
    (in a few, if the script would be longer than one command line may be). A host that does
    not answer is asked each fact on its own, as pyinfra would."""
    batch = _BATCHES[id(state.inventory)]
    batch.answers[host.name] = _ask(host, batch.questions(host.name))


def _ask(host: Host, questions: list[str]) -> dict[str, tuple[bool, CommandOutput]]:
    """The answers of `questions`, asked in one script (or a few: _chunks); those a script
    that failed or did not come back would have given are missing."""
    answers: dict[str, tuple[bool, CommandOutput]] = {}
    for chunk in _chunks(questions):
        token = f"@@tcd-{secrets.token_hex(6)}@@"
        try:
            status, output = _run_shell_command(
                host, StringCommand(_script(chunk, token)), _sudo=True, print_output=False
            )
        except (OSError, TimeoutError, SSHException):
            break
        if status:
            answers |= _answers(chunk, output.stdout_lines, token)
    return answers


def _chunks(questions: list[str]) -> Iterable[list[str]]:
    """The questions in groups whose script stays well under Linux's 128 KiB for one argument
    (the script is one argument of `sh -c`)."""
    chunk: list[str] = []
    size = 0
    for question in questions:
        if chunk and size + len(question) > _SCRIPT_MAX:
            yield chunk
            chunk, size = [], 0
        chunk.append(question)
        size += len(question) + _FRAMING
    if chunk:
        yield chunk


def end(state: State) -> None:
    """Keep the questions this phase asked, for the next run; stop answering for it (once its
    operations have run)."""
    batch = _BATCHES.pop(id(state.inventory), None)
    if batch is not None:
        batch.save()


def _script(questions: list[str], token: str) -> str:
    """Each question run as pyinfra would (`sh -c`), or with others of its kind in one command
    (factmerge.py)."""
    return _framed(_commands(questions), token)


def _framed(commands: list[tuple[str, str]], token: str) -> str:
    """Each (label, command) run by `sh -c`, its output framed by `token` lines: stdout, then
    its exit status, then stderr (`cat` only when there is any: most questions write none, and
    a program is a millisecond of the host's CPU)."""
    parts = ["e=$(mktemp) || exit 1"]
    for label, command in commands:
        parts.append(
            f"printf '%s\\n' '{token} {label}'; sh -c {shlex.quote(command)} 2>\"$e\" </dev/null;"
            f" printf '\\n%s %s\\n' '{token} {label} status' \"$?\";"
            f' [ -s "$e" ] && cat "$e"; printf \'\\n\''
        )
    parts.append(f"rm -f \"$e\"; printf '%s\\n' '{token} end'")
    return "\n".join(parts)


def _commands(questions: list[str]) -> list[tuple[str, str]]:
    """(label, command): a question asked alone is labelled by its place in `questions`, a
    merged command by its place among the merged ones."""
    alone, merged = merge(questions)
    single = set(alone)
    cheaper = equivalents()
    labelled = [(str(n), cheaper.get(q, q)) for n, q in enumerate(questions) if q in single]
    return labelled + [(f"m{n}", m.command) for n, m in enumerate(merged)]


def _answers(
    questions: list[str], lines: list[str], token: str
) -> dict[str, tuple[bool, CommandOutput]]:
    found: dict[str, tuple[bool, CommandOutput]] = {}
    _, merged = merge(questions)
    for label, (status, out, err) in _frames(lines, token).items():
        if label.isdigit() and int(label) < len(questions):
            found[questions[int(label)]] = (status == 0, _output(out, err))
        elif label[:1] == "m" and label[1:].isdigit() and int(label[1:]) < len(merged):
            # each merged kind's question succeeds and writes nothing to stderr, alone
            answered = merged[int(label[1:])].answers(out, status)
            found |= {q: (True, _output(own, [])) for q, own in answered.items()}
    return found


def _frames(lines: list[str], token: str) -> dict[str, tuple[int, list[str], list[str]]]:
    """Each framed command's status, stdout and stderr lines (without the empty line the
    newline the script adds after each part makes)."""
    found: dict[str, tuple[int, list[str], list[str]]] = {}
    label, status, out, err, part = "", 0, [], [], None
    # an answer counts once the next frame (or the script's end) follows it: a cut output
    # leaves its last question to be asked on its own
    for line in lines:
        if line.startswith(token):
            words = line[len(token) :].split()
            if part == "err" and label:
                found[label] = (status, _trimmed(out), _trimmed(err))
            if len(words) == 3 and words[1] == "status":
                status, part = int(words[2]), "err"
            elif len(words) == 1:
                label, out, err, part = words[0], [], [], "out"
            continue
        (out if part == "out" else err).append(line)
    return found


def _trimmed(lines: list[str]) -> list[str]:
    return lines[:-1] if lines[-1:] == [""] else lines


def _output(out: list[str], err: list[str]) -> CommandOutput:
    return CommandOutput(
        [OutputLine("stdout", line) for line in out] + [OutputLine("stderr", line) for line in err]
    )
