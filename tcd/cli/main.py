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

import typer

from tcd import __version__
from tcd.cli import inventory_cmd, lab_cmd, survey_cmd
from tcd.cli.demo_cmd import demo_command
from tcd.cli.plan_cmd import plan
from tcd.cli.readiness_cmd import readiness
from tcd.cli.rollout_cmd import rollout_command
from tcd.cli.verify_cmd import verify_command

app = typer.Typer(
    name="tcd",
    help="tcd-fleet: readiness, rollout and compliance of Đồng Nai's online citizen"
    " reception sites.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(inventory_cmd.app, name="inventory")
app.add_typer(lab_cmd.app, name="lab")
app.add_typer(survey_cmd.app, name="survey")
app.command()(plan)
app.command(name="rollout")(rollout_command)
app.command(name="verify")(verify_command)
app.command()(readiness)
app.command(name="demo")(demo_command)


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
