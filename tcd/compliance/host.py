"""One host under check (`CheckedHost`): its testinfra connection (root through sudo), what the
inventory expects of it (its roles' host data), what its roles' checks read (collect.sh, from
each role's declared `Reads`), and a per-host cache so each fact is read once however many
controls use it."""

import atexit
import contextlib
import functools
import operator
import re
import shlex
import shutil
import tempfile
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
# What ssh logs while it logs in: sshd's answer to the first, empty, authentication request
# lists the methods it offers anyone. At LogLevel DEBUG1 to a file (-E), not -v: with -v, a
# ControlPersist master and its ProxyCommand keep the command's stderr open until they end.
# At that level ssh also prints sshd's banner, before the command's own errors.
LOGIN_LOGGED = "-o LogLevel=DEBUG1 -E {}"
OFFERED = re.compile(r"^debug1: Authentications that can continue: (\S+)$", re.MULTILINE)


class UnreachableError(Exception):
    """The host did not answer over SSH: its checks are 'unreachable', not failed or skipped."""


class SudoError(AssertionError):
    """The host answered, but its admin could not become root: every check fails, saying why."""


COLLECT_HELLO = "tcd collect"  # collect.sh's first line: it runs, so sudo let it


def _text(output: bytes) -> str:
    """A host's output: the hosts write UTF-8 (left to testinfra, a command's output that is
    not ASCII has it ask the host for its encoding, as for the command: see script_command)."""
    return output.decode("utf-8", "replace")


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
    """The command line that runs one of this folder's shell scripts with args and env. Its
    comment lines stay behind: they are for the file's readers, and testinfra asks the host for
    its encoding (python3 under sudo, one more command per host) when a command is not ASCII."""
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    return f"{assignments} sh -c {shlex.quote(text)} {name} {shlex.join(args)}"


@dataclass
class CheckedHost:
    name: str
    data: HostData  # the host data its roles were deployed with (tcd.planning.hostdata)
    ssh_host: str
    ssh_config: str | None
    host: Host
    login_log: Path  # where ssh logs its login to the host (LOGIN_LOGGED)
    cache: dict[str, Any] = field(default_factory=dict)
    # the methods the running sshd offered this suite's own login; None when the host's SSH
    # connection was already open (a ControlPersist master of an earlier run)
    offered: str | None = None

    @property
    def site(self) -> int | None:
        return self.data.facts.site

    def of(self, wanted: Role[D]) -> D:
        """The host data of one of its roles."""
        return self.data.of(wanted)

    def snapshot(self) -> dict[str, str]:
        """The host's state as collect.sh reads it for its roles, by section; read once, by the
        host's first command, which also proves that SSH and sudo work."""

        def read() -> dict[str, str]:
            command = script_command("collect.sh", *self.reads().sections, **self.collect_env())
            try:
                result = self.host.run(command)
            except RuntimeError as exc:  # testinfra's ssh backend: ssh itself failed (exit 255)
                output = exc.args[0].stderr_bytes if exc.args else b""
                said = "\n".join(filter(None, (self._login(), _text(output).strip())))
                reason = said[:300] or str(exc)
                raise UnreachableError(f"no SSH connection to {self.ssh_host}: {reason}") from None
            self._login()
            output, errors = _text(result.stdout_bytes), _text(result.stderr_bytes)
            if not output.startswith(COLLECT_HELLO):
                said = [line for line in errors.splitlines() if line.startswith("sudo:")]
                raise SudoError(f"sudo failed: {' '.join(said) or errors.strip()[-300:]}")
            assert result.rc == 0, f"collect.sh exited {result.rc}: {errors.strip()[-300:]}"
            sections = output.split("\n@@@ ")[1:]
            return {name: body for name, _, body in (p.partition("\n") for p in sections)}

        return self.fact("snapshot", read)

    def _login(self) -> str:
        """Read and remove ssh's log of the login: keeps what sshd offered, returns what else
        ssh said (with -E, its errors go there, not to stderr)."""
        with contextlib.suppress(FileNotFoundError):
            text = self.login_log.read_text(encoding="utf-8", errors="replace")
            self.login_log.unlink()
            if found := OFFERED.search(text):
                self.offered = found.group(1)
            return "\n".join(ln for ln in text.splitlines() if not ln.startswith("debug"))
        return ""

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


@functools.cache
def _login_logs() -> Path:
    """A folder of this process's own for ssh's login logs, removed when it exits."""
    folder = Path(tempfile.mkdtemp(prefix="tcd-verify-ssh-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def connect(spec: SuiteHost, plan: SuitePlan) -> CheckedHost:
    """The host under check, reached once per suite: its first command reads its snapshot. A
    host that SSH could not reach, or whose admin sudo refused, raises the same error every
    time without asking SSH again."""
    name = spec.name
    if name not in _CONNECTED:
        ssh_config = plan.ssh_config
        login_log = _login_logs() / f"{name}.log"
        logged = LOGIN_LOGGED.format(login_log)
        options: dict[str, Any] = {"sudo": True, "timeout": plan.connect_timeout}
        if ssh_config:  # its own multiplexing
            options |= {"ssh_config": ssh_config, "controlpersist": 0, "ssh_extra_args": logged}
        else:
            options |= {"ssh_extra_args": f"{FIELD_MULTIPLEX} {logged}"}
        checked = CheckedHost(
            name=name,
            data=spec.host_data,
            ssh_host=spec.ssh_host,
            ssh_config=ssh_config,
            host=testinfra.get_host(f"ssh://{spec.ssh_host}", **options),
            login_log=login_log,
        )
        _CONNECTED[name] = checked
        try:
            checked.snapshot()
        except (UnreachableError, SudoError) as exc:
            _CONNECTED[name] = exc
        except Exception:  # kept in the host's facts: each check that reads them reports it
            pass
    found = _CONNECTED[name]
    if isinstance(found, Exception):
        raise found
    return found
