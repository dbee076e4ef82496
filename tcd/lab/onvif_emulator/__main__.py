"""python3 -m tcd.lab.onvif_emulator serve|reset — the lab's simulated ONVIF IP camera.

Runs under Debian's system python3 with python3-gi, python3-lxml and python3-jinja2 only, inside
the camera's network namespace; it imports nothing else from tcd.
"""

import argparse
import signal
import sys
from pathlib import Path

from .auth import LockoutPolicy
from .settings import SETTINGS_FILE

# everything a device learns or makes after leaving the factory
LEARNED_FILES = (SETTINGS_FILE, "https-cert.pem", "https-key.pem")


def serve(args: argparse.Namespace) -> int:
    from gi.repository import GLib  # noqa: PLC0415 - `reset` must work without GStreamer

    from .device import Device  # noqa: PLC0415
    from .rtsp import RtspService  # noqa: PLC0415
    from .server import WebListeners, ensure_certificate  # noqa: PLC0415

    policy = LockoutPolicy(args.lockout_failures, args.lockout_window, args.lockout_duration)
    device = Device(args.name, args.address, args.state, policy)
    cert, key = ensure_certificate(args.state, args.name, args.address)
    web = WebListeners(device, cert, key)
    rtsp = RtspService(device)
    device.listeners.append(rtsp.changed)
    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signum, loop.quit)
    try:
        web.reconcile(device.snapshot())
        rtsp.start()
        if not web.running:
            device.log("no web listener could be opened; giving up")
            return 1
        device.log("ready")
        loop.run()
    finally:
        web.close()
        rtsp.close()
        device.log("stopped")
    return 0


def reset(args: argparse.Namespace) -> int:
    """Factory reset, with the camera stopped: forget settings, accounts and certificate."""
    for name in LEARNED_FILES:
        (args.state / name).unlink(missing_ok=True)
    for leftover in args.state.glob(".settings-*.tmp"):
        leftover.unlink()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tcd.lab.onvif_emulator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="run the camera in the foreground until SIGTERM")
    run.add_argument("--state", type=Path, required=True, help="the camera's own directory")
    run.add_argument("--name", required=True, help="camera name, also its serial number")
    run.add_argument("--address", required=True, help="the one address to listen on")
    run.add_argument("--lockout-failures", type=int, default=5, metavar="N")
    run.add_argument("--lockout-window", type=float, default=30.0, metavar="SECONDS")
    run.add_argument("--lockout-duration", type=float, default=30.0, metavar="SECONDS")
    run.set_defaults(func=serve)
    wipe = commands.add_parser("reset", help="factory reset (the camera must be stopped)")
    wipe.add_argument("--state", type=Path, required=True)
    wipe.set_defaults(func=reset)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
