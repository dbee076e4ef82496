"""The Ansible twin in one call: export the inventory and variables, run the playbook.

    PYTHONPATH=. .venv/bin/python bench/ansible/run.py --lab-state state/tcdlab --sites 25195 \
        [--check] [--json]

Exits with ansible-playbook's exit code. With --json, Ansible's own output goes to stderr and
stdout is one JSON object: per host the recap's counts (ok, changed, unreachable, failed,
skipped, rescued, ignored) with the names of the tasks that changed or failed, the controller's
own plays apart (`controller`), the total of changes on the hosts, and the run's seconds.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from export import add_selection_arguments, export_selected

from tcd.paths import REPO_ROOT

TWIN_DIR = Path(__file__).resolve().parent
PLAYBOOK = TWIN_DIR / "site.yml"
ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))
CONTROLLER = "localhost"  # the twin's plays that keep the key registry run there


def run_twin(
    hosts_file: Path, hosts: int, check: bool = False, output: Any = None
) -> tuple[int, dict[str, Any]]:
    """ansible-playbook's exit code and the per-host stats its callback wrote."""
    with tempfile.TemporaryDirectory(prefix="tcd-twin-") as tmp:
        stats = Path(tmp) / "stats.json"
        masters = Path(tmp) / "cp"
        env = {
            **os.environ,
            "ANSIBLE_CONFIG": str(TWIN_DIR / "ansible.cfg"),
            # this run's own SSH connections, ended with it (below)
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(masters),
            # the filter plugins judge with the roles' own code
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p
            ),
            "TCD_TWIN_STATS": str(stats),
        }
        argv = [
            ANSIBLE_PLAYBOOK,
            "-i",
            str(hosts_file.resolve()),
            str(PLAYBOOK),
            f"--forks={max(hosts, 1)}",
        ]
        if check:
            argv.append("--check")
        try:
            done = subprocess.run(argv, env=env, cwd=TWIN_DIR, stdout=output, check=False)
        finally:
            end_connections(masters)
        found = json.loads(stats.read_text()) if stats.is_file() else {}
    return done.returncode, found


def end_connections(masters: Path) -> None:
    """End the SSH connections a run left open (ControlPersist): each run starts from none,
    as each phase of `tcd rollout` does, and none outlives it (a connection opened before the
    run changed sshd keeps sshd's settings of then: its commands would not be logged)."""
    for socket in sorted(masters.glob("*")) if masters.is_dir() else []:
        subprocess.run(
            ["ssh", "-F", "/dev/null", "-o", f"ControlPath={socket}", "-O", "exit", "twin"],
            capture_output=True,
            check=False,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description="run the Ansible twin of tcd rollout")
    add_selection_arguments(parser)
    parser.add_argument("--check", action="store_true", help="ansible-playbook --check")
    parser.add_argument("--json", action="store_true", help="stats as JSON on stdout")
    args = parser.parse_args()
    start = time.perf_counter()
    hosts_file = export_selected(args)
    count = len(list((hosts_file.parent / "host_vars").glob("*.yml")))
    code, stats = run_twin(hosts_file, count, args.check, sys.stderr if args.json else None)
    # the plays ignore errors only in a dry run, but with `ignore_errors` a template, Ansible
    # (core 2.19.14) also ignores a task whose `when` fails to render, in any run: such a task
    # never ran, so the run failed
    ignored = {n: h["ignored_errors"] for n, h in stats.items() if h.get("ignored_errors")}
    if ignored and not args.check:
        for name, errors in ignored.items():
            print(f"{name}: {'; '.join(errors)}", file=sys.stderr)
        code = code or 2
    if args.json:
        hosts = {name: value for name, value in stats.items() if name != CONTROLLER}
        report = {
            "exit_code": code,
            "seconds": round(time.perf_counter() - start, 1),
            "changed": sum(h["changed"] for h in hosts.values()),
            "hosts": hosts,
            "controller": stats.get(CONTROLLER),
        }
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return code


if __name__ == "__main__":
    sys.exit(main())
