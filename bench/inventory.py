"""Benchmark: load + validate + plan the inventory.

    .venv/bin/python bench/inventory.py [--repeat 5] [--synthetic 3321]

Measures the committed 95-unit inventory and a synthetic inventory of 3,321 units (the number
of communes nationwide) seeded into a temporary folder with the same template as the real one.
Each case runs in a fresh interpreter per repeat, so every figure includes reading every file;
"library" is load_inventory + plan_addresses, "CLI" is the whole `tcd inventory check` process.
Targets (this 2-core machine): 95 units < 0.5 s, 3,321 units < 5 s. Results: docs/benchmarks.md.
"""

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from tcd.loading.register import AdminUnit
from tcd.model.province import Province
from tcd.render import write_atomically
from tcd.seeding import WaveSeed, seed_files

REPO = Path(__file__).resolve().parent.parent
TCD = Path(sys.executable).with_name("tcd")

# One load + plan in a fresh interpreter; prints seconds and peak RSS (MiB) as JSON.
PROBE = """
import json, resource, sys, time
from pathlib import Path
start = time.perf_counter()
from tcd.loading import load_inventory
from tcd.planning import plan_addresses
imported = time.perf_counter()
inventory = load_inventory(Path(sys.argv[1]))
plan = plan_addresses(inventory)
done = time.perf_counter()
assert len(plan.sites) == len(inventory.sites)
print(json.dumps({"units": len(inventory.sites), "seconds": done - imported,
                  "import": imported - start,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


PROVINCES = 34  # provinces and centrally-run cities since the 2025 merger
UNITS_PER_DISTRICT = 11


def synthetic_districts(index: int, count: int) -> list[str]:
    """The former districts of the index-th of `count` units, 'Huyện 12 (Tỉnh 3)': about 11
    units a district, the districts in blocks over 34 provinces (`tcd readiness --by
    province` writes 34 workbooks), every 7th unit also in the next district of its province,
    as 14 of Đồng Nai's 95 units span two."""
    districts = -(-count // UNITS_PER_DISTRICT)
    district = index // UNITS_PER_DISTRICT

    def province(d: int) -> int:
        return d * PROVINCES // districts + 1

    names = [f"Huyện {district + 1} (Tỉnh {province(district)})"]
    following = district + 1
    if index % 7 == 6 and following < districts and province(following) == province(district):
        names.append(f"Huyện {following + 1} (Tỉnh {province(following)})")
    return names


def synthetic_inventory(root: Path, count: int) -> Path:
    """`count` units with codes spread over 1..32999, pools sized for that range, former
    districts spread over 34 provinces (synthetic_districts)."""
    province = yaml.safe_load((REPO / "inventory" / "province.yml").read_text("utf-8"))
    province["address_plan"] = {
        "codes": {"first": 1, "last": 32999},
        "pools": {
            "management": {"cidr": "10.32.0.0/13", "per_site_prefix": 29, "reserved_blocks": 16},
            "site_lan": {"cidr": "10.48.0.0/12", "per_site_prefix": 28, "reserved_blocks": 16},
            "overlay_province": {
                "cidr": "10.64.0.0/16",
                "per_site_prefix": 32,
                "reserved_blocks": 16,
            },
            "overlay_central": {
                "cidr": "10.65.0.0/16",
                "per_site_prefix": 32,
                "reserved_blocks": 16,
            },
        },
    }
    province["hubs"][0].update(underlay_address="10.32.0.2", overlay_address="10.64.0.1")
    province["hubs"][1].update(underlay_address="10.32.0.3", overlay_address="10.65.0.1")
    province["services"]["ntp_servers"] = ["10.32.0.2"]
    step = 32999 // count
    units = {
        code: AdminUnit(
            code=code,
            name=f"Xã Thử Nghiệm {code}",
            type="xã",
            name_2025=f"Xã Thử Nghiệm {code}",
            type_2025="xã",
            former_districts=synthetic_districts(index, count),
            merged_from=["Xã A", "Xã B"],
        )
        for index, code in enumerate(range(1, step * count + 1, step))
    }
    codes = list(units)
    waves = [
        WaveSeed("pilot", "Thí điểm", "synthetic", codes[:3]),
        *(
            WaveSeed(
                f"wave-{n + 1}", f"Đợt {n + 1}", "synthetic", codes[3 + n * 500 : 3 + (n + 1) * 500]
            )
            for n in range((len(codes) - 3 + 499) // 500)
        ),
    ]
    files = seed_files(units, Province.model_validate(province), waves, equipped=codes[:3])
    inventory = root / "inventory"
    for path, text in files.items():
        write_atomically(inventory / path, text)
    write_atomically(inventory / "province.yml", yaml.safe_dump(province, allow_unicode=True))
    write_atomically(
        inventory / "baseline.yml", (REPO / "inventory" / "baseline.yml").read_text("utf-8")
    )
    header = "code,name,type,name_2025,type_2025,former_districts,merged_from\n"
    rows = "".join(
        f'{u.code},{u.name},xã,{u.name},xã,{"; ".join(u.former_districts)},"Xã A, Xã B"\n'
        for u in units.values()
    )
    write_atomically(inventory / "admin_units.csv", header + rows)
    return inventory


def measure(inventory: Path, repeat: int) -> dict:
    library, cli, rss = [], [], []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", PROBE, str(inventory)],
            capture_output=True,
            text=True,
            check=True,
        )
        probe = json.loads(out.stdout)
        library.append(probe["seconds"])
        rss.append(probe["rss_mib"])
        start = time.perf_counter()
        subprocess.run(
            [str(TCD), "inventory", "check", "-i", str(inventory)], capture_output=True, check=True
        )
        cli.append(time.perf_counter() - start)
    return {
        "units": probe["units"],
        "library_median_s": statistics.median(library),
        "library_min_s": min(library),
        "cli_median_s": statistics.median(cli),
        "peak_rss_mib": max(rss),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="load + validate + plan benchmark")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--synthetic", type=int, default=3321)
    args = parser.parse_args()
    results = [measure(REPO / "inventory", args.repeat)]
    with tempfile.TemporaryDirectory(prefix="tcd-bench-") as tmp:
        results.append(measure(synthetic_inventory(Path(tmp), args.synthetic), args.repeat))
    print(
        f"# {platform.python_implementation()} {platform.python_version()}, {args.repeat} runs each"
    )
    columns = (
        "units",
        "load+validate+plan (median)",
        "min",
        "`tcd inventory check` (median)",
        "peak RSS",
    )
    print("| " + " | ".join(columns) + " |")
    print("|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['units']} | {r['library_median_s']:.3f} s | {r['library_min_s']:.3f} s "
            f"| {r['cli_median_s']:.3f} s | {r['peak_rss_mib']:.0f} MiB |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
