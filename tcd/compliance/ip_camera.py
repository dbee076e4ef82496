"""One IP camera under check, read from the controller through an SSH port forward on its
site's gateway: over ONVIF with the vault's credentials, RTSP with ffprobe, the HTTP port from
the gateway itself. Everything is read once (`read()`), the lockout probe last; the checks only
judge. No credential is printed, logged or passed on a command line."""

import asyncio
import datetime as dt
import json
import secrets
import shlex
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from roles.ip_camera import defaults
from roles.ip_camera.role import IP_CAMERA, IpCameraData
from tcd.compliance.host import UnreachableError, cached_fact
from tcd.compliance.plan import SuiteHost, SuitePlan
from tcd.onvif.client import CameraAuthError, CameraError, Stream, session
from tcd.onvif.forward import ForwardError, Gateway, forwarded
from tcd.onvif.secrets import CameraSecret, CameraVault, vault_password

PROBE_TIMEOUT = 30
# Cameras are read one after the other (hosts are read in threads): onvif-zeep-async keeps
# asyncio objects at module level (the lock around its WSDL cache), and two event loops in two
# threads waiting on one of them hung until our timeout.
ONE_AT_A_TIME = threading.Lock()
SHM = Path("/dev/shm")  # memory, not disk, for the moment the stream URL is written down


@dataclass
class Login:
    """How the camera answered one login: accepted, refused, or refused as locked out."""

    user: str
    accepted: bool
    locked: bool = False


@dataclass
class Settings:
    """What the camera says and does for the operator account (the vault's password)."""

    ntp_from_dhcp: bool
    ntp_servers: list[str]
    clock_kind: str
    timezone: str
    clock_offset: float  # the camera's UTC time minus the controller's, seconds
    main_stream: Stream
    protocols: dict[str, bool]
    stream: dict[str, Any] | Exception  # ffprobe's first video stream with the operator account
    http_port_open: bool  # camera:80 as the gateway sees it
    lockout: "LockoutProbe | CameraError"  # the error when the vault has no probe password


@dataclass
class LockoutProbe:
    """The probe account's logins: the right password (the account must work and its failure
    count start at zero), then as many wrong ones as the policy allows, then the right one."""

    first: Login
    wrong: list[Login]
    last: Login | None  # None when the first login did not get in


@dataclass
class Reading:
    factory_logins: list[Login]
    settings: Settings | CameraError  # the error when the operator's password is refused

    def logged_in(self) -> Settings:
        """The settings; the reason they could not be read fails the check that asks."""
        if isinstance(self.settings, CameraError):
            raise self.settings
        return self.settings


@dataclass
class CheckedCamera:
    """One IP camera under check."""

    name: str
    data: IpCameraData
    address: str
    gateway: Gateway
    secret: CameraSecret
    cache: dict[str, Any] = field(default_factory=dict)

    def reading(self) -> Reading:
        return cached_fact(self.cache, "reading", self._read)

    def _read(self) -> Reading:
        ports = [defaults.ONVIF_PORT, defaults.RTSP_PORT]
        try:
            with ONE_AT_A_TIME, forwarded(self.gateway, self.address, ports) as local:
                return asyncio.run(self._read_onvif(local))
        except ForwardError as exc:
            raise UnreachableError(str(exc)) from None

    async def _read_onvif(self, local: dict[int, int]) -> Reading:
        port = local[defaults.ONVIF_PORT]
        factory = [await _login(port, defaults.ADMIN_USER, p) for p in defaults.FACTORY_PASSWORDS]
        # the right password next: it resets the failures the factory tries counted on admin,
        # so back-to-back runs never add up to a lockout of admin
        await _login(port, defaults.ADMIN_USER, self.secret.admin_password.get_secret_value())
        try:
            settings: Settings | CameraError = await self._read_settings(local)
        except CameraError as exc:
            settings = exc
        return Reading(factory, settings)

    async def _read_settings(self, local: dict[int, int]) -> Settings:
        port = local[defaults.ONVIF_PORT]
        operator = self.secret.operator_password.get_secret_value()
        # read as the operator, as the reception software does (ONVIF's read classes are open
        # to the User level)
        async with session(port, defaults.OPERATOR_USER, operator) as device:
            from_dhcp, servers = await device.ntp_servers()
            kind, zone, camera_now = await device.clock()
            offset = (camera_now - dt.datetime.now(dt.UTC)).total_seconds()
            main = await device.main_stream()
            protocols = await device.protocols()
            path = await device.stream_path()
        try:
            stream: dict[str, Any] | Exception = _ffprobe(
                defaults.OPERATOR_USER, operator, local[defaults.RTSP_PORT], path
            )
        except AssertionError as exc:
            stream = exc
        http_open = self._gateway_connects(80)
        # last: it leaves the probe's account locked for the camera's lockout time
        try:
            lockout: LockoutProbe | CameraError = await self._probe_lockout(port)
        except CameraError as exc:
            lockout = exc
        return Settings(
            ntp_from_dhcp=from_dhcp,
            ntp_servers=servers,
            clock_kind=kind,
            timezone=zone,
            clock_offset=offset,
            main_stream=main,
            protocols=protocols,
            stream=stream,
            http_port_open=http_open,
            lockout=lockout,
        )

    async def _probe_lockout(self, port: int) -> LockoutProbe:
        """The lockout proven on the probe's account. Found still locked by an earlier probe,
        the right password refused as locked is the proof, and nothing more is tried."""
        if self.secret.probe_password is None:
            raise CameraError(f"the vault has no password for {defaults.PROBE_USER!r} yet")
        user, right = defaults.PROBE_USER, self.secret.probe_password.get_secret_value()
        first = await _login(port, user, right)
        if not first.accepted:
            return LockoutProbe(first, [], None)
        wrong = secrets.token_urlsafe(12)
        tries = [await _login(port, user, wrong) for _ in range(self.data.policy.lockout_attempts)]
        return LockoutProbe(first, tries, await _login(port, user, right))

    def _gateway_connects(self, port: int) -> bool:
        """Whether a TCP connect from the gateway to the camera's `port` succeeds."""
        test = f"timeout 3 bash -c {shlex.quote(f'</dev/tcp/{self.address}/{port}')}"
        argv = ["ssh", *self.gateway.ssh_options, self.gateway.destination, test]
        answer = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        if answer.returncode == 255:
            raise UnreachableError(f"no SSH to {self.gateway.name}: {answer.stderr.strip()}")
        return answer.returncode == 0


async def _login(port: int, user: str, password: str) -> Login:
    try:
        async with session(port, user, password):
            return Login(user, True)
    except CameraAuthError as refused:
        return Login(user, False, refused.locked)


def _ffprobe(user: str, password: str, port: int, path: str) -> dict[str, Any]:
    """The stream's first video stream as ffprobe decodes it. The URL with the credentials goes
    in a concat list in a private temporary folder, never on ffprobe's command line."""
    url = f"rtsp://{user}:{password}@127.0.0.1:{port}{path}"
    memory = SHM if SHM.is_dir() else None
    with tempfile.TemporaryDirectory(prefix="tcd-rtsp-", dir=memory) as folder:
        listing = Path(folder) / "stream.ffconcat"
        listing.write_text(
            f"ffconcat version 1.0\nfile '{url}'\noption rtsp_transport tcp\n",
            encoding="utf-8",
        )
        listing.chmod(0o600)
        argv = [
            *("ffprobe", "-v", "error", "-f", "concat", "-safe", "0"),
            *("-protocol_whitelist", "file,rtsp,rtp,tcp,udp"),
            *("-select_streams", "v:0", "-count_frames", "-read_intervals", "%+#5"),
            *("-show_entries", "stream=codec_name,width,height,avg_frame_rate,nb_read_frames"),
            *("-of", "json", str(listing)),
        ]
        answer = subprocess.run(
            argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT, check=False
        )
    said = answer.stderr.replace(password, "***").strip()[:300]
    assert answer.returncode == 0, f"ffprobe could not open the stream: {said}"
    streams = json.loads(answer.stdout or "{}").get("streams") or []
    assert streams, f"ffprobe found no video stream: {said}"
    return streams[0]


def checked_camera(spec: SuiteHost, plan: SuitePlan) -> CheckedCamera:
    """The camera's target; its secrets from the vault the plan names (password from the
    environment, as for tcd rollout)."""
    access, vault_access = spec.camera, plan.camera_vault
    assert access is not None and vault_access is not None, f"{spec.name} is not a camera"
    fallback = Path(vault_access.fallback) if vault_access.fallback else None
    vault = CameraVault(Path(vault_access.path), vault_password(fallback))
    secret = vault.load().get(spec.name)
    if secret is None:
        raise CameraError(f"{spec.name} has no secrets in {vault.path} (never rolled out?)")
    return CheckedCamera(
        name=spec.name,
        data=spec.host_data.of(IP_CAMERA),
        address=access.address,
        gateway=access.gateway,
        secret=secret,
    )
