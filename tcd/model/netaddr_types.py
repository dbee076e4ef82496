"""Address fields for pydantic, backed by netaddr (all address arithmetic goes through netaddr)."""

from typing import Annotated

import netaddr
from pydantic import PlainSerializer, PlainValidator, WithJsonSchema


def parse_address(value: object) -> netaddr.IPAddress:
    if isinstance(value, netaddr.IPAddress):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected an IP address written as text (e.g. 10.210.0.2), got {value!r}")
    try:
        # netaddr >= 1.0 parses with inet_pton rules, so '10.1' or '010.0.0.1' are refused.
        return netaddr.IPAddress(value)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise ValueError(f"{value!r} is not a valid IP address") from None


def parse_network(value: object) -> netaddr.IPNetwork:
    if isinstance(value, netaddr.IPNetwork):
        return value
    if not isinstance(value, str) or "/" not in value:
        raise ValueError(f"expected a network in CIDR form (e.g. 10.210.0.0/18), got {value!r}")
    try:
        network = netaddr.IPNetwork(value)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise ValueError(f"{value!r} is not a valid CIDR network") from None
    if network.ip != network.network:
        raise ValueError(f"{value!r} has host bits set; the network is {network.cidr}")
    return network


IPAddr = Annotated[
    netaddr.IPAddress,
    PlainValidator(parse_address),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "format": "ipvanyaddress"}),
]
IPNet = Annotated[
    netaddr.IPNetwork,
    PlainValidator(parse_network),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "format": "ipvanynetwork"}),
]
