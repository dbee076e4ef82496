"""The rollout's root shell (tcd/rollout/rootshell.py): which commands go through it, and on a
lab host, that each answers as pyinfra's own exec answers."""

import json
import subprocess
import sys
from base64 import b64encode
from pathlib import Path
from typing import Any

import pytest
from pyinfra.api import Inventory, State
from pyinfra.api.arguments import CONNECTOR_ARGUMENT_KEYS, pop_global_arguments
from pyinfra.api.command import StringCommand

from tcd.lab.target import lab_target
from tcd.loading import load_inventory
from tcd.rollout.engine import Reach, pyinfra_config
from tcd.rollout.rootshell import UPLOAD_MAX, _through_shell

from .conftest import INVENTORY, RolledOut

PROBE = Path(__file__).with_name("rootshell_probe.py")


def _connector(dry: bool = False):
    state = State(inventory=Inventory((["site-host"], {})), config=pyinfra_config(Reach(), dry))
    return state, state.inventory.get_host("site-host")


@pytest.mark.parametrize("dry", [False, True])
def test_the_rollouts_own_commands_go_through_the_shell(dry):
    """What pyinfra runs an operation's commands with under the rollout's settings is the
    shape the shell takes: were it not, every command would quietly go back to its own sudo."""
    state, host = _connector(dry)
    arguments, _ = pop_global_arguments(state, host, {})
    connecting = {k: v for k, v in arguments.items() if k in CONNECTOR_ARGUMENT_KEYS}
    command = StringCommand("chmod", "644", "/etc/hostname")
    assert _through_shell(command, host.connector, connecting) == "chmod 644 /etc/hostname"
    # a fact's command is often a plain string
    assert _through_shell("uname -s", host.connector, connecting) == "uname -s"


@pytest.mark.parametrize(
    "arguments",
    [
        {"_sudo": False},
        {"_sudo": True, "_sudo_user": "nobody"},
        {"_sudo": True, "_env": {"LANG": "C"}},
        {"_sudo": True, "_chdir": "/tmp"},
        {"_sudo": True, "_su_user": "nobody"},
        {"_sudo": True, "_use_sudo_login": True},
        {"_sudo": True, "_preserve_sudo_env": True},
        {"_sudo": True, "_shell_executable": "bash"},
        {"_sudo": True, "_timeout": 5},
        {"_sudo": True, "_stdin": "yes"},
        {"_sudo": True, "_get_pty": True},
        {"_doas": True},
    ],
)
def test_any_other_command_is_left_to_pyinfra(arguments):
    _, host = _connector()
    assert _through_shell(StringCommand("true"), host.connector, arguments) is None


def test_exit_codes_that_count_as_success_are_still_the_operations():
    _, host = _connector()
    arguments = {"_sudo": True, "_success_exit_codes": [0, 1]}
    assert _through_shell(StringCommand("true"), host.connector, arguments) == "true"


# ---- on a lab host ---------------------------------------------------------------------------

COMMANDS = [
    "printf abc",  # a last line without its newline
    "printf 'abc\\n'",
    "printf 'abc\\n\\n'",  # an empty last line
    "printf '\\n'",
    "true",  # nothing at all
    "printf 'x\\ny'",
    "echo out; echo err >&2; exit 3",
    "exit 7",
    "cat; echo after-cat",  # reads its input: /dev/null, not the shell's commands
    "cd /tmp && pwd",
    "pwd",  # the folder above did not stay
    "id; umask",
    "env | grep -v -e '^_=' -e '^SUDO_COMMAND=' | sort",
    "seq 1 100000",  # more than an SSH window's worth
    "seq 1 50000 >&2",
    "echo 'Phường Long Hưng'",
    "echo 'it'\"'\"'s'",
    "x=1; echo $x; echo \"$x\" '$x'",
]


def _probe(rolled_out: RolledOut, given: list, *mode: str) -> Any:
    """What rootshell_probe.py printed, run against tcd-26380-pc1 with `given` on its input."""
    lab = rolled_out.lab
    connection = lab_target(load_inventory(INVENTORY), lab.settings).connection
    probed = subprocess.run(
        [sys.executable, str(PROBE), "tcd-26380-pc1", json.dumps(connection), *mode],
        input=json.dumps(given),
        capture_output=True,
        text=True,
        check=True,
        env=lab.env(),
        timeout=300,
    )
    return json.loads(probed.stdout)


@pytest.mark.lab
def test_each_command_answers_through_the_shell_as_pyinfra_answers(rolled_out: RolledOut):
    """The same status, stdout lines and stderr lines, command by command. Then a command that
    ends the shell: it fails, and the next command gets a new shell."""
    killer = "kill -9 $PPID"
    found = _probe(rolled_out, [*COMMANDS, killer, "echo back"])
    results = {r["command"]: r for r in found["results"]}
    for command in COMMANDS:
        assert results[command]["shell"] == results[command]["pyinfra"], command
    assert results["seq 1 100000"]["shell"][1][-1] == "100000"
    assert results[killer]["shell"] == ["error", "the root shell ended"]
    assert results["echo back"]["shell"] == [True, ["back"], []]
    assert found["shell_open"]


@pytest.mark.lab
def test_a_rollout_runs_one_sudo_per_host(rolled_out: RolledOut):
    """sudo's own log on each host during the second rollout: one `sh`, the root shell every
    root command of the rollout went through (the hubs' two steps share one connection)."""
    assert rolled_out.second_sudo == {h: ["/usr/bin/sh"] for h in rolled_out.second_sudo}
    assert len(rolled_out.second_sudo) == 6


# what each upload case prepares ({} is the target), and the content it uploads
UPLOADS = [
    ("mkdir -p /tmp/tcd-put && rm -f {}", b"a new file\n"),  # made as the login user's would be
    ("mkdir -p /tmp/tcd-put && echo old >{} && chown nobody:nogroup {} && chmod 604 {}", b"new"),
    ("mkdir -p /tmp/tcd-put && rm -f {}", bytes(range(256)) + b"no newline at the end \xff"),
    ("mkdir -p /tmp/tcd-put && echo old >{}", b""),
    ("mkdir -p /tmp/tcd-put && rm -f {}", b"x" * (UPLOAD_MAX + 1)),  # pyinfra's SFTP, as before
    ("rm -rf /tmp/tcd-put", b"its folder is missing"),
]


@pytest.mark.lab
def test_an_upload_through_the_shell_leaves_what_pyinfras_own_leaves(rolled_out: RolledOut):
    """The same success, mode, owner and content, case by case; only content over UPLOAD_MAX
    opens an SFTP session."""
    cases = [
        {"path": f"/tmp/tcd-put/case{n}", "setup": setup, "content": b64encode(content).decode()}
        for n, (setup, content) in enumerate(UPLOADS)
    ]
    found = _probe(rolled_out, cases, "uploads")
    for n, ((_, content), result) in enumerate(zip(UPLOADS, found, strict=True)):
        assert result["shell"] == result["pyinfra"], n
        assert result["shell_sftp"] == (1 if len(content) > UPLOAD_MAX else 0), n
    assert found[1]["shell"] == [True, ["604 nobody nogroup", "bmV3"]]
    assert found[-1]["shell"][0] is False
    rolled_out.lab.ssh("tcd-26380-pc1", "sudo rm -rf /tmp/tcd-put")
