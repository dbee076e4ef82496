"""The ONVIF device service (/onvif/device_service): time, NTP, hostname, users, protocols."""

import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from . import clock, soap
from .device import PROTOCOLS, USERS, Device
from .settings import USER_LEVELS, CameraSettings, NetworkHost, Protocol, User
from .soap import SoapFaultError, boolean, child, children, integer, invalid_arg, text

DEVICE_NS = "http://www.onvif.org/ver10/device/wsdl"
MEDIA_NS = "http://www.onvif.org/ver10/media/wsdl"
DEVICE_PATH = "/onvif/device_service"
MEDIA_PATH = "/onvif/media_service"

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_USERNAME = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


@dataclass
class Call:
    device: Device
    body: etree._Element
    user: User | None
    base_url: str  # scheme://host[:port] the request came in on, for XAddrs


def _empty(operation: str) -> bytes:
    return soap.render("empty_response.xml.j2", prefix="tds", operation=operation)


# ---- time and NTP ----------------------------------------------------------------------------


def get_system_date_and_time(call: Call) -> bytes:
    s = call.device.snapshot()
    utc = clock.now(s.clock_offset_s)
    return soap.render(
        "GetSystemDateAndTime.xml.j2", s=s, utc=utc, local=clock.local_time(utc, s.timezone)
    )


def _utc_date_time(node: etree._Element) -> datetime:
    try:
        return datetime(
            integer(text(node, "Date", "Year"), "Year"),
            integer(text(node, "Date", "Month"), "Month"),
            integer(text(node, "Date", "Day"), "Day"),
            integer(text(node, "Time", "Hour"), "Hour"),
            integer(text(node, "Time", "Minute"), "Minute"),
            integer(text(node, "Time", "Second"), "Second"),
            tzinfo=UTC,
        )
    except ValueError as err:
        raise invalid_arg(f"UTCDateTime is not a valid date: {err}", "InvalidDateTime") from None


def _synchronise_if_ntp(s: CameraSettings) -> None:
    # Stands in for the NTP exchange: the lab camera has no route to the lab's NTP server, and
    # the lab machine's clock is the reference every NTP server of the lab serves anyway.
    if s.date_time_type == "NTP" and s.ntp_servers:
        s.clock_offset_s = 0.0


def set_system_date_and_time(call: Call) -> bytes:
    body = call.body
    kind = text(body, "DateTimeType")
    if kind not in {"NTP", "Manual"}:
        raise invalid_arg(f"DateTimeType must be NTP or Manual, got {kind!r}")
    daylight = boolean(text(body, "DaylightSavings"), "DaylightSavings")
    tz = text(body, "TimeZone", "TZ")
    if tz is not None and not re.match(r"^[\x21-\x7e]{1,64}$", tz):
        raise invalid_arg(f"TimeZone {tz!r} is not a POSIX TZ string", "InvalidTimeZone")
    utc_node = child(body, "UTCDateTime")
    if kind == "Manual" and utc_node is None:
        raise invalid_arg("Manual DateTimeType needs UTCDateTime", "InvalidDateTime")
    with call.device.change() as s:
        s.date_time_type = kind
        s.daylight_savings = daylight
        if tz is not None:
            s.timezone = tz
        if kind == "Manual" and utc_node is not None:
            s.clock_offset_s = clock.offset_for(_utc_date_time(utc_node))
        _synchronise_if_ntp(s)
    return _empty("SetSystemDateAndTime")


def get_ntp(call: Call) -> bytes:
    return soap.render("GetNTP.xml.j2", s=call.device.snapshot())


# NetworkHost Type -> (how its <TypeAddress> is parsed, the fault subcode when it is not one)
_IP_KINDS = {
    "IPv4": (ipaddress.IPv4Address, "InvalidIPv4Address"),
    "IPv6": (ipaddress.IPv6Address, "InvalidIPv6Address"),
}


def _network_host(node: etree._Element) -> NetworkHost:
    kind = text(node, "Type")
    if kind in _IP_KINDS:
        parse, subcode = _IP_KINDS[kind]
        address = text(node, f"{kind}Address") or ""
        try:
            parse(address)
        except ValueError:
            raise invalid_arg(f"{address!r} is not an {kind} address", subcode) from None
    elif kind == "DNS":
        address = text(node, "DNSname") or ""
        if not _HOSTNAME.match(address):
            raise invalid_arg(f"{address!r} is not a DNS name", "InvalidDnsName")
    else:
        raise invalid_arg(f"NTPManual Type must be IPv4, IPv6 or DNS, got {kind!r}")
    return NetworkHost(kind, address)


def set_ntp(call: Call) -> bytes:
    from_dhcp = boolean(text(call.body, "FromDHCP"), "FromDHCP")
    servers = [_network_host(node) for node in children(call.body, "NTPManual")]
    with call.device.change() as s:
        s.ntp_from_dhcp = from_dhcp
        s.ntp_servers = servers
        _synchronise_if_ntp(s)
    return _empty("SetNTP")


# ---- identity --------------------------------------------------------------------------------


def get_hostname(call: Call) -> bytes:
    return soap.render("GetHostname.xml.j2", s=call.device.snapshot())


def set_hostname(call: Call) -> bytes:
    name = text(call.body, "Name") or ""
    if not _HOSTNAME.match(name):
        raise invalid_arg(f"{name!r} is not a valid hostname", "InvalidHostname")
    with call.device.change() as s:
        s.hostname = name
        s.hostname_from_dhcp = False
    return _empty("SetHostname")


def get_device_information(call: Call) -> bytes:
    return soap.render(
        "GetDeviceInformation.xml.j2",
        manufacturer="tcd-fleet lab",
        model="ONVIF lab camera",
        firmware="lab-1.0",
        serial=call.device.name,
        hardware_id="tcd-lab-camera",
    )


def get_discovery_mode(call: Call) -> bytes:
    return soap.render("GetDiscoveryMode.xml.j2", s=call.device.snapshot())


def set_discovery_mode(call: Call) -> bytes:
    mode = text(call.body, "DiscoveryMode")
    if mode not in {"Discoverable", "NonDiscoverable"}:
        raise invalid_arg(f"DiscoveryMode must be Discoverable or NonDiscoverable, got {mode!r}")
    with call.device.change() as s:
        s.discovery_mode = mode
    return _empty("SetDiscoveryMode")


# ---- users -----------------------------------------------------------------------------------


def get_users(call: Call) -> bytes:
    return soap.render("GetUsers.xml.j2", s=call.device.snapshot())


def _level(node: etree._Element) -> str:
    level = text(node, "UserLevel")
    if level not in USER_LEVELS:
        raise invalid_arg(f"UserLevel must be one of {', '.join(USER_LEVELS)}, got {level!r}")
    return level


def create_users(call: Call) -> bytes:
    nodes = children(call.body, "User")
    with call.device.change(USERS) as s:
        for node in nodes:
            username = text(node, "Username") or ""
            if not _USERNAME.match(username):
                raise invalid_arg(f"{username!r} is not a valid username", "InvalidArgVal")
            if s.user(username) is not None:
                raise SoapFaultError(
                    "Sender", ["OperationProhibited", "UsernameClash"], f"{username} exists"
                )
            password = text(node, "Password")
            if not password:
                raise invalid_arg(f"user {username} needs a password", "PasswordTooWeak")
            s.users.append(User(username, password, _level(node)))
    return _empty("CreateUsers")


def _keeps_an_administrator(users: list[User]) -> None:
    if not any(u.level == "Administrator" for u in users):
        raise SoapFaultError(
            "Sender", ["OperationProhibited", "FixedUser"], "the last Administrator must stay"
        )


def set_user(call: Call) -> bytes:
    nodes = children(call.body, "User")
    with call.device.change(USERS) as s:
        for node in nodes:
            username = text(node, "Username") or ""
            user = s.user(username)
            if user is None:
                raise invalid_arg(f"no user {username!r}", "UsernameMissing")
            password = text(node, "Password")
            if password is not None:
                if not password:
                    raise invalid_arg(f"user {username} needs a password", "PasswordTooWeak")
                user.password = password
            user.level = _level(node)
        _keeps_an_administrator(s.users)
    return _empty("SetUser")


def delete_users(call: Call) -> bytes:
    names = [n.text.strip() for n in children(call.body, "Username") if n.text]
    with call.device.change(USERS) as s:
        for name in names:
            if s.user(name) is None:
                raise invalid_arg(f"no user {name!r}", "UsernameMissing")
        s.users = [u for u in s.users if u.username not in names]
        _keeps_an_administrator(s.users)
    return _empty("DeleteUsers")


# ---- network protocols -----------------------------------------------------------------------


def get_network_protocols(call: Call) -> bytes:
    return soap.render("GetNetworkProtocols.xml.j2", s=call.device.snapshot())


def set_network_protocols(call: Call) -> bytes:
    wanted: dict[str, Protocol] = {}
    for node in children(call.body, "NetworkProtocols"):
        name = text(node, "Name")
        if name not in {"HTTP", "HTTPS", "RTSP"}:
            raise invalid_arg(f"protocol {name!r} is not supported", "ServiceNotSupported")
        port = integer(text(node, "Port"), "Port")
        if not 1 <= port <= 65535:
            raise invalid_arg(f"port {port} is out of range", "PortAlreadyInUse")
        wanted[name] = Protocol(boolean(text(node, "Enabled"), "Enabled"), port)
    with call.device.change(PROTOCOLS) as s:
        s.protocols.update(wanted)
        enabled = [p.port for p in s.protocols.values() if p.enabled]
        if len(enabled) != len(set(enabled)):
            raise invalid_arg("two enabled protocols would share a port", "PortAlreadyInUse")
        if not (s.protocols["HTTP"].enabled or s.protocols["HTTPS"].enabled):
            # nobody could ever configure the camera again short of a factory reset
            raise invalid_arg("HTTP and HTTPS cannot both be disabled")
    return _empty("SetNetworkProtocols")


# ---- service discovery -----------------------------------------------------------------------


def get_services(call: Call) -> bytes:
    services = [
        {"namespace": DEVICE_NS, "xaddr": call.base_url + DEVICE_PATH, "major": 2, "minor": 60},
        {"namespace": MEDIA_NS, "xaddr": call.base_url + MEDIA_PATH, "major": 2, "minor": 60},
    ]
    return soap.render("GetServices.xml.j2", services=services)


def get_capabilities(call: Call) -> bytes:
    categories = {n.text.strip() for n in children(call.body, "Category") if n.text} or {"All"}
    unknown = categories - {"All", "Device", "Media"}
    if unknown:
        raise SoapFaultError(
            "Receiver", ["ActionNotSupported", "NoSuchService"], f"no {', '.join(unknown)} here"
        )
    every = "All" in categories
    return soap.render(
        "GetCapabilities.xml.j2",
        device_xaddr=call.base_url + DEVICE_PATH if every or "Device" in categories else "",
        media_xaddr=call.base_url + MEDIA_PATH if every or "Media" in categories else "",
    )


# operation -> (handler, least user level; None = answered before authentication)
OPERATIONS = {
    "GetSystemDateAndTime": (get_system_date_and_time, None),
    "SetSystemDateAndTime": (set_system_date_and_time, "Administrator"),
    "GetNTP": (get_ntp, "User"),
    "SetNTP": (set_ntp, "Administrator"),
    "GetHostname": (get_hostname, "User"),
    "SetHostname": (set_hostname, "Administrator"),
    "GetDeviceInformation": (get_device_information, "User"),
    "GetDiscoveryMode": (get_discovery_mode, "User"),
    "SetDiscoveryMode": (set_discovery_mode, "Administrator"),
    "GetUsers": (get_users, "Administrator"),
    "CreateUsers": (create_users, "Administrator"),
    "SetUser": (set_user, "Administrator"),
    "DeleteUsers": (delete_users, "Administrator"),
    "GetNetworkProtocols": (get_network_protocols, "User"),
    "SetNetworkProtocols": (set_network_protocols, "Administrator"),
    # ONVIF Core's PRE_AUTH access class: a client finds the services before it logs in
    "GetServices": (get_services, None),
    "GetCapabilities": (get_capabilities, None),
}
