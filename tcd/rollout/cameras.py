"""The rollout's last step: the IP cameras of the selected sites (roles/camera over ONVIF), each
reached through an SSH port forward on its site's gateway, after the gateway's own deploy
opened that forward (sshd PermitOpen) and the tunnels are up.

Cameras go one after the other: ONVIF exchanges are short and there are few IP cameras (the
inventory has one per site at most); a failure on one does not stop the others."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from roles.camera import defaults
from roles.camera.ip_camera import IpCamera, configure_ip_camera
from tcd.camera.forward import ForwardError, forwarded
from tcd.camera.onvif_device import CameraError
from tcd.camera.secrets import CameraSecret, CameraVault
from tcd.model.site import Site
from tcd.model.survey import CameraKind
from tcd.planning import Plan
from tcd.planning.addresses import CameraPlan, HostPlan
from tcd.rollout.target import Target


@dataclass(frozen=True)
class SiteCamera:
    site: int
    camera: CameraPlan
    gateway: HostPlan


def ip_cameras(plan: Plan, sites: list[Site]) -> list[SiteCamera]:
    """The IP cameras of `sites` that have a gateway to reach them through."""
    found = []
    for site in sites:
        site_plan = plan.sites[site.code]
        for camera in site_plan.cameras:
            if camera.kind == CameraKind.IP and site_plan.gateway is not None:
                found.append(SiteCamera(site.code, camera, site_plan.gateway))
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
    names = [c.camera.name for c in cameras]
    entries = vault.load() if dry else vault.ensure(names)
    inventory = target.inventory
    ntp = [str(address) for address in inventory.province.services.ntp_servers]
    results: dict[str, tuple[list[str], list[str]]] = {}
    for item in cameras:
        secret = entries.get(item.camera.name) or CameraSecret.generate()  # dry: never saved
        changes: list[str] = []
        errors: list[str] = []
        try:
            ports = [defaults.ONVIF_PORT]
            with forwarded(target.gateway(item.gateway), str(item.camera.address), ports) as fw:
                camera = IpCamera(
                    name=item.camera.name,
                    port=fw[defaults.ONVIF_PORT],
                    ntp_servers=ntp,
                    policy=inventory.baseline.camera,
                    admin_password=secret.admin_password.get_secret_value(),
                    operator_password=secret.operator_password.get_secret_value(),
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
