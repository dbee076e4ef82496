"""Run by tests/test_rootshell.py in a process of its own, patched for gevent as `tcd rollout`
is: connect to one lab host as a rollout does, run each command given (JSON on stdin) through
pyinfra's own exec and through the host's root shell, print both answers (JSON). With `uploads`
as a third argument, each case given is an upload instead: its target prepared by a command,
then uploaded by pyinfra's own SFTP and through the shell, each target's mode, owner and content
read back (and how many SFTP sessions the rollout's way opened)."""

from gevent import monkey

monkey.patch_all()

import base64  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402

from pyinfra.api import Inventory, State  # noqa: E402
from pyinfra.api.connect import connect_all  # noqa: E402
from pyinfra.api.state import StateStage  # noqa: E402

from tcd.rollout import rootshell  # noqa: E402
from tcd.rollout.engine import Reach, pyinfra_config  # noqa: E402


def answer(done: tuple) -> list:
    status, output = done
    return [status, output.stdout_lines, output.stderr_lines]


def uploads(connector, cases: list[dict]) -> list[dict]:
    sessions = []
    opened = connector.get_file_transfer_connection
    connector.get_file_transfer_connection = lambda: sessions.append(1) or opened()
    results = []
    for case in cases:
        content = base64.b64decode(case["content"])
        found = {}
        for way, target in (("pyinfra", case["path"] + ".pyinfra"), ("shell", case["path"])):
            rootshell._exec(connector, case["setup"].replace("{}", target), _sudo=True)
            before = len(sessions)
            put = rootshell._put if way == "pyinfra" else type(connector).put_file
            ok = put(connector, io.BytesIO(content), target, _sudo=True)
            _, output = rootshell._exec(
                connector, f"stat -c '%a %U %G' {target} && base64 -w0 {target}", _sudo=True
            )
            found[way] = [ok, output.stdout_lines]
            found[f"{way}_sftp"] = len(sessions) - before
        results.append(found)
    return results


def main() -> None:
    host_name, connection = sys.argv[1], json.loads(sys.argv[2])
    given: list = json.loads(sys.stdin.read())
    state = State(
        inventory=Inventory(([(host_name, connection)], {})), config=pyinfra_config(Reach(), False)
    )
    state.set_stage(StateStage.Connect)
    connect_all(state)
    connector = state.inventory.get_host(host_name).connector
    rootshell.install()
    if sys.argv[3:] == ["uploads"]:
        print(json.dumps(uploads(connector, given)))
        connector.client.close()
        return
    results = []
    for command in given:
        pyinfras = answer(rootshell._exec(connector, command, _sudo=True))
        try:
            shells = answer(connector.run_shell_command(command, _sudo=True))
        except OSError as exc:
            shells = ["error", str(exc)]
        results.append({"command": command, "pyinfra": pyinfras, "shell": shells})
    transport = connector.client.get_transport()
    print(
        json.dumps({"results": results, "shell_open": rootshell._SHELLS.get(transport) is not None})
    )
    connector.client.close()


if __name__ == "__main__":
    main()
