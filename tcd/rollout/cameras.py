"""The rollout's last step: the IP cameras of the selected sites (roles/ip_camera), each
reached through an SSH port forward on its site's gateway, after the gateway's own deploy
opened that forward (sshd PermitOpen) and the tunnels are up.

Cameras are configured side by side, up to AT_ONCE at a time (each has an ssh forward of its
own while it is): a camera's ONVIF exchange is mostly waiting for its answers. A failure on one
does not stop the others."""

import asyncio
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from roles.ip_camera import defaults
from roles.ip_camera.role import IP_CAMERA, IpCameraData
from tcd.model.site import Site
from tcd.onvif.forward import ForwardError, forwarded
from tcd.onvif.secrets import CameraSecret, CameraVault
from tcd.planning import Plan
from tcd.planning.addresses import CameraPlan, HostPlan
from tcd.planning.hostdata import HostData
from tcd.target import Target

AT_ONCE = 8


@dataclass(frozen=True)
class SiteCamera:
    site: int
    camera: CameraPlan
    gateway: HostPlan
    data: IpCameraData


def ip_cameras(plan: Plan, data: dict[str, HostData], sites: list[Site]) -> list[SiteCamera]:
    """The cameras of `sites` that get the IP camera role (each has a gateway to reach it)."""
    found = []
    for site in sites:
        site_plan = plan.sites[site.code]
        for camera in site_plan.cameras:
            entry = data.get(camera.name)
            if entry is not None and entry.has(IP_CAMERA) and site_plan.gateway is not None:
                found.append(SiteCamera(site.code, camera, site_plan.gateway, entry.of(IP_CAMERA)))
    return found


def configure_cameras(
    target: Target,
    vault: CameraVault,
    cameras: list[SiteCamera],
    *,
    dry: bool,
    advance: Callable[[], None] = lambda: None,
) -> dict[str, tuple[list[str], list[str]]]:
    """camera name -> (changes, errors). A camera without secrets gets new ones (saved to the
    vault first, so a password set on a camera is never one the vault does not hold); a dry
    run only tells that it would."""
    # the ONVIF client (zeep, lxml, aiohttp: ~20 MB) comes in only now, after the hosts'
    # phases, whose pyinfra states are the rollout's peak of memory
    from roles.ip_camera.deploy import IpCamera, configure_ip_camera  # noqa: PLC0415
    from tcd.onvif.client import CameraError  # noqa: PLC0415

    names = [c.camera.name for c in cameras]
    entries = vault.load() if dry else vault.ensure(names)

    async def configure(item: SiteCamera, port: int) -> tuple[list[str], list[str]]:
        # dry: what is missing is generated and never saved
        secret = (entries.get(item.camera.name) or CameraSecret.generate()).completed()
        assert secret.probe_password is not None  # completed() above
        camera = IpCamera(
            name=item.camera.name,
            port=port,
            ntp_servers=list(item.data.ntp_servers),
            policy=item.data.policy,
            admin_password=secret.admin_password.get_secret_value(),
            operator_password=secret.operator_password.get_secret_value(),
            probe_password=secret.probe_password.get_secret_value(),
        )
        try:
            return await configure_ip_camera(camera, dry), []
        except CameraError as exc:
            return [], [str(exc)]
        finally:
            advance()

    async def together(ready: list[tuple[SiteCamera, int]]) -> list[tuple[list[str], list[str]]]:
        return await asyncio.gather(*(configure(item, port) for item, port in ready))

    results: dict[str, tuple[list[str], list[str]]] = {}
    for start in range(0, len(cameras), AT_ONCE):
        ready: list[tuple[SiteCamera, int]] = []
        with ExitStack() as forwards:
            for item in cameras[start : start + AT_ONCE]:
                gateway, address = target.gateway(item.gateway), str(item.camera.address)
                try:
                    ports = forwards.enter_context(
                        forwarded(gateway, address, [defaults.ONVIF_PORT])
                    )
                except ForwardError as exc:
                    # dry: a gateway not rolled out yet forwards to nothing, the whole camera
                    # is to do
                    whole = ["every setting (its gateway forwards to it after its own rollout)"]
                    results[item.camera.name] = (whole, []) if dry else ([], [str(exc)])
                    advance()
                    continue
                ready.append((item, ports[defaults.ONVIF_PORT]))
            done = asyncio.run(together(ready)) if ready else []
        for (item, _), result in zip(ready, done, strict=True):
            results[item.camera.name] = result
    return results
