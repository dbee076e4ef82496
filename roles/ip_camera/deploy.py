"""IP cameras, over ONVIF from the controller (a camera runs no SSH): the factory password
replaced by the vault's, a least-privilege operator account, the province's NTP and time zone,
the hostname, the baseline's main stream, plain HTTP and discovery off.

Like the pyinfra roles, every step reads the camera first and changes only what differs, so an
unchanged camera reports no change; with `dry`, nothing is written and the changes are what
would be done."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from roles.ip_camera import defaults
from tcd.model.baseline import CameraPolicy
from tcd.onvif.client import CameraAuthError, CameraError, Device, Stream, session


@dataclass(frozen=True)
class IpCamera:
    """What the role is given for one camera (built by tcd.rollout.cameras)."""

    name: str
    port: int  # the camera's ONVIF (HTTPS) port, forwarded to loopback
    ntp_servers: list[str]
    policy: CameraPolicy
    admin_password: str = field(repr=False)
    operator_password: str = field(repr=False)
    probe_password: str = field(repr=False)


async def configure_ip_camera(camera: IpCamera, dry: bool = False) -> list[str]:
    """The changes made (or, with `dry`, that would be made), by name."""
    changes: list[str] = []
    admin, password = defaults.ADMIN_USER, camera.admin_password
    # admin locked out (someone guessing its password) is waited out once: the lockout probe
    # of `tcd verify` locks an account of its own, never admin
    wait = camera.policy.lockout_window_s + 1
    try:
        async with session(camera.port, admin, password, locked_wait=wait) as device:
            await _settle(device, camera, dry, changes)
    except CameraAuthError as refused:
        if refused.locked:
            raise
        # the vault's password is refused: a new or reset camera still has its factory one
        if await _from_factory(camera, dry, changes):
            return changes  # dry: what the factory session read is all there is to say
        async with session(camera.port, admin, password) as device:
            await _settle(device, camera, dry, changes)
    await _set_time(camera, dry, changes)
    return changes


async def _from_factory(camera: IpCamera, dry: bool, changes: list[str]) -> bool:
    """Log in with a factory password and replace it with the vault's (dry: only read what
    would change, and say so by returning True)."""
    for factory in defaults.FACTORY_PASSWORDS:
        try:
            async with session(camera.port, defaults.ADMIN_USER, factory) as device:
                changes.append("admin password (factory password replaced)")
                if dry:
                    await _settle(device, camera, dry, changes)
                    await _ntp(device, camera, dry, changes)
                    await _clock(device, camera, dry, changes)
                    return True
                await device.set_user(defaults.ADMIN_USER, camera.admin_password, "Administrator")
                return False
        except CameraAuthError as refused:
            if refused.locked:
                raise
    raise CameraError(
        "the camera refuses both the vault's admin password and its factory passwords "
        "(set by hand? a lab camera: tcd lab reset-camera NAME)"
    )


async def _settle(device: Device, camera: IpCamera, dry: bool, changes: list[str]) -> None:
    policy = camera.policy

    async def step(what: str, needed: bool, action: Callable[[], Awaitable[None]]) -> None:
        if needed:
            changes.append(what)
            if not dry:
                await action()

    users = await device.users()
    for user, level, password in _accounts(camera):
        # awaited in this pass of the loop: the lambdas never outlive their loop variables
        if user not in users:
            await step(f"account {user}", True,
                       lambda: device.create_user(user, password, level))  # noqa: B023  # fmt: skip
        else:
            await step(f"account {user} (level, password)",
                       users[user] != level or not await _logs_in(camera, user, password),
                       lambda: device.set_user(user, password, level))  # noqa: B023  # fmt: skip
    # no account but ours: whatever else the camera came with or someone added
    extra = sorted(set(users) - {defaults.ADMIN_USER} - {user for user, _, _ in _accounts(camera)})
    await step(f"accounts removed: {', '.join(extra)}", bool(extra),
               lambda: device.delete_users(extra))  # fmt: skip

    await step("hostname", await device.hostname() != camera.name,
               lambda: device.set_hostname(camera.name))  # fmt: skip

    wanted = Stream(**policy.main_stream.model_dump())
    await step("main stream", await device.main_stream() != wanted,
               lambda: device.set_main_stream(wanted))  # fmt: skip
    http = (await device.protocols()).get("HTTP", False)
    await step(f"plain HTTP {'on' if policy.plain_http else 'off'}", http != policy.plain_http,
               lambda: device.set_protocol("HTTP", policy.plain_http))  # fmt: skip
    await step(f"discovery {'on' if policy.discovery else 'off'}",
               await device.discoverable() != policy.discovery,
               lambda: device.set_discoverable(policy.discovery))  # fmt: skip


async def _set_time(camera: IpCamera, dry: bool, changes: list[str]) -> None:
    """NTP and time zone last, each in a session of its own: a camera that starts taking its
    time from NTP jumps to the right time, and a session signs its requests for the clock the
    camera had when it began (a request signed for the old clock is refused)."""
    for step in (_ntp, _clock):
        async with session(camera.port, defaults.ADMIN_USER, camera.admin_password) as device:
            await step(device, camera, dry, changes)


async def _ntp(device: Device, camera: IpCamera, dry: bool, changes: list[str]) -> None:
    from_dhcp, servers = await device.ntp_servers()
    if from_dhcp or servers != camera.ntp_servers:
        changes.append("NTP servers")
        if not dry:
            await device.set_ntp(camera.ntp_servers)


async def _clock(device: Device, camera: IpCamera, dry: bool, changes: list[str]) -> None:
    kind, zone, _ = await device.clock()
    if kind != "NTP" or zone != camera.policy.timezone:
        changes.append("time from NTP, time zone")
        if not dry:
            await device.set_clock_ntp(camera.policy.timezone)


def _accounts(camera: IpCamera) -> list[tuple[str, str, str]]:
    """(user, ONVIF level, password) of the accounts the role keeps besides admin."""
    return [
        (defaults.OPERATOR_USER, defaults.OPERATOR_LEVEL, camera.operator_password),
        (defaults.PROBE_USER, defaults.PROBE_LEVEL, camera.probe_password),
    ]


async def _logs_in(camera: IpCamera, user: str, password: str) -> bool:
    """Whether `user` logs in with the vault's password (a password cannot be read back).
    An account locked out counts as logging in: the lockout probe of a verify just before
    leaves the probe's account so, and its password cannot be told until the lock ends (a
    wrong one is then set right by the next rollout)."""
    try:
        async with session(camera.port, user, password):
            return True
    except CameraAuthError as refused:
        return refused.locked
