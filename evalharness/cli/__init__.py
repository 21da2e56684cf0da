"""The `evalharness` command: a thin typer shell over the library. Only this package exits."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from ..errors import EvalHarnessError
from .common import err_console, styled


class _Group(TyperGroup):
    """Turns the library's typed errors into a message and the documented exit code (2 bad input,
    3 incomplete, …) for every sub-command — the only place the program exits on an error."""

    def invoke(self, ctx: Any) -> Any:  # typer passes its own click Context class
        try:
            return super().invoke(ctx)
        except EvalHarnessError as exc:
            err_console.print(styled(("error:", "bold red"), " ", str(exc)), highlight=False, soft_wrap=True)
            ctx.exit(exc.exit_code)


app = typer.Typer(
    cls=_Group,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    help="Evaluate fine-tuned checkpoints of low-resource language models, honestly.",
)


def _register() -> None:
    """Sub-commands, grouped as a user meets them: evaluate, gate, review, inspect."""
    from . import champion as champion_cmd
    from . import dashboard as dashboard_cmd
    from . import gate as gate_cmd
    from . import judge as judge_cmd
    from . import monitor as monitor_cmd
    from . import review as review_cmd
    from . import reviewers as reviewers_cmd
    from . import run as run_cmd
    from . import runs as runs_cmd
    from . import store as store_cmd
    from . import suites as suites_cmd

    app.command("run")(run_cmd.run)
    app.command("gate")(gate_cmd.gate)
    app.add_typer(champion_cmd.app, name="champion")
    app.add_typer(runs_cmd.app, name="runs")
    app.add_typer(suites_cmd.app, name="suites")
    app.add_typer(judge_cmd.app, name="judge")
    app.command("dashboard")(dashboard_cmd.command)
    app.add_typer(reviewers_cmd.app, name="reviewers")
    app.add_typer(reviewers_cmd.corrections_app, name="corrections")
    app.command("review")(review_cmd.review)
    app.add_typer(monitor_cmd.app, name="monitor")
    app.add_typer(store_cmd.app, name="store")


_register()


def main() -> None:
    app()
