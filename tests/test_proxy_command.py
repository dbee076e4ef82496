"""The rollout's SSH through a ProxyCommand (the lab's, a field jump host's) carries every byte.

Under gevent (the CLI patches the standard library) paramiko's ProxyCommand writes into a
non-blocking pipe, which takes 64 KiB at most per write, and reports the whole packet sent: the
rest was lost, and sshd closed the connection ("message authentication code incorrect") when a
fact batch grew past 64 KiB. tcd.rollout.proxy makes the proxy write until all is taken.
Without it this test receives 65,536 of 1,048,576 bytes. A proxy closed twice stays quiet."""

import hashlib
import subprocess
import sys
from pathlib import Path

SEND = """
import sys
from gevent import monkey

monkey.patch_all()
from paramiko.proxy import ProxyCommand

import tcd.rollout.proxy  # noqa: F401  (its fix of ProxyCommand.send)

proxy = ProxyCommand(f"sh -c 'sleep 0.5; cat > {sys.argv[1]}'")  # a slow reader fills the pipe
sent = proxy.send(bytes(range(256)) * 4096)
proxy.process.stdin.close()
proxy.process.wait()
print(sent)
"""


def test_a_packet_larger_than_the_pipe_arrives_whole(tmp_path: Path) -> None:
    received = tmp_path / "received"
    done = subprocess.run(
        [sys.executable, "-c", SEND, str(received)], capture_output=True, text=True, check=True
    )
    data = bytes(range(256)) * 4096
    assert done.stdout.split() == [str(len(data))]
    assert received.stat().st_size == len(data)
    assert hashlib.sha256(received.read_bytes()).digest() == hashlib.sha256(data).digest()


CLOSE = """
from paramiko.proxy import ProxyCommand

import tcd.rollout.proxy  # noqa: F401  (its fix of ProxyCommand.close)

proxy = ProxyCommand("true")
proxy.process.wait()  # reaped, as gevent does after the first close
proxy.close()
proxy.close()
print("closed")
"""


def test_closing_a_proxy_whose_process_is_gone_is_quiet() -> None:
    """paramiko closes a proxy twice (the client, then the transport's thread). Once the
    process was reaped the second kill raised in that thread, and the plain `pyinfra` CLI
    printed a traceback when it stopped on an error. Without the fix this exits non-zero."""
    done = subprocess.run(
        [sys.executable, "-c", CLOSE], check=False, capture_output=True, text=True
    )
    assert (done.returncode, done.stdout.split(), done.stderr) == (0, ["closed"], "")
