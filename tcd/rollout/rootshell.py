"""A rollout's root commands on a host go through one root shell, not one `sudo` each.

pyinfra runs every command as its own SSH exec: `sudo -H -n sh -c '…'`. On a host, the SSH
channel, sudo (its PAM session, its log line, its pty) and the shell cost ~16 ms of CPU and
~50 ms of wall time before the command itself starts; a reception PC's first rollout is
~430 such commands (docs/benchmarks.md). Here the first root command of a connection opens
`sudo -H -n sh` once, and each command of exactly that shape is written to it as the same
`sh -c '…'`, its standard input /dev/null, its stdout and stderr framed by a token the
command cannot guess. ~2 ms of host CPU a command.

The command still runs as pyinfra builds it, as root, in a shell of its own (`sh -c`: its
`cd`, variables and `exit` end with it); its output lines and exit status reach pyinfra as
they would have. Anything else is left to pyinfra's own exec: another user, a password, an
environment, a folder, a pty, input, a timeout, printed output, a command while another is
under way on the same host, a host whose sudo refuses the shell. A shell whose command did
not come back whole (an error, a timeout, the host gone) is closed and not used again; the
next command opens a new one.

A root upload (a template, a file) goes through the same shell as one command: its content
decoded into a file of a private temporary folder, then copied over the target as pyinfra's own
`cp` does (an existing file keeps its mode and owner). pyinfra opens an SFTP session for each
upload (sshd starts an `sftp-server` for it), then runs the `cp` and, as the login user, an
`rm` of its own: ~15 ms of the host's CPU and three round trips for each of a reception PC's
~30 uploads. Content over UPLOAD_MAX bytes (its base64 within ARGUMENT_MAX) is left to
pyinfra's SFTP. While the command runs its content is in its arguments, which the host's users
can read as they could pyinfra's temporary file in /tmp; no file the roles upload holds a
secret (a WireGuard private key is born on its host and never sent).

What the host keeps: sudo logs one `sh` per rollout and host, not each command; auditd still
records every change to the files it watches, and the journal every operation.
"""

import base64
import secrets
import shlex
import weakref
from typing import Any

import gevent
from gevent.lock import Semaphore
from paramiko import Channel, SSHException, Transport
from pyinfra import logger
from pyinfra.api.command import QuoteString, StringCommand
from pyinfra.api.util import get_file_io
from pyinfra.connectors.ssh import SSHConnector
from pyinfra.connectors.util import CommandOutput, OutputLine, make_unix_command_for_host

_exec = SSHConnector.run_shell_command
_put = SSHConnector.put_file
# the most a command given to `sh -c` carries (the fact batch's scripts too): it is one
# argument there, and the kernel takes at most 128 KiB for one (MAX_ARG_STRLEN)
ARGUMENT_MAX = 64 * 1024
# the most an upload through the shell carries: its base64 is 4/3 of it
UPLOAD_MAX = ARGUMENT_MAX * 3 // 4

# what the shell's own command is, and what a command must be to go through it: pyinfra's
# root prefix, then `sh -c` (the shell that runs it)
_SUDO = ("sudo", "-H", "-n")
_SHELL = StringCommand(*_SUDO, "sh")
# arguments pyinfra's exec takes for itself (an SSH channel's): any of them set and the command
# is pyinfra's
_OWN = ("_get_pty", "_timeout", "_stdin")


class _Shell:
    """`sudo -H -n sh` on one SSH transport, reading commands on its standard input."""

    def __init__(self, transport: Transport) -> None:
        self.token = f"@@tcd-shell-{secrets.token_hex(8)}@@".encode()
        self.lock = Semaphore()
        self.channel: Channel = transport.open_session()
        self.channel.exec_command(_SHELL.get_raw_value())
        self.out = self.channel.makefile("rb")
        self.err = self.channel.makefile_stderr("rb")
        # answered only if sudo let the shell start (a host asking a password does not)
        try:
            status, _ = self.run("true")
        except (OSError, SSHException):
            status = None
        if status != 0:
            self.close()
            raise OSError("the root shell did not start")

    def run(self, command: str) -> tuple[int, CommandOutput]:
        token = self.token.decode()
        self.channel.sendall(
            " ".join(
                (
                    StringCommand("sh", "-c", QuoteString(command)).get_raw_value(),
                    f"</dev/null; printf '\\n%s %s\\n' '{token}' \"$?\";",
                    f"printf '\\n%s\\n' '{token}' >&2\n",
                )
            ).encode()
        )
        out, err = gevent.spawn(self._until, self.out), gevent.spawn(self._until, self.err)
        gevent.joinall((out, err), raise_error=True)
        (out_lines, status), (err_lines, _) = out.value, err.value
        if status is None:  # the shell ended before the command came back
            raise OSError("the root shell ended")
        lines = [OutputLine("stdout", line) for line in out_lines]
        return status, CommandOutput(lines + [OutputLine("stderr", line) for line in err_lines])

    def _until(self, stream: Any) -> tuple[list[str], int | None]:
        """The lines before the token (without the one the frame adds: its newline first
        ends a last line that had none, or makes an empty one), and the status after it."""
        lines: list[bytes] = []
        while line := stream.readline():
            if line.startswith(self.token):
                status = line[len(self.token) :].strip()
                if lines and lines[-1] == b"":
                    lines.pop()
                decoded = [x.decode("utf-8", errors="replace") for x in lines]
                return decoded, int(status) if status.isdigit() else 0
            lines.append(line.rstrip(b"\n"))
        return [], None

    def close(self) -> None:
        self.channel.close()


# a transport's shell; None once sudo refused it (that host's commands are pyinfra's)
_SHELLS: "weakref.WeakKeyDictionary[Transport, _Shell | None]" = weakref.WeakKeyDictionary()


def _through_shell(
    command: StringCommand | str, connector: SSHConnector, arguments: dict
) -> str | None:
    """The command pyinfra would run as root by `sh -c` for `command`; None for any other."""
    if any(arguments.get(key) for key in _OWN):
        return None
    building = {k: v for k, v in arguments.items() if k not in (*_OWN, "_success_exit_codes")}
    state, host = connector.state, connector.host
    built = make_unix_command_for_host(state, host, command, **building).get_raw_value()
    plain = StringCommand(*_SUDO, "sh", "-c", QuoteString(command)).get_raw_value()
    if built != plain:
        return None
    return command.get_raw_value() if isinstance(command, StringCommand) else command


def _shell_of(transport: Transport) -> "_Shell | None":
    shell = _SHELLS.get(transport)
    if shell is not None and (shell.channel.closed or shell.channel.exit_status_ready()):
        del _SHELLS[transport]  # ended between commands (sshd, a long pause): open another
    if transport not in _SHELLS:
        try:
            _SHELLS[transport] = _Shell(transport)
        except (OSError, SSHException):  # sudo refused it, or sshd the session
            _SHELLS[transport] = None
    return _SHELLS[transport]


def _running(
    connector: SSHConnector,
    command: StringCommand | str,
    print_output: bool = False,
    print_input: bool = False,
    **arguments: Any,
) -> tuple[bool, CommandOutput]:
    # (a fact's command may be a plain string)
    own = print_output or print_input or not isinstance(command, StringCommand | str)
    client = connector.client
    transport = client.get_transport() if client is not None else None
    inner = None if own or transport is None else _through_shell(command, connector, arguments)
    shell = _shell_of(transport) if inner is not None and transport is not None else None
    if shell is None or inner is None or shell.lock.locked():
        return _exec(connector, command, print_output, print_input, **arguments)
    with shell.lock:
        try:
            status, output = shell.run(inner)
        except BaseException:
            # the shell is somewhere in a command: it cannot be trusted with the next one
            shell.close()
            _SHELLS.pop(transport, None)
            raise
    return status in (arguments.get("_success_exit_codes") or [0]), output


def upload_command(content: bytes, remote_filename: str) -> str:
    """One shell command that writes `content` over `remote_filename` as pyinfra's upload and
    `cp` do: the new file made by the shell's redirection (the mode a file the login user
    uploads gets), in a folder only root can enter, then copied and removed."""
    encoded = base64.b64encode(content).decode()
    target = shlex.quote(remote_filename)
    return (
        f'd=$(mktemp -d) && printf %s {encoded} | base64 -d >"$d/f" && cp "$d/f" {target}; '
        's=$?; rm -rf "$d"; exit $s'
    )


def _putting(
    connector: SSHConnector,
    filename_or_io: Any,
    remote_filename: str,
    *,  # pyinfra's FileUploadCommand names them
    remote_temp_filename: str | None = None,
    print_output: bool = False,
    print_input: bool = False,
    **arguments: Any,
) -> bool:
    with get_file_io(filename_or_io) as file_io:
        content = file_io.read(UPLOAD_MAX + 1)
    command = upload_command(content, remote_filename) if len(content) <= UPLOAD_MAX else None
    own = print_output or print_input or command is None
    if own or _through_shell(command, connector, arguments) is None:  # another user, etc.
        return _put(
            connector,
            filename_or_io,
            remote_filename,
            remote_temp_filename=remote_temp_filename,
            print_output=print_output,
            print_input=print_input,
            **arguments,
        )
    # through the shell, or (another command under way, a shell sudo refused) pyinfra's exec
    status, output = _running(connector, command, **arguments)
    if not status:
        logger.error(f"File upload error: {output.stderr}")
    return status


def install() -> None:
    """Route the root commands and uploads of every pyinfra SSH connection through its host's
    shell (`tcd rollout`; the plain CLI is left as it is). Once: whatever wraps them afterwards
    (a benchmark counting commands) stays in place."""
    if SSHConnector.run_shell_command is _exec:
        SSHConnector.run_shell_command = _running  # type: ignore[method-assign]
    if SSHConnector.put_file is _put:
        SSHConnector.put_file = _putting  # type: ignore[method-assign]
