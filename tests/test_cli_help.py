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


SELECTING = [
    ["plan"],
    ["inventory", "export", "-o", "-"],
    ["verify"],
    ["lab", "up"],
    ["rollout", "--lab"],
]


def test_every_command_that_selects_sites_takes_wave_sites_all_the_same_way(tcd):
    for command in SELECTING:
        both = tcd(*command, "--wave", "pilot", "--sites", "25195")
        assert both.exit_code == 2, command
        assert "give one of --wave, --sites, --all (got --wave and --sites)" in both.stderr
        unknown = tcd(*command, "--wave", "wave-9")
        assert unknown.exit_code == 2 and "unknown wave 'wave-9'" in unknown.stderr, command
    for command in (["verify"], ["lab", "up"], ["rollout"]):
        # these change or start things: never all by default
        none = tcd(*command)
        assert none.exit_code == 2 and "choose the sites: --wave W" in none.stderr, command
    assert tcd("plan", "--all", "--format", "json").exit_code == 0


def test_rollout_keeps_its_positional_wave_and_takes_dry_run_as_dry(tcd):
    two = tcd("rollout", "pilot", "--wave", "wave-1", "--lab")
    assert two.exit_code == 2 and "two waves given: pilot and --wave wave-1" in two.stderr
    # both spellings parse; the unknown wave is what stops them, before any host is reached
    for dry in ("--dry", "--dry-run"):
        unknown = tcd("rollout", "wave-9", "--lab", dry)
        assert unknown.exit_code == 2 and "unknown wave 'wave-9'" in unknown.stderr, dry
