"""Every command's help reads as prose: its paragraphs reflow to the terminal instead of keeping
the source's line breaks (a help line cut mid-sentence is what this catches)."""

import itertools
import re
from typing import Any

import typer.main
from typer.testing import CliRunner

from tcd.cli.main import app

WIDE = 500  # every paragraph of the help fits on one line this wide


def commands(group: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command's path; typer ships its own click, so groups are told by what they do."""
    found = [path]
    if hasattr(group, "list_commands"):
        context = group.context_class(group)
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            assert command is not None
            found += commands(command, (*path, name))
    return found


def test_no_help_breaks_a_sentence():
    runner = CliRunner()
    broken = []
    every = commands(typer.main.get_command(app))
    assert len(every) > 20  # the groups' commands too
    for path in every:
        result = runner.invoke(
            app, [*path, "--help"], env={"COLUMNS": str(WIDE)}, terminal_width=WIDE
        )
        assert result.exit_code == 0, (path, result.output)
        text = result.output.split("╭", 1)[0]  # the description, before the option boxes
        lines = [line.strip() for line in text.splitlines()]
        for before, after in itertools.pairwise(lines):
            if before and after and not re.search(r"[.:;!?)]$", before) and after[0].islower():
                broken.append(f"tcd {' '.join(path)}: {before!r} / {after!r}")
    assert not broken, "\n".join(broken)
