"""Put a file rendered from templates/ (paths mirror the target) onto the current host."""

import shlex
from collections.abc import Iterable
from io import StringIO
from typing import Any

from pyinfra import host
from pyinfra.api.operation import OperationMeta
from pyinfra.facts.server import Command
from pyinfra.operations import files, server, systemd

from tcd.render import render

# Where pyinfra puts an upload before sudo moves it into place: a folder every SSH user may write.
# pyinfra would ask the host's $TMPDIR under sudo, which libpam-tmpdir (TCD-UMASK-001) makes
# root's own /tmp/user/0: the SSH user's upload there is refused. Set in the rollout's config and
# in deploys/config.py (the plain pyinfra CLI).
UPLOAD_DIR = "/tmp"


def template(src: str, dest: str, mode: str = "644", **context: Any) -> OperationMeta:
    """Render `templates/<src>` with `context` and upload it, owned by root; changed only if
    the content or mode differ (pyinfra compares checksums)."""
    return files.put(
        name=f"Render {dest}",
        src=StringIO(render(src, **context)),
        dest=dest,
        user="root",
        group="root",
        mode=mode,
    )


def checked_template(
    src: str,
    dest: str,
    *,
    check: str,
    service: str,
    reload: bool,
    mode: str = "644",
    **context: Any,
) -> OperationMeta:
    """A config a daemon must accept: on change, `check` it on the host first (a failure stops
    the host's deploy before the daemon sees the file), then reload or restart `service`."""
    conf = template(src, dest, mode=mode, **context)
    server.shell(name=f"{dest} is valid", commands=[check], _if=conf.did_change)
    action = {"reloaded": True} if reload else {"restarted": True}
    systemd.service(
        name=f"{service} applies {dest}", service=service, _if=conf.did_change, **action
    )
    return conf


def dropin_listing(folder: str) -> str:
    """The command that lists what `folder` holds but folders."""
    # a symlink is a drop-in too; a folder that does not exist holds nothing
    return f"find {folder} -mindepth 1 -maxdepth 1 ! -type d 2>/dev/null || true"


def only_ours(folder: str, ours: Iterable[str]) -> list[OperationMeta]:
    """Remove every file in `folder` but `ours` (full paths): for a folder of drop-ins that
    decide the effective configuration and that the role manages exclusively (roles/README.md
    lists them), a file someone else put there could override the role's policy."""
    keep = set(ours)
    found = (host.get_fact(Command, command=dropin_listing(folder)) or "").splitlines()
    # rm, not files.file(present=False): that refuses a symlink
    return [
        server.shell(name=f"Remove {path}", commands=[f"rm -f {shlex.quote(path)}"])
        for path in sorted(found)
        if path not in keep
    ]
