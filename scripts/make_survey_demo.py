"""Write examples/survey-demo/: filled survey workbooks for six units — SYNTHETIC DEMO DATA.

    .venv/bin/python scripts/make_survey_demo.py

No unit has returned a real survey yet. These workbooks are invented, typed the way clerks
really type ("16 GB", "Win 10 Pro", "co", "85,5"), to show and test `tcd survey import` and
`tcd readiness`: one unit of each status. Every file name and sheet says
"DỮ LIỆU MẪU – synthetic demo data". Never import them into the committed inventory: the
README's demo and the tests import them into a copy.
"""

import sys
from pathlib import Path

from tcd.loading import load_inventory
from tcd.render import write_atomically
from tcd.survey.fill import fill
from tcd.survey.template import survey_template, workbook_bytes

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "examples" / "survey-demo"
SUFFIX = "DU-LIEU-MAU-synthetic-demo"

GOOD_ROOM = {"dedicated": "Có", "area_m2": "20", "air_conditioned": "Có", "soundproofed": "co"}

DEMO = {
    # Đạt: everything the baseline asks, typed with units and without diacritics
    26380: {
        "survey": {
            "date": "06/10/2025",
            "respondent": "Văn phòng HĐND và UBND phường (DỮ LIỆU MẪU)",
            "pcs": [
                {
                    "count": 1,
                    "model": "Dell OptiPlex 7010 SFF",
                    "cpu": "Core i5-13500",
                    "ram_gb": "16 GB",
                    "storage_gb": "512GB",
                    "storage_kind": "ssd",
                    "os": "debian12",
                    "year_purchased": 2024,
                    "has_webcam": "Khong",
                }
            ],
            "cameras": [
                {"kind": "IP", "model": "Hikvision DS-2CD2123G2-I", "resolution_p": "1080p"}
            ],
            "audio": {
                "microphone": "Có",
                "speakers": "Có",
                "echo_cancelling": "Có",
                "model": "Jabra Speak2 75",
            },
            "displays": [{"kind": "Tivi", "size_inch": '55"', "model": "Samsung QA55Q60D"}],
            "network": {"measured_mbps": "182,4", "lan_ports_in_room": 2},
            "room": GOOD_ROOM,
            "ups": {"present": "Có", "capacity_va": "1.500 VA"},
        },
        "uplink": {"kind": "TSLCD", "bandwidth_mbps": "200 Mbps", "provider": "VNPT Đồng Nai"},
    },
    # Cần nâng cấp: Windows on an HDD, 720p USB camera, no echo cancelling, small TV, no UPS
    25217: {
        "survey": {
            "date": "07/10/2025",
            "respondent": "Văn phòng HĐND và UBND phường (DỮ LIỆU MẪU)",
            "pcs": [
                {
                    "count": 2,
                    "model": "HP ProDesk 400 G7",
                    "cpu": "Core i3-10100",
                    "ram_gb": "8,0",
                    "storage_gb": "500 GB",
                    "storage_kind": "HDD",
                    "os": "Win 10 Pro ",
                    "year_purchased": "2021",
                    "has_webcam": "khong",
                }
            ],
            "cameras": [{"kind": "usb", "model": "Logitech C270", "resolution_p": "720p"}],
            "audio": {"microphone": "co", "speakers": "co", "echo_cancelling": "Không"},
            "displays": [{"kind": "ti vi", "size_inch": "43 inch"}],
            "network": {"measured_mbps": "85,5", "lan_ports_in_room": "1"},
            "room": {
                "dedicated": "Có",
                "area_m2": "15 m2",
                "air_conditioned": "Có",
                "soundproofed": "Không",
            },
            "ups": {"present": "Không"},
        },
        "uplink": {
            "kind": "truyen so lieu chuyen dung",
            "bandwidth_mbps": 100,
            "provider": "VNPT Bình Phước",
        },
    },
    # Cần nâng cấp: one upgrade only (RAM)
    25195: {
        "survey": {
            "date": "2025-10-08",
            "respondent": "Văn phòng HĐND và UBND phường (DỮ LIỆU MẪU)",
            "pcs": [
                {
                    "count": 1,
                    "cpu": "Core i5-8500",
                    "ram_gb": "4GB",
                    "storage_gb": 256,
                    "storage_kind": "SSD",
                    "os": "Ubuntu 22.04",
                    "year_purchased": 2022,
                }
            ],
            "cameras": [{"kind": "USB", "model": "Logitech Rally", "resolution_p": "4K"}],
            "audio": {"microphone": "Có", "speakers": "Có", "echo_cancelling": "Có"},
            "displays": [{"kind": "Tivi", "size_inch": 65}],
            "network": {"measured_mbps": 150, "lan_ports_in_room": 4},
            "room": GOOD_ROOM,
            "ups": {"present": "Có", "capacity_va": "2 kVA"},
        },
        "uplink": {"kind": "Cáp quang (FTTH)", "bandwidth_mbps": 300, "provider": "Viettel"},
    },
    # Chưa đáp ứng: no camera, no display; old Windows 7 PC on 4G
    25222: {
        "survey": {
            "date": "09/10/2025",
            "respondent": "Văn phòng HĐND và UBND xã (DỮ LIỆU MẪU)",
            "pcs": [
                {
                    "count": 1,
                    "cpu": "Pentium G4400",
                    "ram_gb": "4 gb",
                    "storage_gb": "1 TB",
                    "storage_kind": "o cung thuong",
                    "os": "Win7",
                    "year_purchased": 2016,
                }
            ],
            "cameras": [],
            "audio": {"microphone": "Không", "speakers": "Có", "echo_cancelling": "Không"},
            "displays": [],
            "network": {"measured_mbps": "18", "lan_ports_in_room": 0},
            "room": {
                "dedicated": "Không",
                "area_m2": 9,
                "air_conditioned": "Không",
                "soundproofed": "Không",
            },
            "ups": {"present": "Không"},
        },
        "uplink": {"kind": "4G", "bandwidth_mbps": "30", "provider": "Viettel"},
    },
    # Chưa đáp ứng: no PC and no uplink yet (the room is being set up)
    26005: {
        "survey": {
            "date": "10/10/2025",
            "respondent": "Văn phòng HĐND và UBND phường (DỮ LIỆU MẪU)",
            "pcs": [],
            "cameras": [{"kind": "USB", "resolution_p": "Full HD"}],
            "audio": {"microphone": "Có", "speakers": "Có", "echo_cancelling": "Có"},
            "displays": [{"kind": "Màn hình máy tính", "size_inch": 24}],
            "network": {"measured_mbps": "0,5", "lan_ports_in_room": 1},
            "room": GOOD_ROOM,
            "ups": {"present": "Có", "capacity_va": 1000},
        },
        "uplink": {"kind": "Không có"},
    },
    # Đạt: two kinds of PC, the better one meets everything
    25993: {
        "survey": {
            "date": "10/10/2025",
            "respondent": "Văn phòng HĐND và UBND phường (DỮ LIỆU MẪU)",
            "pcs": [
                {
                    "count": 1,
                    "cpu": "Core i3-4130",
                    "ram_gb": 4,
                    "storage_gb": 500,
                    "storage_kind": "HDD",
                    "os": "Windows 7",
                    "year_purchased": 2014,
                },
                {
                    "count": 1,
                    "cpu": "Core i5-12400",
                    "ram_gb": 16,
                    "storage_gb": 512,
                    "storage_kind": "SSD",
                    "os": "Ubuntu 24.04 LTS",
                    "year_purchased": 2023,
                    "has_webcam": "Có",
                },
            ],
            "cameras": [{"kind": "IP", "resolution_p": 1080}],
            "audio": {"microphone": "Có", "speakers": "Có", "echo_cancelling": "Có"},
            "displays": [{"kind": "Tivi", "size_inch": 55}],
            "network": {"measured_mbps": 95, "lan_ports_in_room": 2},
            "room": GOOD_ROOM,
            "ups": {"present": "Có", "capacity_va": 1000},
        },
        "uplink": {"kind": "TSLCD", "bandwidth_mbps": 100},
    },
}


def main() -> int:
    inventory = load_inventory(REPO / "inventory")
    for code, answers in DEMO.items():
        site = inventory.sites[code]
        workbook = survey_template(site, demo=True)
        fill(workbook, answers)
        slug = inventory.site_source(code).path.stem
        path = OUT / f"{slug}.{SUFFIX}.xlsx"
        write_atomically(path, workbook_bytes(workbook), 0o644)
        print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
