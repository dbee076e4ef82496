"""One host under check (`CheckedHost`): its testinfra connection (root through sudo), what the
inventory expects of it (its roles' host data), what its roles' checks read (collect.sh, from
each role's declared `Reads`), and a per-host cache so each fact is read once however many
controls use it."""

import contextlib
import functools
import operator
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import testinfra
from testinfra.host import Host

from roles.base import defaults as base_defaults
from roles.base.role import BASE
from roles.declaration import Reads, Role, RoleData
from roles.kiosk.defaults import KIOSK_USER
from roles.kiosk.role import KIOSK
from roles.monitoring_agent.role import MONITORING_AGENT
from roles.monitoring_hub.role import MONITORING_HUB
from roles.registry import role
from roles.vpn_spoke.role import VPN_SPOKE
from tcd.compliance.plan import SuiteHost, SuitePlan
from tcd.planning.hostdata import HostData

T = TypeVar("T")
D = TypeVar("D", bound=RoleData)
HERE = Path(__file__).parent

# Field hosts: reuse one SSH connection per host for all its checks, as the lab's ssh_config does.
FIELD_MULTIPLEX = "-o ControlMaster=auto -o ControlPersist=60s -o ControlPath=/tmp/tcd-cm/field-%C"


class UnreachableError(Exception):
    """The host did not answer over SSH: its checks are 'unreachable', not failed or skipped."""


def cached_fact(cache: dict[str, Any], key: str, read: Callable[[], T]) -> T:
    """`read()` once per host; a failure is kept too, and raised to every check that asks."""
    if key not in cache:
        try:
            cache[key] = read()
        except Exception as exc:  # kept, and raised to each check that asks
            cache[key] = exc
    found = cache[key]
    if isinstance(found, Exception):
        raise found
    return found


def reads(data: HostData) -> Reads:
    """What the host's roles need read, together, each once, in the registry's order."""
    return functools.reduce(operator.or_, (role(name).reads for name in data.facts.roles), Reads())


def script_command(name: str, *args: str, **env: str) -> str:
    """The command line that runs one of this folder's shell scripts with args and env."""
    text = (HERE / name).read_text(encoding="utf-8")
    assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    return f"{assignments} sh -c {shlex.quote(text)} {name} {shlex.join(args)}"


@dataclass
class CheckedHost:
    name: str
    data: HostData  # the host data its roles were deployed with (tcd.planning.hostdata)
    ssh_host: str
    ssh_config: str | None
    host: Host
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def site(self) -> int | None:
        return self.data.facts.site

    def of(self, wanted: Role[D]) -> D:
        """The host data of one of its roles."""
        return self.data.of(wanted)

    def run(self, command: str) -> str:
        """stdout of a command that must succeed (as root); its failure fails the check."""
        result = self.host.run(command)
        assert result.rc == 0, f"`{command}` exited {result.rc}: {result.stderr.strip()[:300]}"
        return result.stdout

    def script(self, name: str, *args: str, **env: str) -> str:
        """Run one of this folder's shell scripts on the host (as root) with args and env."""
        return self.run(script_command(name, *args, **env))

    def snapshot(self) -> dict[str, str]:
        """The host's state as collect.sh reads it for its roles, by section; read once."""

        def read() -> dict[str, str]:
            output = self.script("collect.sh", *self.reads().sections, **self.collect_env())
            sections = output.split("\n@@@ ")[1:]
            return {name: body for name, _, body in (p.partition("\n") for p in sections)}

        return self.fact("snapshot", read)

    def collect_env(self) -> dict[str, str]:
        """collect.sh's environment for this host: what its roles read and need to know."""
        wanted = self.reads()
        return {
            "KIOSK": KIOSK_USER,
            "UNITS": " ".join(wanted.units),
            "PACKAGES": " ".join(wanted.packages),
            "FILES": " ".join(wanted.files),
            **self._environment(),
        }

    def _environment(self) -> dict[str, str]:
        """What collect.sh needs to know of this host's roles: the admin group (whose sshd
        settings it reads), the kernel settings, where the monitoring must answer (to ask it
        there), what the tunnels must reach, the display timers' calendars."""
        found = {}
        if self.data.has(BASE):  # whose sshd settings (its Match block) read_sshd_admin shows
            base = self.of(BASE)
            found["ADMIN_GROUP"] = base.admin_group
            found["SYSCTL"] = " ".join(base.sysctl | base.sysctl_net | base_defaults.SYSCTL_KERNEL)
            # what read_storage_modules asks the module loader
            found["STORAGE_MODULES"] = " ".join(base_defaults.STORAGE_MODULES)
        if self.data.has(MONITORING_AGENT):
            found["NODE_EXPORTER"] = self.of(MONITORING_AGENT).listen[0]
        if self.data.has(MONITORING_HUB):
            found["PROMETHEUS"] = self.of(MONITORING_HUB).listen
        if self.data.has(VPN_SPOKE):  # each hub's tunnel address and its office's probe address
            tunnels = self.of(VPN_SPOKE).tunnels
            found["REACH"] = " ".join(a for t in tunnels for a in (t.hub_address, t.office_probe))
        if self.data.has(KIOSK):  # what read_calendars has systemd normalise
            found["CALENDARS"] = "\n".join(self.of(KIOSK).calendars())
        return found

    def section(self, name: str) -> str:
        """A section of the snapshot; one no role of the host declared is a bug of the suite."""
        found = self.snapshot()
        if name not in found:
            raise KeyError(f"collect.sh read no section {name!r}: no role of {self.name} reads it")
        return found[name]

    def reads(self) -> Reads:
        """What its roles declare they read, together (computed once)."""
        return self.fact("reads", lambda: reads(self.data))

    def file(self, path: str) -> str | None:
        """A file a role declared, as read in the snapshot; None if the host has none."""
        if path not in self.reads().files:
            raise KeyError(f"no role of {self.name} declares it reads {path}")
        return self.snapshot().get(f"file {path}")

    def lines(self, name: str) -> list[str]:
        return [line for line in self.section(name).splitlines() if line.strip()]

    def in_container(self) -> bool:
        """A lab host: a container sharing the machine's kernel (`systemd-detect-virt`), whose
        kernel-wide state is the machine's (docs/hardening.md)."""
        return self.section("virt").strip() not in ("", "none")

    def units(self) -> dict[str, dict[str, str]]:
        """`systemctl show` of the units the host's roles read, with whether each is enabled
        and its drop-ins on disk, by unit name (collect.sh gives each unit two blocks)."""

        def parse() -> dict[str, dict[str, str]]:
            found: dict[str, dict[str, str]] = {}
            for block in self.section("units").strip().split("\n\n"):
                fields = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
                found.setdefault(fields.get("Id", ""), {}).update(fields)
            return found

        return self.fact("units", parse)

    def fact(self, key: str, read: Callable[[], T]) -> T:
        return cached_fact(self.cache, key, read)


def warm(target: CheckedHost, probes: list[Callable[[CheckedHost], object]]) -> None:
    """Read everything the host's checks will ask for, so the checks themselves only judge:
    `tcd verify` runs this for all hosts at once, in threads, before the first check. `probes`
    are the live reads of its roles' check modules (their `prefetch`), beyond the snapshot."""
    for read in [CheckedHost.snapshot, *probes]:
        with contextlib.suppress(Exception):  # kept by fact(): the checks report it
            read(target)


_CONNECTED: dict[str, CheckedHost | Exception] = {}


def connect(spec: SuiteHost, plan: SuitePlan) -> CheckedHost:
    """The host's Target, reached once per worker; an unreachable host raises every time
    without waiting for SSH again."""
    name = spec.name
    if name not in _CONNECTED:
        ssh_config = plan.ssh_config
        options: dict[str, Any] = {"sudo": True, "timeout": plan.connect_timeout}
        if ssh_config:
            options |= {"ssh_config": ssh_config, "controlpersist": 0}  # its own multiplexing
        else:
            options |= {"ssh_extra_args": FIELD_MULTIPLEX}
        host = testinfra.get_host(f"ssh://{spec.ssh_host}", **options)
        try:
            result = host.run("true")
        except RuntimeError as exc:  # testinfra's ssh backend: ssh itself failed (exit 255)
            output = getattr(exc.args[0], "stderr", "") if exc.args else ""
            reason = str(output).strip()[:300] or str(exc)
            where = spec.ssh_host
            _CONNECTED[name] = UnreachableError(f"no SSH connection to {where}: {reason}")
        else:
            # reachable, but the admin cannot become root: every check fails, saying why
            _CONNECTED[name] = AssertionError(f"sudo failed: {result.stderr.strip()[:300]}")
            if result.rc == 0:
                _CONNECTED[name] = CheckedHost(
                    name=name,
                    data=spec.host_data,
                    ssh_host=spec.ssh_host,
                    ssh_config=ssh_config,
                    host=host,
                )
    found = _CONNECTED[name]
    if isinstance(found, Exception):
        raise found
    return found
