"""The suite's input, written by `tcd verify` (tcd.verify.plan) and read back here: the hosts
and cameras to check, each with its host data and how to reach it. No secret is in it: the suite
opens the camera vault itself, with the password from the same environment."""

from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict

from tcd.onvif.forward import Gateway
from tcd.planning.hostdata import HostData


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CameraAccess(_Part):
    address: str  # on the room LAN
    gateway: Gateway  # the site's gateway, whose sshd forwards to the camera


class SuiteHost(_Part):
    name: str
    data: dict[str, Any]  # HostData.as_json()
    ssh_host: str | None = None  # what `ssh` is given (SSH hosts)
    camera: CameraAccess | None = None  # how an IP camera is reached

    @cached_property
    def host_data(self) -> HostData:
        return HostData.from_json(self.data)


class VaultAccess(_Part):
    path: str
    fallback: str | None  # where a lab keeps its vault password, without the environment's


class SuitePlan(_Part):
    target: str
    ssh_config: str | None  # None: the operator's own SSH setup
    hosts: tuple[SuiteHost, ...]
    camera_vault: VaultAccess | None = None
    connect_timeout: int = 10

    def host(self, name: str) -> SuiteHost:
        return next(h for h in self.hosts if h.name == name)
