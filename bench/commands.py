"""Benchmark: what each SSH command of a rollout costs the host it runs on.

    sudo .venv/bin/python bench/commands.py --sites 26380,25217 [--host NAME] [--top 20]

On a lab that is up (TCD_LAB_NAME, as for `tcd`): runs `tcd rollout --sites … --lab --no-verify`
in this process, with pyinfra's SSH connector wrapped to read the host's cgroup CPU counter
(bench/measure.py's `hosts_cpu_s`) before and after each command and upload. A host's commands
run one after the other, so the difference is that command's cost on the host (its programs, and
its sshd and sudo, or the rollout's root shell that runs them: tcd/rollout/rootshell.py; plus
whatever else the host did meanwhile, small beside it). Prints, per host, the commands and the
CPU seconds in them; then, for `--host` (the first host by default), the costliest kinds of
command (their first words) and single commands. Run it on a fresh lab for a first rollout,
again for a no-change one.
"""

import argparse
import sys
import time
from collections import defaultdict
from typing import Any

# before anything that imports sockets or threads: it patches the standard library for gevent
import tcd.cli.main as cli  # isort: skip

from measure import hosts_cpu_s
from pyinfra.api.command import StringCommand
from pyinfra.connectors.ssh import SSHConnector

from tcd.lab.settings import LabSettings
from tcd.rollout import rootshell

Row = tuple[str, str, float, float, str]  # host, what, host CPU s, wall s, command


def instrument(settings: LabSettings, rows: list[Row]) -> None:
    def wrap(method: str) -> None:
        original = getattr(SSHConnector, method)

        def measured(self: SSHConnector, *args: Any, **kwargs: Any) -> Any:
            name = self.host.name
            before, start = hosts_cpu_s(settings).get(name, 0.0), time.monotonic()
            try:
                return original(self, *args, **kwargs)
            finally:
                used = hosts_cpu_s(settings).get(name, 0.0) - before
                command = args[0] if args else ""
                if isinstance(command, StringCommand):
                    command = command.get_raw_value()
                text = " ".join(str(command).split()) if method == "run_shell_command" else "put"
                rows.append((name, method, used, time.monotonic() - start, text))

        setattr(SSHConnector, method, measured)

    # wrapped above the rollout's root shell: each command counts, whichever way it goes
    rootshell.install()
    wrap("run_shell_command")
    wrap("put_file")


def main() -> int:
    parser = argparse.ArgumentParser(description="each rollout command's cost on its host")
    parser.add_argument("--sites", required=True, help="admin codes, comma-separated")
    parser.add_argument("--host", help="the host to detail (default: the first)")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    settings = LabSettings.from_env()
    rows: list[Row] = []
    instrument(settings, rows)
    start = time.monotonic()
    try:
        cli.app(["rollout", "--sites", args.sites, "--lab", "--no-verify"])
    except SystemExit as done:
        if done.code:
            return int(done.code)
    wall = time.monotonic() - start
    per_host: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for name, _, used, _, _ in rows:
        per_host[name][0] += 1
        per_host[name][1] += used
    print(f"\nrollout: {wall:.1f} s wall\n")
    print("| host | commands | host CPU in them |\n|---|---:|---:|")
    for name, (count, used) in sorted(per_host.items()):
        print(f"| {name} | {count:.0f} | {used:.2f} s |")
    detail = args.host or min(per_host)
    mine = [r for r in rows if r[0] == detail]
    kinds: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for _, _, used, _, text in mine:
        kind = " ".join(text.split()[:3])
        kinds[kind][0] += 1
        kinds[kind][1] += used
    print(f"\n{detail}: costliest kinds of command\n\n| host CPU | count | first words |")
    print("|---:|---:|---|")
    for kind, (count, used) in sorted(kinds.items(), key=lambda k: -k[1][1])[: args.top]:
        print(f"| {used:.2f} s | {count:.0f} | `{kind[:60]}` |")
    print(f"\n{detail}: costliest commands\n\n| host CPU | wall | command |\n|---:|---:|---|")
    for _, _, used, took, text in sorted(mine, key=lambda r: -r[2])[: args.top]:
        print(f"| {used:.2f} s | {took:.2f} s | `{text[:80]}` |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
