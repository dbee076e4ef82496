"""What the lab camera remembers across restarts: settings.json in its state directory.

No settings.json means factory settings. The factory state is deliberately what a camera out of
the box looks like before the camera role has run: the well-known default account, a generic
hostname, no NTP server, a wrong time zone and a clock one hour off.

Passwords are stored in clear: WS-Security PasswordDigest and RTSP digest both need the clear
password on the device side. The file is mode 0600 in a lab-only state directory.
"""

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

FACTORY_USER = "admin"
FACTORY_PASSWORD = "12345"
SETTINGS_FILE = "settings.json"

USER_LEVELS = ("Administrator", "Operator", "User")


@dataclass
class User:
    username: str
    password: str
    level: str  # one of USER_LEVELS


@dataclass
class NetworkHost:
    type: str  # IPv4 | IPv6 | DNS
    address: str


@dataclass
class Protocol:
    enabled: bool
    port: int


@dataclass
class VideoEncoder:
    token: str = "VideoEncoder_1"
    name: str = "MainStream"
    encoding: str = "H264"
    width: int = 1280
    height: int = 720
    framerate: int = 15
    bitrate_kbps: int = 1024
    gov_length: int = 50
    quality: float = 4.0
    h264_profile: str = "Main"


@dataclass
class Profile:
    token: str = "Profile_1"
    name: str = "MainProfile"
    encoder_token: str = "VideoEncoder_1"


def _factory_users() -> list[User]:
    return [User(FACTORY_USER, FACTORY_PASSWORD, "Administrator")]


def _factory_protocols() -> dict[str, Protocol]:
    return {
        "HTTP": Protocol(True, 80),
        "HTTPS": Protocol(True, 443),
        "RTSP": Protocol(True, 554),
    }


@dataclass
class CameraSettings:
    users: list[User] = field(default_factory=_factory_users)
    hostname: str = "IPC-FACTORY"
    hostname_from_dhcp: bool = False
    ntp_from_dhcp: bool = False
    ntp_servers: list[NetworkHost] = field(default_factory=list)
    date_time_type: str = "Manual"  # NTP | Manual
    daylight_savings: bool = False
    timezone: str = "CST-8"
    # device clock = system clock + offset; a fresh camera is an hour behind
    clock_offset_s: float = -3600.0
    protocols: dict[str, Protocol] = field(default_factory=_factory_protocols)
    discovery_mode: str = "Discoverable"
    profiles: list[Profile] = field(default_factory=lambda: [Profile()])
    encoders: list[VideoEncoder] = field(default_factory=lambda: [VideoEncoder()])

    def user(self, username: str) -> User | None:
        return next((u for u in self.users if u.username == username), None)

    def encoder(self, token: str) -> VideoEncoder | None:
        return next((e for e in self.encoders if e.token == token), None)

    def profile(self, token: str) -> Profile | None:
        return next((p for p in self.profiles if p.token == token), None)

    @classmethod
    def from_json(cls, data: dict) -> "CameraSettings":
        factory = cls()
        return cls(
            users=[User(**u) for u in data.get("users", [asdict(u) for u in factory.users])],
            hostname=data.get("hostname", factory.hostname),
            hostname_from_dhcp=data.get("hostname_from_dhcp", factory.hostname_from_dhcp),
            ntp_from_dhcp=data.get("ntp_from_dhcp", factory.ntp_from_dhcp),
            ntp_servers=[NetworkHost(**h) for h in data.get("ntp_servers", [])],
            date_time_type=data.get("date_time_type", factory.date_time_type),
            daylight_savings=data.get("daylight_savings", factory.daylight_savings),
            timezone=data.get("timezone", factory.timezone),
            clock_offset_s=data.get("clock_offset_s", factory.clock_offset_s),
            protocols={
                name: Protocol(**p)
                for name, p in data.get(
                    "protocols", {k: asdict(v) for k, v in factory.protocols.items()}
                ).items()
            },
            discovery_mode=data.get("discovery_mode", factory.discovery_mode),
            profiles=[Profile(**p) for p in data.get("profiles", [asdict(Profile())])],
            encoders=[VideoEncoder(**e) for e in data.get("encoders", [asdict(VideoEncoder())])],
        )


def load(state_dir: Path) -> CameraSettings:
    path = state_dir / SETTINGS_FILE
    if not path.exists():
        return CameraSettings()
    return CameraSettings.from_json(json.loads(path.read_text(encoding="utf-8")))


def save(state_dir: Path, settings: CameraSettings) -> None:
    """Write to a temporary file and rename, so a crash never leaves half a settings file."""
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=state_dir, prefix=".settings-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(asdict(settings), out, indent=2, sort_keys=True)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        Path(tmp).replace(state_dir / SETTINGS_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
