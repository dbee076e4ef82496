"""Put a file rendered from templates/ (paths mirror the target) onto the current host."""

from io import StringIO
from typing import Any

from pyinfra.api.operation import OperationMeta
from pyinfra.operations import files

from tcd.render import render


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
