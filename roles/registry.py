"""Every role, in the order a host's roles are deployed. A role is added here and in its own
folder (roles/<name>/: role.py, deploy.py, defaults.py), and its controls in baseline.yml; every
other list of roles is derived from this one."""

from roles.base.role import BASE
from roles.declaration import Reach, Role, Subject
from roles.ip_camera.role import IP_CAMERA
from roles.kiosk.role import KIOSK
from roles.monitoring_agent.role import MONITORING_AGENT
from roles.monitoring_hub.role import MONITORING_HUB
from roles.usb_camera.role import USB_CAMERA
from roles.vpn_hub.role import VPN_HUB
from roles.vpn_spoke.role import VPN_SPOKE

# the agent after the spoke: it listens on the tunnels' addresses; monitoring after the hub's
# peers: it scrapes through them
ROLES: tuple[Role, ...] = (
    *(BASE, KIOSK, VPN_SPOKE, USB_CAMERA, MONITORING_AGENT, VPN_HUB, MONITORING_HUB, IP_CAMERA),
)
BY_NAME: dict[str, Role] = {role.name: role for role in ROLES}
if len(BY_NAME) != len(ROLES):  # checked at import: two roles under one name cannot deploy
    raise RuntimeError("two roles share a name in roles/registry.py")


def role(name: str) -> Role:
    """The registered role `name`; KeyError names the known ones."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no role {name!r} (registered: {', '.join(BY_NAME)})") from None


def roles_of(subject: Subject) -> tuple[Role, ...]:
    """The roles `subject` gets, in deploy order."""
    return tuple(r for r in ROLES if r.applies_to(subject))


def image_packages() -> tuple[str, ...]:
    """Everything the SSH roles install: a lab host has no internet, its image holds them."""
    return tuple(dict.fromkeys(p for r in ROLES if r.reach is Reach.SSH for p in r.packages))
