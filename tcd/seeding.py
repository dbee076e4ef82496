"""Seeding site files from an official register: once for the real inventory
(scripts/seed_inventory.py), and for synthetic inventories in benchmarks and tests."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tcd.loading.register import AdminUnit
from tcd.model.province import PoolName, Province
from tcd.planning.addresses import site_block, site_index
from tcd.render import render
from tcd.text import slug

PILOT = (26380, 25217, 25195)  # letter 5896/UBND-TCD, item 3

# Planned pilot equipment: one standard kit per unit, varied on purpose so the roles meet each
# shape the rollout will meet (IP or USB camera; gateway on the PC or separate).
STANDARD_PC = {
    "model": "Dell OptiPlex 7010 SFF",
    "cpu": "Intel Core i5-13500",
    "ram_gb": 16,
    "storage_gb": 512,
}
SEPARATE_GATEWAY = {
    "model": "Protectli VP2420",
    "cpu": "Intel Celeron J6412",
    "ram_gb": 8,
    "storage_gb": 128,
}


@dataclass(frozen=True)
class WaveSeed:
    name: str
    title: str
    rationale: str
    sites: list[int]


def site_file_name(unit: AdminUnit) -> str:
    """'<code>-<slug>.yml', the slug without the unit type, which changes."""
    name = unit.name
    for unit_type in ("Phường ", "Xã ", "Đặc khu "):
        name = name.removeprefix(unit_type)
    return f"{unit.code:05d}-{slug(name)}.yml"


def pilot_equipment(code: int, lan_device: str) -> dict:
    prefix = f"tcd-{code:05d}"
    pc = {
        "name": f"{prefix}-pc1",
        "role": "reception_pc",
        "os": "Debian 12",
        "hardware": STANDARD_PC,
    }
    camera: dict = {"name": f"{prefix}-cam1", "kind": "ip", "address": lan_device}
    hosts = [pc]
    if code == 25217:
        gateway = {"name": f"{prefix}-gw1", "role": "gateway", "os": "Debian 12"}
        hosts = [{**gateway, "hardware": SEPARATE_GATEWAY}, pc]
        camera["model"] = "Dahua IPC-HDW2241T-S"
        note = "separate VPN gateway, IP camera on the room LAN"
    elif code == 25195:
        camera = {"name": camera["name"], "kind": "usb", "model": "Logitech PTZ Pro 2"}
        camera["attached_to"] = pc["name"]
        note = "PC as VPN gateway, USB PTZ camera on the PC"
    else:
        camera["model"] = "Hikvision DS-2CD2123G2-I"
        note = "PC as VPN gateway, IP camera on the room LAN"
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


def seed_files(
    units: Mapping[int, AdminUnit],
    province: Province,
    waves: Iterable[WaveSeed],
    equipped: Iterable[int] = PILOT,
) -> dict[Path, str]:
    """Text of waves.yml and of every site file, by path relative to the inventory folder.
    Units in `equipped` get the planned pilot kit; the others one reception PC."""
    waves = list(waves)
    wave_of = {code: wave.name for wave in waves for code in wave.sites}
    plan = province.address_plan
    lan_pool = plan.pools[PoolName.SITE_LAN]
    equipped = set(equipped)
    files: dict[Path, str] = {}
    for code, unit in units.items():
        equipment = None
        if code in equipped:
            lan = site_block(lan_pool, site_index(plan, lan_pool, code))
            equipment = pilot_equipment(code, str(lan[10]))
        files[Path("sites") / site_file_name(unit)] = render(
            "inventory/site.yml.j2", unit=unit, wave=wave_of[code], equipment=equipment
        )
    names = {code: unit.name for code, unit in units.items()}
    files[Path("waves.yml")] = render("inventory/waves.yml.j2", waves=waves, names=names)
    return files
