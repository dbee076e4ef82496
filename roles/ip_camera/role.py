"""roles/ip_camera: each IP camera of a site that has a gateway to reach it through."""

from roles.declaration import Reach, Reads, Role, RoleData, Subject
from tcd.model.baseline import CameraPolicy
from tcd.model.survey import CameraKind


class IpCameraData(RoleData):
    ntp_servers: tuple[str, ...]
    policy: CameraPolicy  # baseline.yml `camera:`

    @classmethod
    def build(cls, subject: Subject) -> "IpCameraData":
        inventory = subject.inventory
        return cls(
            ntp_servers=tuple(str(a) for a in inventory.province.services.ntp_servers),
            policy=inventory.baseline.camera,
        )


IP_CAMERA = Role(
    name="ip_camera",
    summary="accounts, time, main stream, HTTP and discovery off, over ONVIF",
    applies_to=lambda s: (
        s.camera is not None
        and s.camera.kind == CameraKind.IP
        and s.site_plan is not None
        and s.site_plan.gateway is not None
    ),
    data=IpCameraData,
    reads=Reads(),  # read over ONVIF and RTSP (tcd/compliance/ip_camera.py), not over SSH
    reach=Reach.ONVIF,
)
