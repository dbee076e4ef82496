"""Start long-lived lab processes detached from the caller: `python -m tcd.lab.launch < jobs.json`.

Each job is {"argv": [...], "cgroups": [cgroup.procs paths], "log": path}. Every process is forked
from here, moved into its own cgroups (see tcd.lab.cgroups), put in
a new session, and exec'd; this launcher prints the PIDs as JSON and exits, so the processes are
re-parented to init and outlive `tcd lab up` without ever becoming its zombies.
"""

import json
import os
import sys
from pathlib import Path


def _start(job: dict) -> int:
    pid = os.fork()
    if pid:
        return pid
    try:
        os.setsid()
        for procs in job["cgroups"]:
            Path(procs).write_text(str(os.getpid()))
        null = os.open(os.devnull, os.O_RDONLY)
        log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.execvp(job["argv"][0], job["argv"])
    except BaseException as exc:  # the child must never return into the launcher's loop
        os.write(2, f"launch failed: {exc}\n".encode())
    os._exit(127)


def main() -> None:
    jobs = json.load(sys.stdin)
    print(json.dumps([_start(job) for job in jobs]))


if __name__ == "__main__":
    main()
