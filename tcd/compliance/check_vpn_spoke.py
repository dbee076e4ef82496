"""roles/vpn_spoke on each site's gateway: both tunnels up, handshaking, carrying packets to
both offices; the private keys only on the host."""

import pytest

from roles.vpn_spoke import defaults
from roles.vpn_spoke.role import VPN_SPOKE, Tunnel
from tcd.compliance.host import CheckedHost
from tcd.compliance.wgkeys import check_key
from tcd.model.province import Office

ROLE = VPN_SPOKE  # the role whose hosts this module checks
control = pytest.mark.control


def reach(target: CheckedHost) -> dict[str, tuple[str, bool]]:
    """Live (pinged by collect.sh): each hub's tunnel address and each office's probe address,
    the interface the route to it leaves by and whether it answered ping."""

    def parse() -> dict[str, tuple[str, bool]]:
        found = {}
        for line in target.lines("reach"):
            address, dev, ok = line.split("\t")
            found[address] = (dev, ok == "yes")
        return found

    return target.fact("reach", parse)


def tunnel(target: CheckedHost, office: Office) -> Tunnel:
    return target.of(ROLE).tunnel(office)


def link_flags(target: CheckedHost, name: str) -> list[str] | None:
    for line in target.lines("links"):
        if line.split(":")[1].strip().split("@")[0] == name:
            return line.split("<", 1)[1].split(">", 1)[0].split(",")
    return None


def check_handshake(target: CheckedHost, office: Office) -> None:
    wanted = tunnel(target, office)
    name = wanted.interface
    flags = link_flags(target, name)
    assert flags is not None, f"{name} does not exist"
    assert "UP" in flags, f"{name} is down"
    handshakes = {
        (fields[0], fields[1]): int(fields[2])
        for fields in (line.split("\t") for line in target.lines("wg_handshakes"))
        if len(fields) == 3
    }
    at = handshakes.get((name, wanted.hub_public_key))
    assert at is not None, f"{name} has no peer with the {office} hub's key"
    age = int(target.section("now")) - at
    assert at and age <= defaults.HANDSHAKE_MAX_AGE, (
        f"{name}: no handshake with the hub for {age} s (at most {defaults.HANDSHAKE_MAX_AGE})"
        if at
        else f"{name}: never a handshake with the hub"
    )


def check_office(target: CheckedHost, office: Office) -> None:
    """Live: the hub's tunnel address and the office behind the hub answer through the tunnel."""
    wanted = tunnel(target, office)
    name = wanted.interface
    reached = reach(target)
    for address in (wanted.hub_address, wanted.office_probe):
        dev, answered = reached[address]
        assert dev == name, f"{address} is routed through {dev or 'nothing'}, not {name}"
        assert answered, f"no answer from {address} through {name}"


@control("TCD-VPN-001")
def test_tunnel_province(target: CheckedHost) -> None:
    check_handshake(target, Office.PROVINCE)


@control("TCD-VPN-002")
def test_tunnel_central(target: CheckedHost) -> None:
    check_handshake(target, Office.CENTRAL)


@control("TCD-VPN-003")
def test_province_office_reachable(target: CheckedHost) -> None:
    check_office(target, Office.PROVINCE)


@control("TCD-VPN-004")
def test_central_office_reachable(target: CheckedHost) -> None:
    check_office(target, Office.CENTRAL)


@control("TCD-VPN-005")
def test_private_keys_stay_private(target: CheckedHost) -> None:
    for wanted in target.of(ROLE).tunnels:
        check_key(target, wanted.interface)
