"""The one jinja2 environment every config file, export and report is rendered with."""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from tcd.paths import TEMPLATES_DIR
from tcd.text import format_vnd


def yaml_scalar(value: Any) -> str:
    """A value written as a YAML flow scalar, quoted only when YAML (1.1 or 1.2) needs it."""
    # ruamel takes ~35 ms to import, and only seeding the inventory uses this filter
    from tcd.yamlwrite import scalar  # noqa: PLC0415

    return scalar(value)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # reports are escaped (a reason quotes what a host printed); config files never are
        autoescape=jinja2.select_autoescape(["html.j2", "xml.j2", "svg.j2"]),
    )
    # `tojson` writes Vietnamese as it is (UTF-8), not as \u escapes: the files stay readable
    # (Prometheus's target files name every commune)
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    env.filters["yaml"] = yaml_scalar
    env.filters["vnd"] = format_vnd
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def write_atomically(path: Path, content: str | bytes, mode: int | None = None) -> None:
    """Write beside the target, then rename: a reader never sees half a file. Text is UTF-8.
    A file replaced keeps its permissions; a new one gets `mode` (default: owner only)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    with replaced_atomically(path, mode) as tmp:
        tmp.write_bytes(data)


@contextmanager
def replaced_atomically(path: Path, mode: int | None = None) -> Iterator[Path]:
    """A temporary path beside `path` for a writer that wants a file name (a library saving a
    workbook); renamed to `path` when the block ends without error, removed otherwise.
    Permissions as for write_atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        if path.exists():
            tmp.chmod(path.stat().st_mode & 0o7777)
        elif mode is not None:
            tmp.chmod(mode)
        yield tmp
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
