"""Seed inventory/ from the official register of admin units: run once, then edit the YAML.

    python scripts/seed_inventory.py [--register inventory/admin_units.csv] [--force]

Writes inventory/sites/<code>-<slug>.yml for every unit and inventory/waves.yml. It refuses to
overwrite existing files (the YAML is the source of truth once seeded) unless --force is given.
"""

import argparse
import sys
import unicodedata
from pathlib import Path

import yaml

from tcd.loading.register import read_register
from tcd.model.province import PoolName, Province
from tcd.planning.addresses import site_block, site_index
from tcd.render import render, write_atomically

PILOT = (26380, 25217, 25195)  # letter 5896/UBND-TCD, item 3

# Planned pilot equipment: one standard kit per unit, varied on purpose so the roles meet each
# shape the rollout will meet (IP or USB camera; gateway on the PC or separate).
STANDARD_PC = {
    "model": "Dell OptiPlex 7010 SFF",
    "cpu": "Intel Core i5-13500",
    "ram_gb": 16,
    "storage_gb": 512,
}


def _pilot_equipment(code: int, lan_device: str) -> dict:
    prefix = f"tcd-{code:05d}"
    pc = {
        "name": f"{prefix}-pc1",
        "role": "reception_pc",
        "os": "Debian 12",
        "hardware": STANDARD_PC,
    }
    hosts = [pc]
    camera = {
        "name": f"{prefix}-cam1",
        "kind": "ip",
        "model": "Hikvision DS-2CD2123G2-I",
        "address": lan_device,
    }
    note = "PC as VPN gateway, IP camera on the room LAN"
    if code == 25217:
        gateway_hw = {
            "model": "Protectli VP2420",
            "cpu": "Intel Celeron J6412",
            "ram_gb": 8,
            "storage_gb": 128,
        }
        hosts = [
            {"name": f"{prefix}-gw1", "role": "gateway", "os": "Debian 12", "hardware": gateway_hw},
            pc,
        ]
        camera = {
            "name": f"{prefix}-cam1",
            "kind": "ip",
            "model": "Dahua IPC-HDW2241T-S",
            "address": lan_device,
        }
        note = "separate VPN gateway, IP camera on the room LAN"
    elif code == 25195:
        camera = {
            "name": f"{prefix}-cam1",
            "kind": "usb",
            "model": "Logitech PTZ Pro 2",
            "attached_to": pc["name"],
        }
        note = "PC as VPN gateway, USB PTZ camera on the PC"
    return {
        "note": note,
        "uplink": {"kind": "tslcd", "bandwidth_mbps": 200, "provider": "VNPT Đồng Nai"},
        "hosts": hosts,
        "cameras": [camera],
        "displays": [
            {"kind": "tv", "model": "Samsung QA55Q60D", "size_inch": 55, "attached_to": pc["name"]}
        ],
        "audio": [{"kind": "speakerphone", "model": "Jabra Speak2 75", "attached_to": pc["name"]}],
    }


def slug(name: str) -> str:
    """'Phường Long Hưng' -> 'long-hung' (without the unit type, which changes)."""
    for unit_type in ("Phường ", "Xã ", "Đặc khu "):
        name = name.removeprefix(unit_type)
    ascii_name = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    ascii_name = "".join(c for c in ascii_name if not unicodedata.combining(c)).lower()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_name).split())


def _former_province(districts: list[str]) -> str:
    first = districts[0]
    return first[first.rfind("(") + 1 : -1]


def plan_waves(units: dict) -> list[dict]:
    rest = [u for code, u in units.items() if code not in PILOT]
    wards = [u.code for u in rest if u.type == "phường"]
    communes_dn = [
        u.code
        for u in rest
        if u.type == "xã" and _former_province(u.former_districts) == "Đồng Nai"
    ]
    communes_bp = [
        u.code
        for u in rest
        if u.type == "xã" and _former_province(u.former_districts) == "Bình Phước"
    ]
    return [
        {
            "name": "pilot",
            "title": "Thí điểm tại 3 đơn vị (mục 3, Công văn 5896/UBND-TCD)",
            "rationale": "Named by the Province: Long Hưng, Phước Long, Bình Phước.",
            "sites": list(PILOT),
        },
        {
            "name": "wave-1",
            "title": "Đợt 1: các phường còn lại",
            "rationale": "Wards: urban, on TSLCD, closest to the pilot's setup.",
            "sites": wards,
        },
        {
            "name": "wave-2",
            "title": "Đợt 2: các xã thuộc tỉnh Đồng Nai cũ",
            "rationale": "Communes of the former Đồng Nai province, one IT team.",
            "sites": communes_dn,
        },
        {
            "name": "wave-3",
            "title": "Đợt 3: các xã thuộc tỉnh Bình Phước cũ",
            "rationale": "Communes of the former Bình Phước province, one IT team.",
            "sites": communes_bp,
        },
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
    province = Province.model_validate(
        yaml.safe_load((args.inventory / "province.yml").read_text("utf-8"))
    )
    plan = province.address_plan
    lan_pool = plan.pools[PoolName.SITE_LAN]
    waves = plan_waves(units)
    wave_of = {code: wave["name"] for wave in waves for code in wave["sites"]}

    outputs: dict[Path, str] = {}
    for code, unit in units.items():
        lan = site_block(lan_pool, site_index(plan, lan_pool, code))
        equipment = _pilot_equipment(code, str(lan[10])) if code in PILOT else None
        path = args.inventory / "sites" / f"{code:05d}-{slug(unit.name)}.yml"
        outputs[path] = render(
            "inventory/site.yml.j2", unit=unit, wave=wave_of[code], equipment=equipment
        )
    names = {code: unit.name for code, unit in units.items()}
    outputs[args.inventory / "waves.yml"] = render(
        "inventory/waves.yml.j2", waves=waves, names=names
    )

    existing = [str(p) for p in outputs if p.exists()]
    if existing and not args.force:
        print(
            f"refusing to overwrite {len(existing)} existing file(s), e.g. {existing[0]};"
            " use --force",
            file=sys.stderr,
        )
        return 1
    for path, text in outputs.items():
        write_atomically(path, text)
    print(f"wrote {len(outputs)} files under {args.inventory}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
