"""`evalharness champion show|set|history`: the checkpoint every candidate is gated against."""

from __future__ import annotations

import getpass
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from .common import JsonOpt, console, load, print_json, styled
from .run import ConfigOpt, DbOpt

app = typer.Typer(no_args_is_help=True, help="Show, set and trace the champion checkpoint.")


@app.command("show")
def show(config: ConfigOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """The current champion."""
    from ..gate import current_champion

    _, store = load(config, db)
    champion = current_champion(store) if store.exists() else None
    if json_out:
        print_json(asdict(champion) if champion else None)
        return
    if champion is None:
        console.print(
            "No champion recorded yet. Set one with `evalharness champion set NAME`, or let the first "
            "`evalharness gate --record` make its candidate the champion."
        )
        return
    console.print(
        styled(
            (champion.checkpoint_name, "bold"),
            f" (identity {champion.checkpoint_identity[:12]}) · since {str(champion.set_at)[:19]} · by "
            f"{champion.set_by} · {champion.reason}"
            + (f" · decision {champion.decision_id}" if champion.decision_id else ""),
        )
    )


@app.command("set")
def set_(
    name: Annotated[str, typer.Argument(help="checkpoint name or manifest path")],
    reason: Annotated[str, typer.Option(help="why (kept in the history)")] = "set by hand",
    by: Annotated[str | None, typer.Option(help="who (default: the current user)")] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Make a checkpoint the champion without a gate decision (a first champion, or a deliberate roll-back)."""
    from ..checkpoints import find_checkpoint
    from ..gate import set_champion

    cfg, store = load(config, db)
    checkpoint = find_checkpoint(name, cfg.resolve(cfg.run.checkpoints_dir))
    champion = set_champion(store, checkpoint.name, checkpoint.identity, set_by=by or getpass.getuser(), reason=reason)
    if json_out:
        print_json(asdict(champion))
    else:
        console.print(styled("Champion is now ", (champion.checkpoint_name, "bold"), f" (#{champion.seq})."))


@app.command("history")
def history(
    config: ConfigOpt = None,
    db: DbOpt = None,
    limit: Annotated[int, typer.Option(help="show at most this many, newest first")] = 100,
    json_out: JsonOpt = False,
) -> None:
    """Every champion, newest first, with the decision that made it."""
    from ..gate import champion_history

    _, store = load(config, db)
    rows = champion_history(store, limit) if store.exists() else []
    if json_out:
        print_json([asdict(r) for r in rows])
        return
    table = Table(title=f"Champions in {store.display}")
    for col in ("#", "checkpoint", "identity", "since", "by", "decision", "reason"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r.seq),
            r.checkpoint_name,
            r.checkpoint_identity[:12],
            str(r.set_at)[:19],
            r.set_by,
            r.decision_id or "—",
            r.reason,
        )
    console.print(table)
