"""`evalharness runs list|show|export`."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..errors import InputError
from .common import JsonOpt, RunIdArg, console, load, print_json, styled
from .run import ConfigOpt, DbOpt

if TYPE_CHECKING:
    from ..config import Config
    from ..store import Store

app = typer.Typer(no_args_is_help=True, help="List, show and export recorded runs.")


@app.command("list")
def list_runs(
    config: ConfigOpt = None,
    db: DbOpt = None,
    limit: Annotated[int, typer.Option(help="show at most this many, newest first")] = 50,
    json_out: JsonOpt = False,
) -> None:
    """The newest runs first."""
    from ..store import records

    cfg, store = load(config, db)
    rows = records.list_runs(store, limit) if store.exists() else []
    if json_out:
        print_json([asdict(r) for r in rows])
        return
    table = Table(title=f"Runs in {store.path}")
    for col in ("run", "checkpoint", "suite", "version", "status", "items", "failed", "started"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r.run_id,
            r.checkpoint_name,
            r.suite_name,
            r.suite_version,
            r.status,
            str(r.n_items),
            str(r.n_failed if r.n_failed is not None else "—"),
            str(r.started_at)[:19],
        )
    console.print(table)
    _print_retirement(cfg, store, [r.checkpoint_name for r in rows])


def _print_retirement(cfg: Config, store: Store, checkpoints: list[str]) -> None:
    """Checkpoints whose model retires within the horizon (or is gone), from the monitor's last lookups."""
    from ..monitor.notices import retirement_notices

    for notice in retirement_notices(cfg, store, dict.fromkeys(checkpoints)).values():
        console.print(styled(("warning:", "bold yellow"), f" {notice.text(notice.checkpoint)}"), highlight=False)


@app.command("show")
def show(
    run_id: RunIdArg,
    config: ConfigOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """One run: its metrics (with signatures) and per-direction scores."""
    from ..store import records

    cfg, store = load(config, db)
    row = records.get_run(store, run_id)
    if row is None:
        raise InputError(f"no run '{run_id}'", field="run_id", hint="see `evalharness runs list`")
    metrics = [m.as_dict() for m in records.run_metrics(store, run_id)]
    if json_out:
        from ..monitor.notices import retirement_notices

        notice = retirement_notices(cfg, store, [row.checkpoint_name]).get(row.checkpoint_name)
        print_json(
            {**asdict(row), "metrics": metrics, "retirement": notice.text(notice.checkpoint) if notice else None}
        )
        return
    console.print(
        styled(
            (row.run_id, "bold"),
            f" · {row.checkpoint_name} on {row.suite_name} {row.suite_version} "
            f"(suite {row.suite_hash[:12]}) · {row.status} · {row.n_items} items, {row.n_failed} failed",
        )
    )
    _print_retirement(cfg, store, [row.checkpoint_name])
    cost = (row.summary or {}).get("cost")
    if cost:
        spent = f"${cost['usd']:.4f}" if cost.get("usd") is not None else f"unknown ({cost.get('reason')})"
        console.print(
            f"provider calls: {cost['calls']} ({cost['ok_calls']} answered), {cost['prompt_tokens']} prompt "
            f"+ {cost['completion_tokens']} completion tokens, cost {spent}",
            highlight=False,
        )
    table = Table()
    for col in ("metric", "score", "status", "scored", "unscored", "signature / reason"):
        table.add_column(col)
    for m in metrics:
        score = f"{m['corpus_score']:.3f}" if m["corpus_score"] is not None else m["status"]
        table.add_row(
            m["metric"],
            score,
            m["status"],
            str(m["n_scored"]),
            str(m["n_unscored"]),
            m["signature"] + (f"\n{m['reason']}" if m["reason"] else ""),
        )
    console.print(table)
    by_direction = (row.summary or {}).get("by_direction", {})
    if by_direction:
        dtable = Table(title="By direction")
        dtable.add_column("metric")
        directions = sorted({d for v in by_direction.values() for d in v})
        for d in directions:
            dtable.add_column(d, justify="right")
        for metric, values in by_direction.items():
            dtable.add_row(metric, *[f"{values[d]:.2f}" if d in values else "—" for d in directions])
        console.print(dtable)


@app.command("export")
def export(
    run_ids: Annotated[list[str], typer.Argument(help="one or more run ids (see `evalharness runs list`)")],
    out: Annotated[Path, typer.Option("--out", "-o", help=".csv or .parquet")],
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Every item score of the given runs, with the answers, as CSV or Parquet (unscored: empty cells)."""
    from ..scores_export import export_scores

    _, store = load(config, db)
    n = export_scores(store, run_ids, out)
    console.print(f"wrote {n} rows to {out}", highlight=False, markup=False)
