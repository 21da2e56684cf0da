"""The `evalharness` command: a thin typer shell over the library. Only this package exits."""

from __future__ import annotations

import sys

import typer

from ..errors import EvalHarnessError
from .common import err_console

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
                  help="Evaluate fine-tuned checkpoints of low-resource language models, honestly.")


def _register() -> None:
    from . import champion as champion_cmd
    from . import gate as gate_cmd
    from . import run as run_cmd
    from . import runs as runs_cmd
    from . import suites as suites_cmd

    app.command("run")(run_cmd.run)
    app.add_typer(runs_cmd.app, name="runs")
    app.add_typer(suites_cmd.app, name="suites")
    app.command("gate")(gate_cmd.gate)
    app.add_typer(champion_cmd.app, name="champion")


_register()


def main() -> None:
    try:
        app(standalone_mode=True)
    except EvalHarnessError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(exc.exit_code)
