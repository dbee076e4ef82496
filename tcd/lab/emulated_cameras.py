"""The lab's IP cameras: for every IP camera of the selected sites, an emulated ONVIF camera
(tcd.lab.onvif_emulator, run by the machine's python3 for GStreamer's bindings) in a namespace
of its own on the room LAN behind its site's gateway.

The room LAN is a bridge `lan0` in the gateway's namespace holding the LAN's gateway address;
each camera's namespace is plugged into it at the camera's lab address. Nothing else reaches a
camera: the controller goes through an SSH port forward on the gateway, as in the field.
"""

import os
import subprocess
import sys

import netaddr

from tcd.lab.network import no_ipv6
from tcd.lab.processes import alive, terminate
from tcd.lab.settings import LabSettings
from tcd.lab.state import LabCamera, LabState
from tcd.lab.system import ip_batch, run
from tcd.model.survey import CameraKind
from tcd.paths import REPO_ROOT
from tcd.planning import Plan

# the bindings for GStreamer's RTSP server are Debian packages (python3-gi and its typelibs)
SYSTEM_PYTHON = "/usr/bin/python3"
LAN_BRIDGE = "lan0"
PORTS = (443, 554)  # what must answer before a camera counts as started (ONVIF, RTSP)
START_TIMEOUT = 30.0


class LabCameraError(RuntimeError):
    pass


def plan_cameras(settings: LabSettings, plan: Plan, codes: list[int]) -> list[LabCamera]:
    """A lab camera for every IP camera of the sites `codes` that has a gateway."""
    cameras = []
    for code in codes:
        site = plan.sites[code]
        if site.gateway is None:
            continue
        for camera in site.cameras:
            if camera.kind == CameraKind.IP and camera.address is not None:
                cameras.append(
                    LabCamera(
                        name=camera.name,
                        site=code,
                        address=str(camera.address),
                        lan=str(site.lan),
                        lan_gateway=str(site.lan_gateway),
                        gateway=site.gateway.name,
                        netns=settings.camera_netns(camera.name),
                    )
                )
    return cameras


def create_lans(settings: LabSettings, cameras: list[LabCamera]) -> None:
    """Each site's room LAN on its gateway, with its cameras' namespaces plugged in."""
    by_gateway: dict[str, list[LabCamera]] = {}
    for camera in cameras:
        by_gateway.setdefault(camera.gateway, []).append(camera)
    for gateway, members in by_gateway.items():
        gateway_netns = settings.host_netns(gateway)
        lan = netaddr.IPNetwork(members[0].lan)
        commands = [
            ["link", "add", LAN_BRIDGE, "type", "bridge"],
            *no_ipv6(LAN_BRIDGE),
            ["address", "add", f"{members[0].lan_gateway}/{lan.prefixlen}", "dev", LAN_BRIDGE],
            ["link", "set", LAN_BRIDGE, "up"],
        ]
        for index, camera in enumerate(members):
            run(["ip", "netns", "add", camera.netns])
            port = f"cam{index}"
            commands += [
                [
                    "link",
                    "add",
                    port,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    "eth0",
                    "netns",
                    camera.netns,
                ],
                *no_ipv6(port),
                ["link", "set", port, "master", LAN_BRIDGE, "up"],
            ]
        ip_batch(gateway_netns, commands)
        for camera in members:
            ip_batch(
                camera.netns,
                [
                    ["link", "set", "lo", "up"],
                    *no_ipv6("eth0"),
                    ["address", "add", f"{camera.address}/{lan.prefixlen}", "dev", "eth0"],
                    ["link", "set", "eth0", "up"],
                    # no default route: the camera answers its LAN and sends nowhere else
                ],
            )


def _system_python_env() -> dict[str, str]:
    """The machine's python3 finds tcd.lab.onvif_emulator in this checkout, not our venv."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("VIRTUAL_ENV", None)
    return env


def start_camera(settings: LabSettings, camera: LabCamera) -> int:
    """Start the camera's process in its namespace; its pid once ONVIF and RTSP answer."""
    storage, log_path = settings.camera_storage(camera.name), settings.camera_log(camera.name)
    storage.mkdir(mode=0o700, parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("ab")
    argv = [
        *(
            "ip",
            "netns",
            "exec",
            camera.netns,
            SYSTEM_PYTHON,
            "-m",
            "tcd.lab.onvif_emulator",
            "serve",
        ),
        *("--state", str(storage), "--name", camera.name, "--address", camera.address),
    ]
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        env=_system_python_env(),
        start_new_session=True,
    )
    log.close()
    targets = [f"{camera.address}:{port}" for port in PORTS]
    probe = subprocess.run(
        [
            *("ip", "netns", "exec", camera.netns, sys.executable, "-m", "tcd.lab.probe"),
            *("--timeout", str(START_TIMEOUT), *targets),
        ],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0 or process.poll() is not None:
        terminate([process.pid], 2)
        raise LabCameraError(f"lab camera {camera.name} did not start (log: {log_path})")
    return process.pid


def stop_camera(camera: LabCamera) -> None:
    if camera.pid is not None and alive(camera.pid) and terminate([camera.pid], 5):
        raise LabCameraError(f"lab camera {camera.name} (pid {camera.pid}) did not stop")
    camera.pid = None


def power(settings: LabSettings, state: LabState, name: str, on: bool) -> None:
    """Unplug a lab camera (its process ends, its memory is kept) or plug it back in."""
    camera = state.camera(name)
    running = camera.pid is not None and alive(camera.pid)
    if running == on:
        raise LabCameraError(f"{name} is already {'running' if on else 'stopped'}")
    if on:
        camera.pid = start_camera(settings, camera)
    else:
        stop_camera(camera)
    state.save(settings.state_file)


def reset_camera(settings: LabSettings, state: LabState, name: str) -> None:
    """Factory settings: stop the camera, forget what it was told, start it again."""
    camera = state.camera(name)
    stop_camera(camera)
    state.save(settings.state_file)
    storage = settings.camera_storage(name)
    reset = [SYSTEM_PYTHON, "-m", "tcd.lab.onvif_emulator", "reset", "--state", str(storage)]
    run(reset, env=_system_python_env())
    camera.pid = start_camera(settings, camera)
    state.save(settings.state_file)
