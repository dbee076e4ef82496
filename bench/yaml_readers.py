"""Benchmark: the YAML libraries the inventory could be read with, and the load it is part of.

    .venv/bin/python bench/yaml_readers.py [--repeat 5] [--synthetic 3321]

ruamel.yaml's C parser (`typ="safe", pure=False`) is measured only when ruamel.yaml.clib is
importable; it is not one of the project's dependencies (without it ruamel falls back to pure
Python, silently). To include it without touching the project's virtualenv:

    .venv/bin/python -m pip install --target /tmp/ruamel-clib ruamel.yaml.clib
    PYTHONPATH=/tmp/ruamel-clib .venv/bin/python bench/yaml_readers.py

Inputs: every *.yml of the committed inventory; the synthetic inventory of bench/inventory.py
(3,321 units as seeded); the same with every unit surveyed by the importer's merge, as
bench/readiness.py does (the site files three times larger). Each file's text is read into
memory first, so only parsing is timed, with the cycle collector paused as load_inventory
pauses it; every reader parses every file of a case once per run, `--repeat` runs, median and
minimum. "same data" counts the files whose data differs from yaml-rs's (compose gives nodes,
not data: not compared).

Then the whole `load_inventory` (read, validate, cross-check; after imports, in a fresh
interpreter per run) as it is, and with yaml-rs's `loads` swapped for ruamel's round-trip
loader: what moving the reading to ruamel would cost before any line lookup is moved too.
Results: docs/benchmarks.md.
"""

import argparse
import gc
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
import yaml_rs
from readiness import reference_loop, survey_everything  # bench/readiness.py
from ruamel.yaml import YAML

from inventory import synthetic_inventory  # bench/inventory.py

REPO = Path(__file__).resolve().parent.parent

try:
    import _ruamel_yaml  # noqa: F401  (ruamel.yaml.clib: what `pure=False` needs)

    RUAMEL_C = True
except ImportError:
    RUAMEL_C = False

# One load_inventory in a fresh interpreter, the reader as given; prints seconds as JSON.
PROBE = """
import json, sys, time
from pathlib import Path
import yaml_rs
import tcd.loading.yamlfile as yamlfile
from tcd.loading import load_inventory
if sys.argv[2] == "ruamel-rt":
    from ruamel.yaml import YAML
    class RoundTrip:  # yaml-rs's interface, ruamel's round-trip loader behind it
        YAMLDecodeError = yaml_rs.YAMLDecodeError
        loads = YAML(typ="rt").load
    yamlfile.yaml_rs = RoundTrip
start = time.perf_counter()
inventory = load_inventory(Path(sys.argv[1]))
print(json.dumps({"units": len(inventory.sites), "seconds": time.perf_counter() - start}))
"""


def readers() -> dict[str, tuple[Callable[[str], Any], bool]]:
    """name: (parse one text, gives data to compare with yaml-rs's)."""
    rt, safe_pure = YAML(typ="rt"), YAML(typ="safe", pure=True)
    found: dict[str, tuple[Callable[[str], Any], bool]] = {
        "yaml-rs `loads`": (yaml_rs.loads, True),
        "PyYAML CSafeLoader `load`": (lambda t: yaml.load(t, Loader=yaml.CSafeLoader), True),
        "PyYAML CSafeLoader `compose`": (lambda t: yaml.compose(t, Loader=yaml.CSafeLoader), False),
    }
    if RUAMEL_C:
        safe_c = YAML(typ="safe", pure=False)
        found["ruamel safe, C (clib)"] = (safe_c.load, True)
        found["ruamel `compose`, C (clib)"] = (safe_c.compose, False)
    found["ruamel safe, pure"] = (safe_pure.load, True)
    found["ruamel rt (`.lc` lines)"] = (rt.load, True)
    found["ruamel `compose`, pure"] = (safe_pure.compose, False)
    return found


def texts_of(inventory: Path) -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted(inventory.rglob("*.yml"))]


def time_reader(parse: Callable[[str], Any], texts: list[str], repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        gc.disable()
        start = time.perf_counter()
        for text in texts:
            parse(text)
        runs.append(time.perf_counter() - start)
        gc.enable()
        gc.collect()
    return runs


def differing(parse: Callable[[str], Any], texts: list[str]) -> int:
    return sum(parse(text) != yaml_rs.loads(text) for text in texts)


def load_path(inventory: Path, reader: str, repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", PROBE, str(inventory), reader],
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(out.stdout)["seconds"])
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description="YAML readers benchmark")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--synthetic", type=int, default=3321)
    args = parser.parse_args()
    before = reference_loop()
    rows, loads = [], []
    with tempfile.TemporaryDirectory(prefix="tcd-bench-") as tmp:
        seeded = synthetic_inventory(Path(tmp) / "seeded", args.synthetic)
        surveyed = synthetic_inventory(Path(tmp) / "surveyed", args.synthetic)
        survey_everything(surveyed)
        cases = {
            "committed": REPO / "inventory",
            f"{args.synthetic} seeded": seeded,
            f"{args.synthetic} surveyed": surveyed,
        }
        for case, inventory in cases.items():
            texts = texts_of(inventory)
            size = sum(len(t.encode()) for t in texts) / 1024
            for name, (parse, compared) in readers().items():
                runs = time_reader(parse, texts, args.repeat)
                same = f"{differing(parse, texts)} differ" if compared else "—"
                rows.append((case, len(texts), size, name, runs, same))
                print(f"{case}: {name} {statistics.median(runs):.3f} s", file=sys.stderr)
            for reader in ("yaml-rs", "ruamel-rt"):
                runs = load_path(inventory, reader, args.repeat)
                loads.append((case, reader, runs))
                print(
                    f"{case}: load_inventory, {reader} {statistics.median(runs):.3f}",
                    file=sys.stderr,
                )
    after = reference_loop()

    print(
        f"# {platform.python_implementation()} {platform.python_version()}, {args.repeat} runs"
        f" each; reference loop {before:.2f} s before, {after:.2f} s after"
    )
    print("| files | reader | median | min | per file | same data as yaml-rs |")
    print("|---|---|---:|---:|---:|---|")
    for case, files, size, name, runs, same in rows:
        median = statistics.median(runs)
        print(
            f"| {case} ({files} files, {size:,.0f} KiB) | {name} | {median:.3f} s "
            f"| {min(runs):.3f} s | {median / files * 1000:.2f} ms | {same} |"
        )
    print()
    print("| inventory | `load_inventory` reading with | median | min |")
    print("|---|---|---:|---:|")
    for case, reader, runs in loads:
        print(f"| {case} | {reader} | {statistics.median(runs):.3f} s | {min(runs):.3f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
