"""Running the machine's tools (ip, mount, useradd…) with argument lists, never a shell string."""

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


class LabCommandError(RuntimeError):
    pass


def run(
    args: Sequence[str | Path],
    *,
    input: str | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run a command; on failure raise with the command and its stderr, which name the cause."""
    argv = [str(a) for a in args]
    result = subprocess.run(argv, input=input, capture_output=True, text=True, check=False, env=env)
    if check and result.returncode != 0:
        raise LabCommandError(
            f"{' '.join(argv)}: exit {result.returncode}: {result.stderr.strip()}"
        )
    return result.stdout


def ip_batch(netns: str, commands: Sequence[Sequence[str]]) -> None:
    """Many `ip` commands inside one namespace in one process (`ip -n NETNS -batch -`)."""
    if commands:
        lines = "\n".join(" ".join(command) for command in commands) + "\n"
        run(["ip", "-n", netns, "-force", "-batch", "-"], input=lines)
