"""Benchmark: what a rollout's fact batch costs each host, with questions merged by kind and
with each question in a shell of its own (as before tcd/rollout/factmerge.py).

    sudo .venv/bin/python bench/factbatch.py [HOST …] [--phase sites] [--repeat 5]

On a lab that is up and rolled out at least twice (TCD_LAB_NAME, as for `tcd`): the questions
the last rollout kept for each host (state/<lab>/facts-asked/<phase>/HOST.json) are asked as
the rollout asks them, over SSH as root, under bash's `time`. The table gives the medians of
the host's CPU (user + system, children included) and wall time, both ways.
"""

import argparse
import json
import secrets
import shlex
import statistics
import subprocess
import sys

from tcd.lab.lab import ssh_argv
from tcd.lab.settings import LabSettings
from tcd.rollout import factbatch

# the script on stdin: quoted twice it would not fit in one argument (the rollout cuts it in
# chunks, factbatch._chunks)
TIMED = "sudo bash -c " + shlex.quote("TIMEFORMAT='%R %U %S'; time ( sh >/dev/null 2>&1 )")


def cost(settings: LabSettings, host: str, script: str) -> tuple[float, float]:
    """The host's (CPU, wall) seconds for `script`."""
    done = subprocess.run(
        ssh_argv(settings, host, [TIMED]), input=script, capture_output=True, text=True, check=True
    )
    wall, user, system = (float(x) for x in done.stderr.split()[-3:])
    return user + system, wall


def main() -> int:
    parser = argparse.ArgumentParser(description="the fact batch's cost on each host")
    parser.add_argument("hosts", nargs="*", help="default: every host the phase kept")
    parser.add_argument("--phase", default="sites", help="sites, hubs-base or hubs")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = LabSettings.from_env()
    kept = settings.state_dir / "facts-asked" / args.phase
    hosts = args.hosts or sorted(p.stem for p in kept.glob("*.json"))
    if not hosts:
        raise SystemExit(f"{kept}: no questions kept (roll the lab out twice first)")
    print("| host | questions | commands | CPU merged | CPU alone | wall merged | wall alone |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for host in hosts:
        questions = json.loads((kept / f"{host}.json").read_text())
        token = f"@@tcd-{secrets.token_hex(6)}@@"
        merged = factbatch._script(questions, token)
        alone = factbatch._framed([(str(n), q) for n, q in enumerate(questions)], token)
        runs = {
            way: [cost(settings, host, script) for _ in range(args.repeat)]
            for way, script in (("merged", merged), ("alone", alone))
        }
        cpu = {way: statistics.median(c for c, _ in r) for way, r in runs.items()}
        wall = {way: statistics.median(w for _, w in r) for way, r in runs.items()}
        commands = len(factbatch._commands(questions))
        print(
            f"| {host} | {len(questions)} | {commands} | {cpu['merged']:.3f} s"
            f" | {cpu['alone']:.3f} s | {wall['merged']:.3f} s | {wall['alone']:.3f} s |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
