"""The deploys `tcd rollout` and deploys/*.py run, composed from the roles by host data."""

from pyinfra import host
from pyinfra.api import deploy

from roles.base import base
from roles.camera.usb_camera import usb_camera
from roles.reception_pc import reception_pc
from roles.vpn_hub import vpn_hub, vpn_hub_keys
from roles.vpn_spoke import vpn_spoke


@deploy("Site host")
def site() -> None:
    """A site's host: base, plus the reception PC, VPN gateway and USB camera roles it carries."""
    roles = host.data.tcd_roles
    base()
    if "reception_pc" in roles:
        reception_pc()
    if "vpn_spoke" in roles:
        vpn_spoke()
    if "usb_camera" in roles:
        usb_camera()


@deploy("Hub base and keys")
def hub_base() -> None:
    """Before the sites: a hub serves the fleet's time (base) and holds its key from the start,
    so a site's first chrony poll is answered and its tunnel config names the hub's key."""
    base()
    vpn_hub_keys()


@deploy("Hub peers")
def hub_peers() -> None:
    """After the sites: one peer per deployed site."""
    vpn_hub()


@deploy("Hub")
def hub() -> None:
    """Everything at once, for the plain pyinfra CLI (deploys/hubs.py)."""
    hub_base()
    hub_peers()
