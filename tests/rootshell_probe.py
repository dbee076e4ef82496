"""Run by tests/test_rootshell.py in a process of its own, patched for gevent as `tcd rollout`
is: connect to one lab host as a rollout does, run each command given (JSON on stdin) through
pyinfra's own exec and through the host's root shell, print both answers (JSON)."""

from gevent import monkey

monkey.patch_all()

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


def main() -> None:
    host_name, connection = sys.argv[1], json.loads(sys.argv[2])
    commands: list[str] = json.loads(sys.stdin.read())
    state = State(
        inventory=Inventory(([(host_name, connection)], {})), config=pyinfra_config(Reach(), False)
    )
    state.set_stage(StateStage.Connect)
    connect_all(state)
    connector = state.inventory.get_host(host_name).connector
    rootshell.install()
    results = []
    for command in commands:
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
