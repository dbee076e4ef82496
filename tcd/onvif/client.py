"""An IP camera over ONVIF, through onvif-zeep-async (the maintained client; it builds and signs
the SOAP, WS-UsernameToken digest included). This module only opens sessions, names the
failures the camera role must tell apart, and turns answers into plain values."""

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import zeep.exceptions

from tcd.onvif.forward import LOOPBACK


def _import_onvif() -> tuple[type, type]:
    """onvif-zeep-async calls logging.basicConfig(level=INFO) when imported, which would print
    every library's INFO records (pyinfra's, for each host) on stderr: undo it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    from onvif import ONVIFCamera  # noqa: PLC0415
    from onvif.exceptions import ONVIFError  # noqa: PLC0415

    root.handlers[:] = handlers
    root.setLevel(level)
    return ONVIFCamera, ONVIFError


ONVIFCamera, ONVIFError = _import_onvif()

TIMEOUT = 20.0


class CameraError(RuntimeError):
    """The camera could not be reached or refused a call (never carries a credential)."""


class CameraAuthError(CameraError):
    def __init__(self, user: str, locked: bool) -> None:
        self.user, self.locked = user, locked
        why = "locked out after failed logins" if locked else "wrong password"
        super().__init__(f"the camera refused user {user!r}: {why}")


@dataclass(frozen=True)
class Stream:
    encoding: str
    width: int
    height: int
    fps: int
    bitrate_kbps: int
    gop: int | None


class Device:
    """One authenticated session: the device management and media services."""

    def __init__(self, camera: ONVIFCamera, devicemgmt: Any, media: Any) -> None:
        self.camera, self.devicemgmt, self.media = camera, devicemgmt, media

    async def users(self) -> dict[str, str]:
        """username -> level (Administrator, Operator, User)."""
        return {u.Username: str(u.UserLevel) for u in await self.devicemgmt.GetUsers() or []}

    async def create_user(self, name: str, password: str, level: str) -> None:
        user = {"Username": name, "Password": password, "UserLevel": level}
        await self.devicemgmt.CreateUsers({"User": [user]})

    async def set_user(self, name: str, password: str, level: str) -> None:
        user = {"Username": name, "Password": password, "UserLevel": level}
        await self.devicemgmt.SetUser({"User": [user]})

    async def delete_users(self, names: list[str]) -> None:
        await self.devicemgmt.DeleteUsers({"Username": names})

    async def ntp_servers(self) -> tuple[bool, list[str]]:
        """(from DHCP, the manual servers' addresses or names)."""
        info = await self.devicemgmt.GetNTP()
        manual = [e.IPv4Address or e.DNSname or e.IPv6Address for e in info.NTPManual or []]
        return bool(info.FromDHCP), [str(a) for a in manual if a]

    async def set_ntp(self, servers: list[str]) -> None:
        manual = [{"Type": "IPv4", "IPv4Address": server} for server in servers]
        await self.devicemgmt.SetNTP({"FromDHCP": False, "NTPManual": manual})

    async def clock(self) -> tuple[str, str, dt.datetime]:
        """(DateTimeType, TZ, the camera's UTC time)."""
        info = await self.devicemgmt.GetSystemDateAndTime()
        utc = info.UTCDateTime
        when = dt.datetime(
            utc.Date.Year, utc.Date.Month, utc.Date.Day,
            utc.Time.Hour, utc.Time.Minute, utc.Time.Second, tzinfo=dt.UTC,
        )  # fmt: skip
        zone = info.TimeZone.TZ if info.TimeZone is not None else ""
        return str(info.DateTimeType), str(zone), when

    async def set_clock_ntp(self, timezone: str) -> None:
        await self.devicemgmt.SetSystemDateAndTime(
            {"DateTimeType": "NTP", "DaylightSavings": False, "TimeZone": {"TZ": timezone}}
        )

    async def hostname(self) -> str:
        return str((await self.devicemgmt.GetHostname()).Name or "")

    async def set_hostname(self, name: str) -> None:
        await self.devicemgmt.SetHostname({"Name": name})

    async def protocols(self) -> dict[str, bool]:
        """protocol name (HTTP, HTTPS, RTSP) -> enabled."""
        return {p.Name: bool(p.Enabled) for p in await self.devicemgmt.GetNetworkProtocols()}

    async def set_protocol(self, name: str, enabled: bool) -> None:
        current = await self.devicemgmt.GetNetworkProtocols()
        wanted = [
            {"Name": p.Name, "Enabled": enabled if p.Name == name else p.Enabled, "Port": p.Port}
            for p in current
        ]
        await self.devicemgmt.SetNetworkProtocols({"NetworkProtocols": wanted})

    async def discoverable(self) -> bool:
        return str(await self.devicemgmt.GetDiscoveryMode()) == "Discoverable"

    async def set_discoverable(self, on: bool) -> None:
        mode = "Discoverable" if on else "NonDiscoverable"
        await self.devicemgmt.SetDiscoveryMode({"DiscoveryMode": mode})

    async def _main_encoder(self) -> Any:
        profiles = await self.media.GetProfiles()
        if not profiles or profiles[0].VideoEncoderConfiguration is None:
            raise CameraError("the camera has no media profile with a video encoder")
        token = profiles[0].VideoEncoderConfiguration.token
        return await self.media.GetVideoEncoderConfiguration({"ConfigurationToken": token})

    async def main_stream(self) -> Stream:
        """The first media profile's video encoder settings (the main stream)."""
        config = await self._main_encoder()
        rate = config.RateControl
        return Stream(
            encoding=str(config.Encoding),
            width=int(config.Resolution.Width),
            height=int(config.Resolution.Height),
            fps=int(rate.FrameRateLimit),
            bitrate_kbps=int(rate.BitrateLimit),
            gop=int(config.H264.GovLength) if config.H264 is not None else None,
        )

    async def set_main_stream(self, stream: Stream) -> None:
        config = await self._main_encoder()
        config.Encoding = stream.encoding
        config.Resolution.Width, config.Resolution.Height = stream.width, stream.height
        config.RateControl.FrameRateLimit = stream.fps
        config.RateControl.BitrateLimit = stream.bitrate_kbps
        if config.H264 is not None and stream.gop is not None:
            config.H264.GovLength = stream.gop
        await self.media.SetVideoEncoderConfiguration(
            {"Configuration": config, "ForcePersistence": True}
        )

    async def stream_path(self) -> str:
        """The RTSP path of the main profile (the address part is the camera's LAN one)."""
        profiles = await self.media.GetProfiles()
        answer = await self.media.GetStreamUri(
            {
                "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
                "ProfileToken": profiles[0].token,
            }
        )
        uri = str(answer.Uri)
        return "/" + uri.split("://", 1)[-1].split("/", 1)[-1]


def _refused(fault: zeep.exceptions.Fault) -> bool:
    codes = [str(c) for c in (fault.subcodes or [])]
    return any("NotAuthorized" in c for c in codes) or "not authorized" in str(fault).lower()


def _locked(fault: zeep.exceptions.Fault) -> bool:
    return "lock" in (fault.message or "").lower()


def _translated(error: Exception, user: str) -> CameraError:
    if isinstance(error, zeep.exceptions.Fault):
        if _refused(error):
            return CameraAuthError(user, _locked(error))
        return CameraError(f"the camera answered with a fault: {error.message}")
    return CameraError(f"no ONVIF answer: {type(error).__name__}: {error}")


ERRORS = (zeep.exceptions.Fault, ONVIFError, aiohttp.ClientError, TimeoutError, OSError)


async def _open(port: int, user: str, password: str) -> Device:
    camera = ONVIFCamera(f"https://{LOOPBACK}", port, user, password, adjust_time=True)
    try:
        async with asyncio.timeout(TIMEOUT):
            await camera.update_xaddrs()
            devicemgmt = await camera.create_devicemgmt_service()
            # GetServices may be answered without credentials: this call proves them
            await devicemgmt.GetDeviceInformation()
            return Device(camera, devicemgmt, await camera.create_media_service())
    except ERRORS as error:
        await camera.close()
        raise _translated(error, user) from None


@asynccontextmanager
async def session(
    port: int, user: str, password: str, locked_wait: float = 0.0
) -> AsyncIterator[Device]:
    """A session as `user` with the camera's HTTPS port forwarded to loopback `port`.
    Refused credentials raise CameraAuthError before anything else runs; if the account is
    locked out and `locked_wait` is given, that long is waited once before trying again.
    A fault or lost connection inside the block comes out as CameraError."""
    try:
        device = await _open(port, user, password)
    except CameraAuthError as refused:
        if not (refused.locked and locked_wait):
            raise
        await asyncio.sleep(locked_wait)
        device = await _open(port, user, password)
    try:
        yield device
    except ERRORS as error:
        raise _translated(error, user) from None
    finally:
        await device.camera.close()
