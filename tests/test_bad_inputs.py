"""Every kind of bad input: exit 2, one clear FILE:LINE: field: reason line, nothing written."""

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import replace_in, site_file, tree_digest

Expected = tuple[Path, int, str, str]  # file, line, field path, reason (a prefix of the line's end)


def invalid_yaml(inv: Path) -> Expected:
    path = site_file(inv, 26380)
    line = replace_in(path, "former_districts:\n", "former_districts: [unclosed\n")
    return (
        path,
        line + 2,
        "(file)",
        "invalid YAML: did not find expected ',' or ']'"
        f" (while parsing a flow sequence started on line {line})",
    )


def invalid_yaml_1_2_only(inv: Path) -> Expected:
    path = site_file(inv, 26380)
    # a list rewrapped by hand, its last line at the margin: PyYAML (libyaml does not check
    # indentation inside brackets) reads it, YAML 1.2 wants the continuation indented
    line = replace_in(
        path,
        "merged_from:\n  - Phường Long Bình Tân\n  - Phường An Hòa\n"
        "  - Xã Long Hưng (thành phố Biên Hòa)\n",
        "merged_from: [Phường Long Bình Tân, Phường An Hòa,\nXã Long Hưng (thành phố Biên Hòa)]\n",
    )
    return (
        path,
        line + 1,
        "(file)",
        "invalid YAML 1.2 at column 1: invalid indentation in flow construct",
    )


def empty_file(inv: Path) -> Expected:
    path = inv / "waves.yml"
    path.write_text("", encoding="utf-8")
    return path, 1, "(file)", "the file is empty"


def not_utf8(inv: Path) -> Expected:
    path = site_file(inv, 25195)
    text = path.read_text(encoding="utf-8")
    line = text[: text.index("name: Phường Bình")].count("\n") + 1
    # a clerk's editor saved the name as Latin-1
    path.write_bytes(
        text.encode().replace("name: Phường Bình".encode(), "name: Bình".encode("latin-1"), 1)
    )
    return path, line, "(file)", "not UTF-8"


def unknown_key(inv: Path) -> Expected:
    path = site_file(inv, 26380)
    line = replace_in(path, "  bandwidth_mbps: 200", "  bandwith_mbps: 200")
    return (
        path,
        line,
        "uplink.bandwith_mbps",
        "unknown key 'bandwith_mbps' (did you mean 'bandwidth_mbps'?)",
    )


def missing_field(inv: Path) -> Expected:
    path = site_file(inv, 25217)
    replace_in(path, "name_2025: Phường Phước Long\n", "")
    return path, 4, "name_2025", "required field missing"


def wrong_type(inv: Path) -> Expected:
    path = site_file(inv, 25195)
    line = replace_in(path, "ram_gb: 16", "ram_gb: sixteen")
    return path, line, "hosts.0.hardware.ram_gb", "Input should be a valid integer"


def code_not_official(inv: Path) -> Expected:
    source = site_file(inv, 26503)
    path = inv / "sites" / "27777-ho-tram.yml"
    shutil.copy(source, path)
    replace_in(path, "code: 26503", "code: 27777")
    replace_in(path, "tcd-26503-pc1", "tcd-27777-pc1")
    replace_in(inv / "waves.yml", "      - 26503", "      - 26503\n      - 27777")
    return path, 4, "code", "code 27777 is not in the official register"


def file_name_mismatch(inv: Path) -> Expected:
    old = site_file(inv, 26380)
    path = old.with_name("26381-long-hung.yml")
    old.rename(path)
    return path, 4, "code", "code 26380 does not match the file name (26381-long-hung.yml)"


def duplicate_code(inv: Path) -> Expected:
    original = site_file(inv, 25210)
    shutil.copy(original, original.with_name("25210-dong-xoai-copy.yml"))
    # files are read in name order: the copy sorts first, so the original is the duplicate
    return original, 4, "code", "duplicate code 25210: also in 25210-dong-xoai-copy.yml"


def duplicate_host(inv: Path) -> Expected:
    path = site_file(inv, 25217)
    line = replace_in(path, "  - name: tcd-25217-gw1", "  - name: tcd-25217-pc1")
    return (
        path,
        line + 8,
        "hosts.1.name",
        "duplicate name 'tcd-25217-pc1': also used by 25217-phuoc-long.yml",
    )


def unknown_wave(inv: Path) -> Expected:
    path = site_file(inv, 25220)
    line = replace_in(path, "wave: wave-1", "wave: wave-9")
    return (
        path,
        line,
        "wave",
        "unknown wave 'wave-9' (waves.yml has: pilot, wave-1, wave-2, wave-3)",
    )


def site_in_two_waves(inv: Path) -> Expected:
    path = inv / "waves.yml"
    line = replace_in(path, "      - 25993  # Phường Trảng Dài", "      - 25993\n      - 26380")
    return path, line + 1, "waves.1.sites.10", "site 26380 is in two waves: 'pilot' and 'wave-1'"


def bad_batch_size(inv: Path) -> Expected:
    path = inv / "waves.yml"
    line = replace_in(
        path, "    sites:\n      - 25210", "    batches: [1, 0]\n    sites:\n      - 25210"
    )
    return path, line, "waves.1.batches.1", "a batch has at least 1 site (got 0)"


def invalid_cidr(inv: Path) -> Expected:
    path = inv / "province.yml"
    line = replace_in(path, "cidr: 10.211.0.0/17", "cidr: 10.211.0.0/33")
    return (
        path,
        line,
        "address_plan.pools.site_lan.cidr",
        "'10.211.0.0/33' is not a valid CIDR network",
    )


def invalid_address(inv: Path) -> Expected:
    path = inv / "province.yml"
    line = replace_in(path, "overlay_address: 10.220.0.1", "overlay_address: 10.220.0.300")
    return path, line, "hubs.0.overlay_address", "'10.220.0.300' is not a valid IP address"


def overlapping_pools(inv: Path) -> Expected:
    path = inv / "province.yml"
    replace_in(path, "cidr: 10.211.0.0/17", "cidr: 10.210.0.0/17")
    text = path.read_text(encoding="utf-8")
    return (
        path,
        text[: text.index("cidr: 10.210.0.0/18")].count("\n") + 1,
        "address_plan.pools.management.cidr",
        "pool management 10.210.0.0/18 overlaps pool site_lan 10.210.0.0/17",
    )


def address_outside_pool(inv: Path) -> Expected:
    path = site_file(inv, 26380)
    line = replace_in(path, "address: 10.211.87.74", "address: 10.99.0.74")
    return (
        path,
        line,
        "cameras.0.address",
        "10.99.0.74 is outside this site's device addresses in its LAN 10.211.87.64/28",
    )


def bandwidth_impossible(inv: Path) -> Expected:
    path = site_file(inv, 25195)
    line = replace_in(path, "bandwidth_mbps: 200", "bandwidth_mbps: 200000")
    return path, line, "uplink.bandwidth_mbps", "Input should be less than or equal to 10000"


def bandwidth_zero(inv: Path) -> Expected:
    path = site_file(inv, 26380)
    line = replace_in(path, "bandwidth_mbps: 200", "bandwidth_mbps: 0")
    return path, line, "uplink.bandwidth_mbps", "Input should be greater than 0"


def bandwidth_without_uplink(inv: Path) -> Expected:
    path = site_file(inv, 26380)
    line = replace_in(path, "  kind: tslcd\n", "  kind: none\n")
    return path, line - 1, "uplink", "an uplink of kind 'none' cannot have a bandwidth"


def duplicate_key(inv: Path) -> Expected:
    path = site_file(inv, 26380)
    line = replace_in(path, "wave: pilot\n", "wave: pilot\nwave: wave-1\n")
    return path, line + 1, "(file)", "invalid YAML: key 'wave' appears twice in this mapping"


def pinned_address_outside_block(inv: Path) -> Expected:
    path = site_file(inv, 26380)
    pinned = "    role: reception_pc\n    management_address: 10.210.0.50\n"
    line = replace_in(path, "    role: reception_pc\n", pinned)
    return (
        path,
        line + 1,
        "hosts.0.management_address",
        "10.210.0.50 is outside this site's host addresses in its management block "
        "10.210.43.160/29",
    )


def two_hosts_one_address(inv: Path) -> Expected:
    path = site_file(inv, 25217)
    # the gateway takes .2 of the block by default; pin the PC there too
    pinned = "    role: reception_pc\n    management_address: 10.210.7.74\n"
    line = replace_in(path, "    role: reception_pc\n", pinned)
    return (
        path,
        line + 1,
        "hosts.1.management_address",
        "10.210.7.74 is also the address of tcd-25217-gw1 (site 25217)",
    )


def name_not_the_registers(inv: Path) -> Expected:
    path = site_file(inv, 26380)
    line = replace_in(path, "name: Phường Long Hưng", "name: Phường Long Hung")
    return path, line, "name", "'Phường Long Hung' differs from the official register"


def control_of_unknown_role(inv: Path) -> Expected:
    path = inv / "baseline.yml"
    text = path.read_text(encoding="utf-8")
    # the kiosk's first control, its role misspelt
    start = text.index("  - id: TCD-KIOSK-001")
    line = text[: text.index("    role: kiosk\n", start)].count("\n") + 1
    path.write_text(text[:start] + text[start:].replace("role: kiosk", "role: kiosks", 1))
    index = text[:start].count("\n  - id: TCD-")
    return path, line, f"controls.{index}.role", "no role 'kiosks' (roles/registry.py has base,"


WAIVER = """waivers:
  - control: TCD-KIOSK-004
    site: 25195
    justification: the display is switched by the commune's own timer until Q1/2027
    expires: 2027-03-31
"""


def waiver_unknown_control(inv: Path) -> Expected:
    path = inv / "waivers.yml"
    path.write_text(WAIVER.replace("TCD-KIOSK-004", "TCD-KIOSK-999"), encoding="utf-8")
    return path, 2, "waivers.0.control", "unknown control TCD-KIOSK-999"


def waiver_without_expiry(inv: Path) -> Expected:
    path = inv / "waivers.yml"
    path.write_text(WAIVER.replace("    expires: 2027-03-31\n", ""), encoding="utf-8")
    return path, 2, "waivers.0.expires", "required field missing"


CASES: dict[str, Callable[[Path], Expected]] = {
    "invalid YAML": invalid_yaml,
    "invalid in YAML 1.2 only": invalid_yaml_1_2_only,
    "empty file": empty_file,
    "non-UTF-8 file": not_utf8,
    "unknown key": unknown_key,
    "missing required field": missing_field,
    "wrong type": wrong_type,
    "code not in the official list": code_not_official,
    "file name not matching its code": file_name_mismatch,
    "duplicate code": duplicate_code,
    "duplicate host name": duplicate_host,
    "unknown wave": unknown_wave,
    "site in two waves": site_in_two_waves,
    "batch of no site": bad_batch_size,
    "invalid CIDR": invalid_cidr,
    "invalid address": invalid_address,
    "overlapping pools": overlapping_pools,
    "address outside its pool": address_outside_pool,
    "impossible bandwidth": bandwidth_impossible,
    # more of the same families
    "zero bandwidth": bandwidth_zero,
    "bandwidth on no uplink": bandwidth_without_uplink,
    "key given twice": duplicate_key,
    "pinned address outside the site's block": pinned_address_outside_block,
    "two hosts on one address": two_hosts_one_address,
    "name not the register's": name_not_the_registers,
    "control of an unregistered role": control_of_unknown_role,
    "waiver for an unknown control": waiver_unknown_control,
    "waiver without expiry": waiver_without_expiry,
}


@pytest.mark.parametrize("break_it", CASES.values(), ids=CASES.keys())
def test_bad_input_is_named_and_nothing_is_written(tcd, inventory_copy, tmp_path, break_it):
    path, line, field, reason = break_it(inventory_copy)
    before = tree_digest(tmp_path)
    out = tmp_path / "export.yml"

    for args in (("inventory", "check"), ("plan",), ("inventory", "export", "-o", str(out))):
        result = tcd(*args)
        assert result.exit_code == 2, result.stdout
        *problems, closing = result.stderr.splitlines()
        # the broken thing is named, and nothing else is blamed for it
        assert len(problems) == 1, result.stderr
        assert problems[0].startswith(f"{path}:{line}: {field}: {reason}"), result.stderr
        assert closing == "1 problem in inventory; nothing was written."
    assert tree_digest(tmp_path) == before
    assert not out.exists()


def test_all_problems_are_listed_at_once(tcd, inventory_copy):
    expected = [unknown_key(inventory_copy), unknown_wave(inventory_copy)]
    result = tcd("inventory", "check")
    assert result.exit_code == 2
    for path, line, field, reason in expected:
        assert f"{path}:{line}: {field}: {reason}" in result.stderr
    assert result.stderr.endswith("2 problems in inventory; nothing was written.\n")


def test_unknown_site_and_wave_on_the_command_line(tcd, inventory_copy):
    result = tcd("plan", "--sites", "26380,12345")
    assert result.exit_code == 2
    assert "unknown site code(s): 12345" in result.stderr
    result = tcd("plan", "--wave", "wave-7")
    assert result.exit_code == 2
    assert "unknown wave 'wave-7'" in result.stderr
    result = tcd("plan", "--sites", "long-hung")
    assert result.exit_code == 2
    assert "--sites takes admin codes" in result.stderr
