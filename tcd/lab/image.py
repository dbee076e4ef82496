"""The lab's base image: Debian 12 with systemd, sshd, python3 and what the roles install.

Built once with debootstrap and cached under the lab cache (default /var/cache/tcd-fleet); the
cache key is a digest of the recipe (suite, packages, post-processing version), so the image is
rebuilt exactly when the package list changes. Hosts never reach the internet: whatever a role
installs must be in IMAGE_PACKAGES (installed, and its .deb kept in apt's archive).
"""

import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import IO

from roles.registry import image_packages
from tcd.lab.system import LabCommandError

SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
RECIPE_VERSION = 7  # bump when _finish() changes what ends up in the tree
HOST_PACKAGES = (
    # what makes it a field-like host, as the IT team installs a PC before handing it over
    "systemd",
    "systemd-sysv",
    "dbus",
    "libpam-systemd",
    "openssh-server",
    "python3",
    "sudo",
    "iproute2",
    "iputils-ping",
    "procps",
    "ca-certificates",
    "tzdata",
    "netcat-openbsd",
)
# Hosts have no internet: what the roles install (the registry says) is in the image already.
ROLE_PACKAGES = image_packages()
IMAGE_PACKAGES = tuple(dict.fromkeys(HOST_PACKAGES + ROLE_PACKAGES))


def image_key(packages: tuple[str, ...] = IMAGE_PACKAGES) -> str:
    recipe = {"suite": SUITE, "packages": sorted(packages), "recipe": RECIPE_VERSION}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]


def ensure_image(
    cache_dir: Path, rebuild: bool = False, progress: Callable[[str], None] = lambda line: None
) -> Path:
    """The cached image's root folder, built first if missing (or if `rebuild`)."""
    key = image_key()
    final = cache_dir / "images" / key
    if final.is_dir() and not rebuild:
        return final / "rootfs"
    if shutil.which("debootstrap") is None:
        raise LabCommandError("debootstrap is not installed (apt-get install debootstrap)")
    building = cache_dir / "images" / f".build-{key}-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    mirror = os.environ.get("TCD_LAB_MIRROR", DEFAULT_MIRROR)
    # debootstrap resolves only simple package sets: the host's packages go in with it, the
    # roles' (a browser and its desktop libraries among them) with apt inside the new tree
    rootfs = building / "rootfs"
    steps = [
        [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(HOST_PACKAGES)}",
            SUITE,
            str(rootfs),
            mirror,
        ],
        [
            *("systemd-nspawn", "--quiet", "--register=no", "--keep-unit", f"--directory={rootfs}"),
            *("--setenv=DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "--yes"),
            *("--no-install-recommends", *ROLE_PACKAGES),
        ],
    ]
    log = cache_dir / "images" / "build.log"  # outside the build folder: kept on failure
    try:
        with log.open("w") as handle:
            for argv in steps:
                _run_logged(argv, handle, progress)
        _finish(building / "rootfs")
        (building / "manifest.json").write_text(
            json.dumps({"suite": SUITE, "packages": list(IMAGE_PACKAGES), "mirror": mirror})
        )
        if final.exists():
            shutil.rmtree(final)
        building.rename(final)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    _prune(final)
    return final / "rootfs"


def _prune(keep: Path) -> None:
    """Remove older images, except one still under a running lab's overlays."""
    mounts = Path("/proc/self/mountinfo").read_text()
    for other in keep.parent.iterdir():
        if other != keep and not other.name.startswith(".") and f"{other}/rootfs" not in mounts:
            shutil.rmtree(other, ignore_errors=True)


def _run_logged(argv: list[str], log: IO[str], progress: Callable[[str], None]) -> None:
    log.write(f"$ {' '.join(argv)}\n")
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:
            log.write(line)
            lines = [*lines[-4:], line.strip()]
            if line.startswith(("I: ", "Get:", "Setting up", "Unpacking")):
                progress(line.removeprefix("I: ").strip())
    if proc.returncode != 0:
        raise LabCommandError(
            f"{argv[0]} failed (exit {proc.returncode}; build.log in the image cache): "
            + " | ".join(lines)
        )


def _finish(root: Path) -> None:
    """Make the tree a template: no identity of its own, nothing left from the chroot install."""
    for key in (root / "etc" / "ssh").glob("ssh_host_*"):
        key.unlink()  # every host gets its own, written by `lab up`
    (root / "usr" / "sbin" / "policy-rc.d").unlink(missing_ok=True)
    (root / "etc" / "machine-id").write_text("")
    (root / "etc" / "hostname").write_text("localhost\n")
    # The roles' .debs stay in apt's archive: a host reinstalls a role package someone removed
    # from there, offline, as a field host would from its mirror (TCD-USBCAM-003's repair).
    # The image holds every role's packages, so every host would start every daemon their
    # packages enable: Prometheus on a reception PC, a node exporter on all addresses. A field
    # host has only its roles' packages, and its roles enable what they run.
    wants = root / "etc" / "systemd" / "system" / "multi-user.target.wants"
    # auditd too: it cannot run in a container, where the role skips it by a condition. (The
    # links point outside the tree, so they are matched by name: a glob without a wildcard
    # would ask whether the link resolves, and skip it.)
    for unit in wants.iterdir():
        if fnmatch.fnmatch(unit.name, "prometheus*.service") or unit.name == "auditd.service":
            unit.unlink()
    # nobody reads a container's console login prompt; ~2 MiB per idle host saved
    (root / "etc" / "systemd" / "system" / "console-getty.service").symlink_to("/dev/null")
