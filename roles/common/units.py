"""systemd units the roles need: enabled as the unit files say (not as PID 1 remembers), running,
and no drop-in of anyone else's overriding the units the roles write."""

from pyinfra import host
from pyinfra.api import FactBase
from pyinfra.api.operation import OperationMeta
from pyinfra.operations import server, systemd

from roles.common.files import only_ours

# `systemctl is-enabled` answers that need nothing done: "static" units have no [Install]
# section, "alias" ones follow the unit they name
ENABLED = ("enabled", "static", "alias")


class UnitFileState(FactBase):
    """Whether `unit` is enabled, as `systemctl is-enabled` reads it from the unit files.

    pyinfra's SystemdEnabled reads `systemctl show -p UnitFileState`, PID 1's cached answer: a
    unit whose symlink was removed by hand still shows "enabled" there until the next
    daemon-reload, and would stay disabled at the next boot."""

    default = str

    def command(self, unit: str) -> str:
        return f"systemctl is-enabled {unit} 2>/dev/null || true"

    def process(self, output: list[str]) -> str:
        return output[0].strip() if output else ""


def service(name: str, unit: str, running: bool | None = True) -> OperationMeta:
    """`unit` enabled (unmasked first if someone masked it) and, unless `running` is None,
    running or stopped. Returns the running/stopped operation."""
    state = host.get_fact(UnitFileState, unit=unit) or ""
    if state not in ENABLED:
        # enable only links the unit into its targets: PID 1 needs no reload for that (a
        # changed unit file gets its own daemon-reload, before this) and each one cost a
        # host ~0.3 s of CPU. Unmask does reload: until then PID 1 would refuse to start it.
        # Nor the SysV links Debian's systemctl also writes (update-rc.d, ~0.3 s of CPU) for a
        # unit that has an init script too (auditd, node exporter): they serve a host booted
        # without systemd, and systemd ignores an init script that has a unit of its own
        commands = [f"SYSTEMCTL_SKIP_SYSV=1 systemctl enable --no-reload {unit}"]
        if state.startswith("masked"):
            commands.insert(0, f"systemctl unmask {unit}")
        server.shell(name=f"{unit} enabled (it was {state or 'unknown'})", commands=commands)
    return systemd.service(name=name, service=unit, running=running)


def own_dropins(unit: str, ours: list[str] | None = None) -> list[OperationMeta]:
    """Every drop-in of `unit` under /etc/systemd/system removed but `ours` (full paths): for a
    unit the role writes or configures, another drop-in could override what it runs or when.
    The caller reloads systemd when one was removed."""
    return only_ours(f"/etc/systemd/system/{unit}.d", ours or [])
