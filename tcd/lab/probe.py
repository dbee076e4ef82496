"""Wait until TCP ports answer: `python -m tcd.lab.probe --timeout S HOST:PORT…`.

Run inside the controller's namespace (`ip netns exec`), since only there are lab addresses
reachable. Prints "HOST:PORT" as each one answers; exits 0 when all did, 1 at the timeout.
"""

import argparse
import socket
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("targets", nargs="+")
    args = parser.parse_args()
    pending = {
        target: (target.rsplit(":", 1)[0], int(target.rsplit(":", 1)[1])) for target in args.targets
    }
    deadline = time.monotonic() + args.timeout
    while pending and time.monotonic() < deadline:
        for target, address in list(pending.items()):
            try:
                with socket.create_connection(address, timeout=0.2):
                    pass
            except OSError:
                continue
            del pending[target]
            print(target, flush=True)
        if pending:
            time.sleep(0.1)
    for target in pending:
        print(f"timeout {target}", file=sys.stderr)
    return 1 if pending else 0


if __name__ == "__main__":
    sys.exit(main())
