"""Many fact questions of one kind answered by one command: the stat and the hash of every file
a phase manages, the state of every unit, the listing of every drop-in folder.

A host's batch (factbatch.py) runs each question in a shell of its own: ~170 for a reception PC,
140 of them one small program each (stat, sha1sum, systemctl, find). The same programs take
many arguments, and give for each the lines they give for it alone: `stat` and `sha1sum` one
line (or block) per file, named; `systemctl show` a block per unit and `systemctl is-enabled` a
line per unit, in the order asked; `find` each found path under the folder it was found in.
With them and the cheaper Users command (users.sh), a reception PC's batch takes 0.28 s of its
CPU instead of 0.59 s (docs/benchmarks.md).

A question is merged only if it is, character for character, what pyinfra (or the role) asks
for that argument, and the argument is a plain name (no quoting, nothing a tool would escape).
An answer is given only where the merged output shows which argument it belongs to; the others
(a unit `systemctl` stopped at, a file that vanished between the two reads) get none and are
asked on their own, as before. tests/test_factmerge.py checks each kind against its questions
run alone, on the machine and on lab hosts.
"""

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pyinfra.api import StringCommand
from pyinfra.facts.files import LINUX_STAT_COMMAND, File, Sha1File
from pyinfra.facts.server import Users
from pyinfra.facts.systemd import SystemdStatus

from roles.common.files import dropin_listing
from roles.common.units import UnitFileState
from roles.common.wireguard import KEY_DIR

# a name the shell and the tools print as given: shlex leaves it bare, stat's %n and sha1sum
# do not escape it
_PLAIN = re.compile(r"[A-Za-z0-9_./@:+-]+")

# how pyinfra asks a fact whose program may be missing (pyinfra.api.facts._get_fact)
_REQUIRING = "if command -v {0} >/dev/null 2>&1; then ( {1} ); else echo '##PYINFRA_NOCMD##'; fi"

Lines = list[str]


def _raw(command: StringCommand | str) -> str:
    return command.get_raw_value() if isinstance(command, StringCommand) else command


@dataclass(frozen=True)
class Kind:
    """One kind of question: how to recognise it, ask all at once, and split the answer."""

    name: str
    shape: re.Pattern[str]  # the question, with its argument as group 1
    question: Callable[[str], str]  # the question exactly as asked for an argument
    command: Callable[[list[str]], str]  # every argument in one command
    split: Callable[[list[str], Lines, int], dict[str, Lines]]  # argument -> its stdout lines

    def argument(self, question: str) -> str | None:
        found = self.shape.fullmatch(question)
        if found and _PLAIN.fullmatch(found[1]) and self.question(found[1]) == question:
            return found[1]
        return None


# `stat` of each file: its own block, headed by the name (the absent ones said so by the shell,
# as the question's `test -e || test -L` would)
# pyinfra's own format: a question is merged only if it is pyinfra's command, and the merged
# one must print what that command prints
_STAT_FORMAT = shlex.split(LINUX_STAT_COMMAND)[-1]
_HEAD = "@@tcd-stat@@"


def _stat_all(paths: list[str]) -> str:
    names = " ".join(paths)
    return (
        f"for p in {names}; do [ -e $p ] || [ -L $p ] || echo '{_HEAD} absent' $p; done; "
        f"stat --printf '{_HEAD} %n\\n{_STAT_FORMAT}\\n' -- {names} 2>/dev/null"
    )


def _split_stat(paths: list[str], lines: Lines, status: int) -> dict[str, Lines]:
    blocks: dict[str, Lines] = {}
    current: Lines | None = None
    for line in lines:
        if line.startswith(f"{_HEAD} absent "):
            blocks[line.split(" ", 2)[2]] = []
            current = None
        elif line.startswith(f"{_HEAD} "):
            current = blocks.setdefault(line.split(" ", 1)[1], [])
        elif current is not None:
            current.append(line)  # a link's target may hold a newline: the block goes on
    return {path: blocks[path] for path in paths if path in blocks}


def _split_hashes(paths: list[str], lines: Lines, status: int) -> dict[str, Lines]:
    # the question gives nothing for a file sha1sum cannot read (absent, a folder) and so
    # does the merged one: each named line is its file's answer, the others answer nothing
    by_path = {}
    for line in lines:
        digest, _, path = line.partition("  ")
        if len(digest) == 40 and path:
            by_path[path] = [line]
    return {path: by_path.get(path, []) for path in paths}


def _split_listing(folders: list[str], lines: Lines, status: int) -> dict[str, Lines]:
    found: dict[str, Lines] = {folder: [] for folder in folders}
    current: Lines | None = None
    for line in lines:
        folder = line.rpartition("/")[0]
        if folder in found:
            current = found[folder]
            current.append(line)
        elif current is not None:
            current.append(line)  # a found name holding a newline
    return found


def _in_order(separator: str | None) -> Callable[[list[str], Lines, int], dict[str, Lines]]:
    """systemctl answers in the order asked, and stops at the first unit it cannot read (a
    unit file that is not there, a template without an instance): the ones before it count."""

    def split(units: list[str], lines: Lines, status: int) -> dict[str, Lines]:
        if separator is None:
            parts = [[line] for line in lines]
        else:
            parts = [block.split("\n") for block in "\n".join(lines).split(separator) if block]
        if len(parts) > len(units) or (status == 0 and len(parts) != len(units)):
            return {}
        return dict(zip(units, parts, strict=False))

    return split


KINDS = (
    Kind(
        "stat",
        re.compile(r"! \(test -e (\S+) \|\| test -L .*"),
        lambda path: _raw(File().command(path)),
        _stat_all,
        _split_stat,
    ),
    Kind(
        "sha1",
        re.compile(r"test -e (\S+) && \( sha1sum .*"),
        lambda path: _raw(Sha1File().command(path)),
        lambda paths: f"sha1sum -- {' '.join(paths)} 2>/dev/null",
        _split_hashes,
    ),
    Kind(
        "unit state",
        re.compile(r"if command -v systemctl .*--property SubState (\S+) \); else .*"),
        lambda unit: _REQUIRING.format(
            SystemdStatus().requires_command(), _raw(SystemdStatus().command(services=unit))
        ),
        lambda units: _raw(SystemdStatus().command(services=units)),
        _in_order("\n\n"),
    ),
    Kind(
        "unit file state",
        re.compile(r"systemctl is-enabled (\S+) 2>/dev/null \|\| true"),
        lambda unit: UnitFileState().command(unit),
        lambda units: f"systemctl is-enabled {' '.join(units)} 2>/dev/null",
        _in_order(None),
    ),
    Kind(
        "drop-ins",
        re.compile(r"find (\S+) -mindepth 1 .*"),
        dropin_listing,
        lambda folders: dropin_listing(" ".join(folders)),  # find takes many starting points
        _split_listing,
    ),
)


@dataclass(frozen=True)
class Merged:
    kind: Kind
    arguments: list[str]
    questions: list[str]  # in the same order

    @property
    def command(self) -> str:
        return self.kind.command(self.arguments)

    def answers(self, lines: Lines, status: int) -> dict[str, Lines]:
        """Each question's stdout lines, for those the output answers."""
        by_argument = self.kind.split(self.arguments, lines, status)
        return {
            question: by_argument[argument]
            for argument, question in zip(self.arguments, self.questions, strict=True)
            if argument in by_argument
        }


@cache
def _recognised(question: str) -> tuple[Kind, str] | None:
    """The kind of `question` and its argument, if it has one. Kept: every host of a role set
    asks the same questions (rebuilding pyinfra's command for each of ~200 questions, for each
    of 98 hosts, twice, cost the controller about 10 s of a 95-unit rollout)."""
    for kind in KINDS:
        if (argument := kind.argument(question)) is not None:
            return kind, argument
    return None


def _private_key(path: str) -> bool:
    # roles.common.wireguard.key_path: the tunnels' configs beside them are ours to hash
    return path.startswith(f"{KEY_DIR}/") and path.endswith(".key")


@cache
def _companion(question: str) -> str | None:
    found = _recognised(question)
    if found is None or found[0].name != "stat" or _private_key(found[1]):
        return None
    return next(k for k in KINDS if k.name == "sha1").question(found[1])


def hashes_a_key(question: str) -> bool:
    """Whether `question` reads the hash of a WireGuard private key: one kept from the few
    hours companions asked it (CHANGELOG.md) is dropped, never asked."""
    found = _recognised(question)
    return found is not None and found[0].name == "sha1" and _private_key(found[1])


def companions(questions: list[str]) -> list[str]:
    """Questions pyinfra is likely to ask next time, beside `questions`: the hash of every file
    whose stat was asked (it asks for the hash once the file is there, i.e. in the rollout
    after the one that made it). One more name for one sha1sum each: a file that is not there
    answers nothing. Never the hash of a WireGuard private key: the rollout does not read
    those files, not even to hash them."""
    return [c for c in map(_companion, questions) if c is not None]


@cache
def equivalents() -> dict[str, str]:
    """Questions asked with a cheaper command that gives the same answer, where it can tell
    it does (else it runs the question itself)."""
    users = Users().command()
    fast = Path(__file__).with_name("users.sh").read_text()
    return {
        users: f"if out=$(sh -c {shlex.quote(fast)}); then"
        f' [ -z "$out" ] || printf \'%s\\n\' "$out"; else {users}\nfi'
    }


def merge(questions: list[str]) -> tuple[list[str], list[Merged]]:
    """The questions left to ask one by one, and the others merged by kind (two or more of a
    kind; one alone is asked as it is)."""
    groups: dict[str, tuple[list[str], list[str]]] = {}
    alone: list[str] = []
    for question in dict.fromkeys(questions):
        if (found := _recognised(question)) is None:
            alone.append(question)
            continue
        kind, argument = found
        arguments, asked = groups.setdefault(kind.name, ([], []))
        arguments.append(argument)
        asked.append(question)
    merged = []
    by_name = {kind.name: kind for kind in KINDS}
    for name, (arguments, asked) in groups.items():
        if len(arguments) > 1:
            merged.append(Merged(by_name[name], arguments, asked))
        else:
            alone.extend(asked)
    return alone, merged
