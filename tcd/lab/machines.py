"""Lab hosts as systemd-nspawn containers over copy-on-write roots.

Layers, top to bottom: the host's own upper dir (its identity and everything it changes), the
lab's common layer (the hand-over admin account), the cached Debian image (never written).
"""

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from tcd.lab.cgroups import make_host_cgroups
from tcd.lab.keys import KeyPair, new_ed25519
from tcd.lab.settings import LabSettings
from tcd.lab.system import LabCommandError, run
from tcd.render import render


@dataclass(frozen=True)
class Machine:
    name: str
    netns: str
    root: Path  # the merged overlay the container boots
    upper: Path
    work: Path
    log: Path

    @classmethod
    def of(cls, settings: LabSettings, name: str) -> "Machine":
        base = settings.host_dir(name)
        return cls(
            name=name,
            netns=settings.host_netns(name),
            root=base / "root",
            upper=base / "upper",
            work=base / "work",
            log=base / "console.log",
        )


def mount_overlay(lower: list[Path], upper: Path, work: Path, target: Path) -> None:
    for folder in (upper, work, target):
        folder.mkdir(parents=True, exist_ok=True)
    lowerdir = ":".join(str(layer) for layer in lower)
    run(
        [
            "mount",
            "-t",
            "overlay",
            "overlay",
            "-o",
            f"lowerdir={lowerdir},upperdir={upper},workdir={work}",
            target,
        ]
    )


def build_common_layer(settings: LabSettings, image: Path, user: str, public_key: str) -> Path:
    """The hand-over account every lab host starts with: what the IT team installs on a PC."""
    base = settings.state_dir / "common"
    upper, merged = base / "upper", base / "merged"
    mount_overlay([image], upper, base / "work", merged)
    try:
        run(["useradd", "--prefix", merged, "--create-home", "--shell", "/bin/bash", user])
        home = merged / "home" / user
        ssh_dir = home / ".ssh"
        ssh_dir.mkdir(mode=0o700)
        (ssh_dir / "authorized_keys").write_text(public_key + "\n")
        uid = int(run(["chroot", merged, "id", "-u", user]))
        gid = int(run(["chroot", merged, "id", "-g", user]))
        for path in (ssh_dir, ssh_dir / "authorized_keys"):
            os.chown(path, uid, gid)
        (ssh_dir / "authorized_keys").chmod(0o600)
        sudoers = merged / "etc" / "sudoers.d" / "tcd-bootstrap"
        sudoers.write_text(render("lab/etc/sudoers.d/tcd-bootstrap.j2", user=user))
        sudoers.chmod(0o440)
    finally:
        run(["umount", merged])
    return upper


def prepare_root(machine: Machine, layers: list[Path]) -> str:
    """Mount the host's root and give it its own identity; return its SSH host public key."""
    mount_overlay(layers, machine.upper, machine.work, machine.root)
    etc = machine.root / "etc"
    (etc / "hostname").write_text(machine.name + "\n")
    (etc / "machine-id").write_text(uuid.uuid4().hex + "\n")
    (etc / "hosts").write_text(render("lab/etc/hosts.j2", hostname=machine.name))
    host_key: KeyPair = new_ed25519()
    key_path = etc / "ssh" / "ssh_host_ed25519_key"
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(host_key.private_openssh)
    key_path.with_name("ssh_host_ed25519_key.pub").write_text(
        f"{host_key.public_openssh} root@{machine.name}\n"
    )
    return host_key.public_openssh


def nspawn_argv(machine: Machine) -> list[str]:
    return [
        "systemd-nspawn",
        "--quiet",
        "--boot",
        f"--directory={machine.root}",
        f"--machine={machine.name}",
        # no systemd as the machine's PID 1 here: no scope unit, no machined registration
        "--register=no",
        "--keep-unit",
        # a private network is what grants CAP_NET_ADMIN inside (nft, sysctls, WireGuard)
        f"--network-namespace-path=/run/netns/{machine.netns}",
        "--private-network",
        "--bind=/dev/net/tun",
        "--resolv-conf=off",
        "--timezone=off",
        "--link-journal=no",
        "--console=read-only",
    ]


def launch(machines: list[Machine], cgroup_roots: list[Path]) -> dict[str, int]:
    """Start every machine, detached (see tcd.lab.launch), each in cgroups of its own;
    return name -> systemd-nspawn PID."""
    jobs = [
        {
            "argv": nspawn_argv(m),
            "cgroups": [str(p) for p in make_host_cgroups(cgroup_roots, m.name)],
            "log": str(m.log),
        }
        for m in machines
    ]
    result = subprocess.run(
        [sys.executable, "-m", "tcd.lab.launch"],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise LabCommandError(f"could not start lab hosts: {result.stderr.strip()}")
    return dict(zip((m.name for m in machines), json.loads(result.stdout), strict=True))
