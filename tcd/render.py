"""The one jinja2 environment every config file, export and report is rendered with."""

import math
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

from tcd.paths import TEMPLATES_DIR
from tcd.text import format_vnd


def yaml_scalar(value: Any) -> str:
    """A value written as a YAML flow scalar, quoted only when YAML needs it."""
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=math.inf)
    return text.removesuffix("\n").removesuffix("\n...")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=jinja2.select_autoescape(["html", "xml"]),
    )
    env.filters["yaml"] = yaml_scalar
    env.filters["vnd"] = format_vnd
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def write_atomically(path: Path, content: str | bytes, mode: int | None = None) -> None:
    """Write beside the target, then rename: a reader never sees half a file. Text is UTF-8.
    A file replaced keeps its permissions; a new one gets `mode` (default: owner only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if path.exists():
            Path(tmp).chmod(path.stat().st_mode & 0o7777)
        elif mode is not None:
            Path(tmp).chmod(mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
