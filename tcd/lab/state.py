"""What a lab made, written before each step so `down` can undo a half-finished `up`."""

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from tcd.render import write_atomically


class LabHost(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    kind: str  # "host" or "hub"
    site: int | None = None
    address: str  # on the lab WAN
    netns: str
    pid: int | None = None  # of systemd-nspawn, while running
    # a hub: its office's network, simulated by a namespace behind it (lab address, CIDR)
    office_network: str | None = None


class LabCamera(BaseModel):
    """A lab ONVIF camera (tcd.lab.onvif_emulator) on its site's room LAN, behind the gateway."""

    model_config = ConfigDict(extra="forbid")
    name: str
    site: int
    address: str  # on the room LAN (lab address)
    lan: str  # the room LAN (lab CIDR)
    lan_gateway: str  # the gateway's address on it
    gateway: str  # the site's gateway host
    netns: str
    pid: int | None = None  # of the camera's process, while running


class LabState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    created: dt.datetime
    image: str
    inventory: str
    selection: list[int]
    ssh_user: str
    controller: str  # the lab address of the control node, in the controller's namespace
    inotify_instances_before: int | None = None
    cgroups: list[str] = []  # the lab's cgroup folder in each hierarchy
    address_map: dict[str, str] = {}  # field network or address -> lab one
    fast_monitoring: bool = True  # tcd.lab.addressing.fast_monitoring, decided at `lab up`
    hosts: list[LabHost] = []
    cameras: list[LabCamera] = []
    ready: bool = False

    def host(self, name: str) -> LabHost:
        for host in self.hosts:
            if host.name == name:
                return host
        known = ", ".join(h.name for h in self.hosts)
        raise KeyError(f"no lab host {name!r} (the lab has: {known})")

    def camera(self, name: str) -> LabCamera:
        for camera in self.cameras:
            if camera.name == name:
                return camera
        known = ", ".join(c.name for c in self.cameras) or "none"
        raise KeyError(f"no lab camera {name!r} (the lab has: {known})")

    def save(self, path: Path) -> None:
        write_atomically(path, self.model_dump_json(indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> "LabState | None":
        if not path.is_file():
            return None
        return cls.model_validate_json(path.read_text(encoding="utf-8"))
