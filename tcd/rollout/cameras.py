"""The rollout's last step: the IP cameras of the selected sites (roles/ip_camera), each
reached through an SSH port forward on its site's gateway, after the gateway's own deploy
opened that forward (sshd PermitOpen) and the tunnels are up.

Cameras go one after the other: ONVIF exchanges are short and there are few IP cameras (the
inventory has one per site at most); a failure on one does not stop the others."""

import asyncio
from collections.abc import Callable
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
    results: dict[str, tuple[list[str], list[str]]] = {}
    for item in cameras:
        # dry: what is missing is generated and never saved
        secret = (entries.get(item.camera.name) or CameraSecret.generate()).completed()
        assert secret.probe_password is not None  # completed() above
        changes: list[str] = []
        errors: list[str] = []
        try:
            ports = [defaults.ONVIF_PORT]
            with forwarded(target.gateway(item.gateway), str(item.camera.address), ports) as fw:
                camera = IpCamera(
                    name=item.camera.name,
                    port=fw[defaults.ONVIF_PORT],
                    ntp_servers=list(item.data.ntp_servers),
                    policy=item.data.policy,
                    admin_password=secret.admin_password.get_secret_value(),
                    operator_password=secret.operator_password.get_secret_value(),
                    probe_password=secret.probe_password.get_secret_value(),
                )
                changes = asyncio.run(configure_ip_camera(camera, dry))
        except ForwardError as exc:
            if dry:  # a gateway not rolled out yet forwards to nothing: the whole camera is to do
                changes = ["every setting (its gateway forwards to it after its own rollout)"]
            else:
                errors.append(str(exc))
        except CameraError as exc:
            errors.append(str(exc))
        results[item.camera.name] = (changes, errors)
        advance()
    return results
