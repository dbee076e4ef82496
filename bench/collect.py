"""Benchmark: what each section of collect.sh costs on a host (the read `tcd verify` makes of
every host), to see where a verify's time goes on the hosts' side.

    sudo .venv/bin/python bench/collect.py HOST [HOST …] [--repeat 5]

On a lab that is up and rolled out (TCD_LAB_NAME, as for `tcd`; e.g. `bench/verify.py --keep`
leaves one). Each section runs alone, as the suite runs it (root, over the host's SSH
connection, with the environment the suite gives collect.sh), `--repeat` times under bash's
`time`; the table gives, per section, the median of its wall time and of the CPU time the host
spent on it (user + system, children included), and the whole script once more at the end.
"""

import argparse
import shlex
import statistics
import sys
from pathlib import Path

from tcd.compliance import host as checked
from tcd.lab.lab import load_state
from tcd.lab.settings import LabSettings
from tcd.lab.target import lab_target
from tcd.loading import load_inventory
from tcd.verify.plan import verify_plan

REPO = Path(__file__).resolve().parent.parent
# bash's `time` keyword, on stderr: wall, user, system seconds
TIMED = "TIMEFORMAT='%R %U %S'; time ( {} >/dev/null 2>&1 )"


def timed(target: checked.CheckedHost, sections: list[str], env: dict[str, str]) -> tuple:
    command = checked.script_command("collect.sh", *sections, **env)
    result = target.host.run(f"bash -c {shlex.quote(TIMED.format(command))}")
    wall, user, system = (float(x) for x in result.stderr.split()[-3:])
    return wall, user + system


def main() -> int:
    parser = argparse.ArgumentParser(description="collect.sh's cost, section by section")
    parser.add_argument("hosts", nargs="+")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = LabSettings.from_env()
    inventory = load_inventory(REPO / "inventory")
    target = lab_target(inventory, settings)
    # the lab's own sites: the suite plans only hosts the lab has
    selection = load_state(settings).selection
    suite, _ = verify_plan(target, [inventory.sites[code] for code in selection])
    for name in args.hosts:
        spec = suite.host(name)
        host = checked.connect(spec, suite)
        sections = host.reads().sections
        # the suite's own environment for collect.sh; the units and the files are read whenever
        # UNITS and FILES name some, so each section alone runs with neither
        full = host.collect_env()
        env = full | {"UNITS": "", "FILES": ""}
        parts = [(section, [section], env) for section in sections]
        parts += [
            ("units", [], env | {"UNITS": full["UNITS"]}),
            ("files", [], env | {"FILES": full["FILES"]}),
            ("(the whole script)", list(sections), full),
        ]
        rows = []
        for label, sections, part_env in parts:
            runs = [timed(host, sections, part_env) for _ in range(args.repeat)]
            rows.append((label, *(statistics.median(column) for column in zip(*runs, strict=True))))
        print(f"\n**{name}** (median of {args.repeat})\n")
        print("| section | wall | host CPU |")
        print("|---|---:|---:|")
        for label, wall, cpu in sorted(rows[:-1], key=lambda row: -row[2]) + rows[-1:]:
            print(f"| {label} | {wall * 1000:.0f} ms | {cpu * 1000:.0f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
