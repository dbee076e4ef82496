"""Two fixes to paramiko's ProxyCommand, which every lab connection (and a field host behind a
jump host) goes through. Importing this module applies them: `tcd rollout` imports it, and so
does deploys/config.py, so the plain `pyinfra` CLI gets the same."""

import contextlib

from paramiko.proxy import ProxyCommand
from paramiko.ssh_exception import ProxyCommandFailure

_kill = ProxyCommand.close


def _send_all(proxy: ProxyCommand, content: bytes) -> int:
    """paramiko's ProxyCommand.send writes once and reports every byte sent. Under gevent the
    proxy's stdin is a non-blocking pipe, whose write takes only what fits (64 KiB at most):
    the rest of a larger SSH packet (a batch of fact reads) was lost, and sshd closed the
    connection ("message authentication code incorrect"). Write until all of it is taken."""
    view = memoryview(content)
    try:
        while view:
            view = view[proxy.process.stdin.write(view) or 0 :]
    except OSError as exc:
        raise ProxyCommandFailure(" ".join(proxy.cmd), exc.strerror) from exc
    return len(content)


def _close_once(proxy: ProxyCommand) -> None:
    """paramiko closes a ProxyCommand twice (the client, then the transport's thread) and each
    close kills its process; under gevent the first kill's process is reaped at once, so the
    second raised in a thread: a traceback on stderr for every host, the plain CLI's too."""
    with contextlib.suppress(ProcessLookupError):
        _kill(proxy)


ProxyCommand.send = _send_all  # type: ignore[method-assign]
ProxyCommand.close = _close_once  # type: ignore[method-assign]
