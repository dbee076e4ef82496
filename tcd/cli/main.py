"""Entry point of the `tcd` console script."""

import sys

if sys.argv[1:2] in (["rollout"], ["demo"]):
    # pyinfra talks to many hosts at once through gevent; like pyinfra's own CLI, patch
    # before anything opens sockets or threads (only for the command that needs it).
    # ansible (the camera vault) probes socket.getaddrinfo on loopback when imported, to see if
    # it must patch it; through gevent's resolver that probe fails with a traceback on stderr:
    # let it probe the real one first.
    import ansible.parsing.vault  # noqa: F401
    from gevent import monkey

    monkey.patch_all()

import importlib

import typer

from tcd import __version__
from tcd.cli.common import HELP_MARKUP

# name: (module, attribute, a group of subcommands?), in the order help lists them
COMMANDS = {
    "inventory": ("tcd.cli.inventory_cmd", "app", True),
    "lab": ("tcd.cli.lab_cmd", "app", True),
    "survey": ("tcd.cli.survey_cmd", "app", True),
    "plan": ("tcd.cli.plan_cmd", "plan", False),
    "rollout": ("tcd.cli.rollout_cmd", "rollout_command", False),
    "status": ("tcd.cli.status_cmd", "status_command", False),
    "verify": ("tcd.cli.verify_cmd", "verify_command", False),
    "journal": ("tcd.cli.journal_cmd", "app", True),
    "readiness": ("tcd.cli.readiness_cmd", "readiness", False),
    "demo": ("tcd.cli.demo_cmd", "demo_command", False),
}

app = typer.Typer(
    name="tcd",
    help="tcd-fleet: readiness, rollout and compliance of Đồng Nai's online citizen"
    " reception sites.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=HELP_MARKUP,
)
# Only the command being run is imported: all of them together import pyinfra, ansible and the
# ONVIF client, 1.5 s that `tcd readiness` or `tcd inventory check` would wait for nothing.
# Help, a typo and the tests' runner (no command in argv) see every command.
for name in [sys.argv[1]] if sys.argv[1:2] and sys.argv[1] in COMMANDS else COMMANDS:
    module, attribute, group = COMMANDS[name]
    command = getattr(importlib.import_module(module), attribute)
    if group:
        app.add_typer(command, name=name)
    else:
        app.command(name=name)(command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tcd {__version__}")
        raise typer.Exit


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """tcd-fleet."""
