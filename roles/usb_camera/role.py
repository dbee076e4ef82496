"""roles/usb_camera: the reception PC a USB camera is plugged into (`attached_to`)."""

from pydantic import BaseModel, ConfigDict

from roles.declaration import Reads, Role, RoleData, Subject
from roles.usb_camera import defaults
from tcd.model.survey import CameraKind


class UsbCamera(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    model: str


class UsbCameraData(RoleData):
    cameras: tuple[UsbCamera, ...]

    @classmethod
    def build(cls, subject: Subject) -> "UsbCameraData":
        return cls(cameras=tuple(UsbCamera(name=c.name, model=c.model) for c in _plugged(subject)))


def _plugged(subject: Subject) -> list:
    if subject.site is None or subject.host is None:
        return []
    return [
        c
        for c in subject.site.cameras
        if c.kind is CameraKind.USB and c.attached_to == subject.host.name
    ]


USB_CAMERA = Role(
    name="usb_camera",
    summary="a udev rule: stable name, the kiosk's group, the room's settings at plug-in",
    applies_to=lambda s: bool(_plugged(s)),
    data=UsbCameraData,
    packages=tuple(defaults.PACKAGES),
    reads=Reads(
        sections=("kiosk_groups", "packages"),
        packages=tuple(defaults.PACKAGES),
        files=(defaults.UDEV_RULES,),
    ),
)
