"""roles/vpn_spoke on each site's gateway: both tunnels up, handshaking, carrying packets to
both offices; the private keys only on the host."""

import pytest
from keys import check_key
from target import Target

from roles.vpn_spoke import defaults

ROLE = "vpn_spoke"
control = pytest.mark.control


def tunnel(target: Target, office: str) -> dict:
    return next(t for t in target.data["tcd_spoke"]["tunnels"] if t["office"] == office)


def link_flags(target: Target, name: str) -> list[str] | None:
    for line in target.lines("links"):
        if line.split(":")[1].strip().split("@")[0] == name:
            return line.split("<", 1)[1].split(">", 1)[0].split(",")
    return None


def check_handshake(target: Target, office: str) -> None:
    wanted = tunnel(target, office)
    name = wanted["interface"]
    flags = link_flags(target, name)
    assert flags is not None, f"{name} does not exist"
    assert "UP" in flags, f"{name} is down"
    handshakes = {
        (fields[0], fields[1]): int(fields[2])
        for fields in (line.split("\t") for line in target.lines("wg_handshakes"))
        if len(fields) == 3
    }
    at = handshakes.get((name, wanted["hub_public_key"]))
    assert at is not None, f"{name} has no peer with the {office} hub's key"
    age = int(target.section("now")) - at
    assert at and age <= defaults.HANDSHAKE_MAX_AGE, (
        f"{name}: no handshake with the hub for {age} s (at most {defaults.HANDSHAKE_MAX_AGE})"
        if at
        else f"{name}: never a handshake with the hub"
    )


def check_office(target: Target, office: str) -> None:
    """Live: the hub's tunnel address and the office behind the hub answer through the tunnel."""
    wanted = tunnel(target, office)
    name = wanted["interface"]
    reached = target.reach()
    for address in (wanted["hub_address"], wanted["office_probe"]):
        dev, answered = reached[address]
        assert dev == name, f"{address} is routed through {dev or 'nothing'}, not {name}"
        assert answered, f"no answer from {address} through {name}"


@control("TCD-VPN-001")
def test_tunnel_province(target: Target) -> None:
    check_handshake(target, "province")


@control("TCD-VPN-002")
def test_tunnel_central(target: Target) -> None:
    check_handshake(target, "central")


@control("TCD-VPN-003")
def test_province_office_reachable(target: Target) -> None:
    check_office(target, "province")


@control("TCD-VPN-004")
def test_central_office_reachable(target: Target) -> None:
    check_office(target, "central")


@control("TCD-VPN-005")
def test_private_keys_stay_private(target: Target) -> None:
    for wanted in target.data["tcd_spoke"]["tunnels"]:
        check_key(target, wanted["interface"])
