"""roles/kiosk: every reception PC."""

from roles.declaration import Reads, Role, RoleData, Subject
from roles.kiosk import defaults
from tcd.model.site import HostRole


class KioskData(RoleData):
    url: str  # the reception platform
    url_origin: str  # the only origin the browser may open and give the camera to
    office_days: tuple[str, ...]
    office_start: str
    office_end: str

    @classmethod
    def build(cls, subject: Subject) -> "KioskData":
        services = subject.inventory.province.services
        url = services.reception_platform_url
        return cls(
            url=str(url),
            url_origin=f"{url.scheme}://{url.host}",
            office_days=tuple(services.office_hours.days),
            office_start=services.office_hours.start,
            office_end=services.office_hours.end,
        )

    def calendars(self) -> tuple[str, str]:
        """The display timers' calendars: on when the office opens, off when it closes."""
        days = ",".join(self.office_days)
        return (f"{days} *-*-* {self.office_start}:00", f"{days} *-*-* {self.office_end}:00")


KIOSK = Role(
    name="kiosk",
    summary="the kiosk account and its browser session on the reception platform",
    applies_to=lambda s: s.host is not None and s.host.role is HostRole.RECEPTION_PC,
    data=KioskData,
    packages=tuple(defaults.PACKAGES),
    reads=Reads(
        sections=(
            "kiosk_password",
            "kiosk_groups",
            "passwd",
            "sudo",
            "chromium_policies",
            "calendars",
        ),
        units=("tcd-kiosk.service", *defaults.DISPLAY_TIMERS),
        files=(defaults.CHROMIUM_POLICY,),
    ),
)
