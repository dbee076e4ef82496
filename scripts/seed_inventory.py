"""Seed inventory/ from the official register of admin units: run once, then edit the YAML.

    python scripts/seed_inventory.py [--inventory inventory] [--force]

Writes inventory/sites/<code>-<slug>.yml for every unit of inventory/admin_units.csv and
inventory/waves.yml. It refuses to overwrite existing files (the YAML is the source of truth
once seeded) unless --force is given.
"""

import argparse
import sys
from pathlib import Path

import yaml_rs

from tcd.loading.register import AdminUnit, read_register
from tcd.model.province import Province
from tcd.render import write_atomically
from tcd.seeding import PILOT, WaveSeed, seed_files


def _former_province(unit: AdminUnit) -> str:
    first = unit.former_districts[0]
    return first[first.rfind("(") + 1 : -1]


def dong_nai_waves(units: dict[int, AdminUnit]) -> list[WaveSeed]:
    """The pilot, then the other wards, then the communes by former province (~30 a wave)."""
    rest = [unit for code, unit in units.items() if code not in PILOT]

    def communes_of(province: str) -> list[int]:
        return [u.code for u in rest if u.type == "xã" and _former_province(u) == province]

    return [
        WaveSeed(
            "pilot",
            "Thí điểm tại 3 đơn vị (mục 3, Công văn 5896/UBND-TCD)",
            "Named by the Province: Long Hưng, Phước Long, Bình Phước.",
            list(PILOT),
        ),
        WaveSeed(
            "wave-1",
            "Đợt 1: các phường còn lại",
            "Wards: urban, on TSLCD, closest to the pilot's setup.",
            [u.code for u in rest if u.type == "phường"],
        ),
        WaveSeed(
            "wave-2",
            "Đợt 2: các xã thuộc tỉnh Đồng Nai cũ",
            "Communes of the former Đồng Nai province, one IT team.",
            communes_of("Đồng Nai"),
        ),
        WaveSeed(
            "wave-3",
            "Đợt 3: các xã thuộc tỉnh Bình Phước cũ",
            "Communes of the former Bình Phước province, one IT team.",
            communes_of("Bình Phước"),
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inventory", type=Path, default=Path("inventory"))
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    args = parser.parse_args()
    units, problems = read_register(args.inventory / "admin_units.csv")
    if problems:
        print("\n".join(map(str, problems)), file=sys.stderr)
        return 2
    province_text = (args.inventory / "province.yml").read_text("utf-8")
    province = Province.model_validate(yaml_rs.loads(province_text))
    files = seed_files(units, province, dong_nai_waves(units))
    existing = [str(args.inventory / p) for p in files if (args.inventory / p).exists()]
    if existing and not args.force:
        print(
            f"refusing to overwrite {len(existing)} existing file(s), e.g. {existing[0]};"
            " use --force",
            file=sys.stderr,
        )
        return 1
    for path, text in files.items():
        write_atomically(args.inventory / path, text)
    print(f"wrote {len(files)} files under {args.inventory}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
