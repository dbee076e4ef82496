"""One host under check: its testinfra connection (root through sudo), what the inventory
expects of it, and a per-host cache so each fact is read once however many controls use it."""

import contextlib
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import testinfra
from testinfra.host import Host

from roles.reception_pc import defaults as reception

T = TypeVar("T")
HERE = Path(__file__).parent
# the units whose state the checks read (a unit a host does not have shows as not-found)
UNITS = [
    "nftables.service",
    "chrony.service",
    "ssh.service",
    "apt-daily-upgrade.timer",
    "tcd-kiosk.service",
    "tcd-display-on.timer",
    "tcd-display-off.timer",
]

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


@dataclass
class Target:
    name: str
    site: int | None
    roles: list[str]
    data: dict[str, Any]  # the host data the roles were deployed with (tcd.planning.hostdata)
    ssh_host: str
    ssh_config: str | None
    host: Host
    cache: dict[str, Any] = field(default_factory=dict)

    def run(self, command: str) -> str:
        """stdout of a command that must succeed (as root); its failure fails the check."""
        result = self.host.run(command)
        assert result.rc == 0, f"`{command}` exited {result.rc}: {result.stderr.strip()[:300]}"
        return result.stdout

    def script(self, name: str, *args: str, **env: str) -> str:
        """Run one of this folder's shell scripts on the host (as root) with args and env."""
        text = (HERE / name).read_text(encoding="utf-8")
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        return self.run(f"{assignments} sh -c {shlex.quote(text)} {name} {shlex.join(args)}")

    def snapshot(self) -> dict[str, str]:
        """The host's state as collect.sh reads it, by section; read once per host."""

        def read() -> dict[str, str]:
            output = self.script(
                "collect.sh",
                KIOSK=reception.KIOSK_USER,
                POLICY=reception.CHROMIUM_POLICY,
                UNITS=" ".join(UNITS),
            )
            sections = output.split("\n@@@ ")[1:]
            return {name: body for name, _, body in (p.partition("\n") for p in sections)}

        return self.fact("snapshot", read)

    def section(self, name: str) -> str:
        return self.snapshot()[name]

    def lines(self, name: str) -> list[str]:
        return [line for line in self.section(name).splitlines() if line.strip()]

    def units(self) -> dict[str, dict[str, str]]:
        """`systemctl show` of UNITS, by unit name."""

        def parse() -> dict[str, dict[str, str]]:
            found = {}
            for block in self.section("units").strip().split("\n\n"):
                fields = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
                found[fields.get("Id", "")] = fields
            return found

        return self.fact("units", parse)

    def fact(self, key: str, read: Callable[[], T]) -> T:
        return cached_fact(self.cache, key, read)

    def auth_methods(self) -> str:
        """What the running sshd offers a newcomer, asked over a fresh connection from the
        controller (never the shared one): "publickey" when keys are the only way in."""

        def ask() -> str:
            argv = ["ssh", *(["-F", self.ssh_config] if self.ssh_config else [])]
            for option in (
                "ControlMaster=no",
                "ControlPath=none",
                "BatchMode=yes",
                "PreferredAuthentications=none",
                # only asks which methods are offered: a classic key exchange (a tenth of the
                # CPU of the post-quantum hybrid, on both ends) is enough, and allowed
                "KexAlgorithms=curve25519-sha256",
                "ConnectTimeout=10",
            ):
                argv += ["-o", option]
            argv += [self.ssh_host, "true"]
            answer = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
            assert "Permission denied (" in answer.stderr, (
                f"unexpected answer from sshd: {answer.stderr.strip()[:300]}"
            )
            return answer.stderr.rsplit("Permission denied (", 1)[1].split(")", 1)[0]

        return self.fact("auth_methods", ask)

    def reach(self) -> dict[str, tuple[str, bool]]:
        """Live, for a site gateway: each hub's tunnel address and each office's probe address,
        the interface the route to it leaves by and whether it answered ping."""

        def probe() -> dict[str, tuple[str, bool]]:
            tunnels = self.data["tcd_spoke"]["tunnels"]
            addresses = [a for t in tunnels for a in (t["hub_address"], t["office_probe"])]
            output = self.script("reach.sh", *addresses)
            found = {}
            for line in output.splitlines():
                address, dev, ok = line.split("\t")
                found[address] = (dev, ok == "yes")
            return found

        return self.fact("reach", probe)

    def calendars(self, *expressions: str) -> list[str]:
        """systemd's normalised form of calendar expressions (how timers show them)."""

        def normalise() -> list[str]:
            out = self.run(f"systemd-analyze calendar {' '.join(map(shlex.quote, expressions))}")
            return [ln.split(":", 1)[1].strip() for ln in out.splitlines() if "Normalized" in ln]

        return self.fact("calendars " + "|".join(expressions), normalise)


def office_calendars(reception: dict) -> list[str]:
    """The display timers' calendars: on when the office opens, off when it closes."""
    days = ",".join(reception["office_days"])
    return [f"{days} *-*-* {reception[at]}:00" for at in ("office_start", "office_end")]


def warm(target: Target) -> None:
    """Read everything the host's checks will ask for, so the checks themselves only judge:
    `tcd verify` runs this for all hosts at once, in threads, before the first check."""
    reads: list[Callable[[], object]] = [target.snapshot, target.auth_methods]
    if "vpn_spoke" in target.roles:
        reads.append(target.reach)
    if "reception_pc" in target.roles:
        reads.append(lambda: target.calendars(*office_calendars(target.data["tcd_reception"])))
    for read in reads:
        with contextlib.suppress(Exception):  # kept by fact(): the checks report it
            read()


_CONNECTED: dict[str, Target | Exception] = {}


def connect(spec: dict[str, Any], plan: dict[str, Any]) -> Target:
    """The host's Target, reached once per worker; an unreachable host raises every time
    without waiting for SSH again."""
    name = spec["name"]
    if name not in _CONNECTED:
        ssh_config = plan.get("ssh_config")
        options: dict[str, Any] = {"sudo": True, "timeout": plan.get("connect_timeout", 10)}
        if ssh_config:
            options |= {"ssh_config": ssh_config, "controlpersist": 0}  # its own multiplexing
        else:
            options |= {"ssh_extra_args": FIELD_MULTIPLEX}
        host = testinfra.get_host(f"ssh://{spec['ssh_host']}", **options)
        try:
            result = host.run("true")
        except RuntimeError as exc:  # testinfra's ssh backend: ssh itself failed (exit 255)
            output = getattr(exc.args[0], "stderr", "") if exc.args else ""
            reason = str(output).strip()[:300] or str(exc)
            where = spec["ssh_host"]
            _CONNECTED[name] = UnreachableError(f"no SSH connection to {where}: {reason}")
        else:
            # reachable, but the admin cannot become root: every check fails, saying why
            _CONNECTED[name] = AssertionError(f"sudo failed: {result.stderr.strip()[:300]}")
            if result.rc == 0:
                _CONNECTED[name] = Target(
                    name=name,
                    site=spec.get("site"),
                    roles=spec["roles"],
                    data=spec["data"],
                    ssh_host=spec["ssh_host"],
                    ssh_config=ssh_config,
                    host=host,
                )
    found = _CONNECTED[name]
    if isinstance(found, Exception):
        raise found
    return found
