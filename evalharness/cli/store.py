"""`evalharness store copy|backup|restore|check`: move a store between engines, keep it, and check it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..errors import InputError
from .common import console, load, print_json, styled
from .run import ConfigOpt, DbOpt

app = typer.Typer(no_args_is_help=True, help="Copy, back up, restore and check a store (file or PostgreSQL).")

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


def _duration(text: str) -> timedelta:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text)
    if not match:
        raise InputError(f"'{text}' is not a duration", field="stuck-after", hint="write e.g. 90m, 6h or 2d")
    value, unit = float(match.group(1)), match.group(2)
    return timedelta(seconds=value * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit])


def _report(report: Any, json_out: bool, verb: str) -> None:
    if json_out:
        print_json(
            {
                "source": report.source,
                "destination": report.destination,
                "rows": report.rows,
                "tables": {t.table: {"rows": t.rows, "checksum": t.checksum} for t in report.tables},
            }
        )
        return
    table = Table(title=f"{verb} {report.source} → {report.destination}")
    for col in ("table", "rows", "checksum (sha256 sum)"):
        table.add_column(col)
    for t in report.tables:
        table.add_row(t.table, str(t.rows), t.checksum[:16])
    console.print(table)
    console.print(
        f"{report.rows} rows in {len(report.tables)} tables; row counts and checksums verified.", highlight=False
    )


@app.command("copy")
def copy(
    source: Annotated[str, typer.Argument(help="store to copy: a DuckDB file or a postgresql:// URL")],
    destination: Annotated[str, typer.Argument(help="an empty store: a new file or an empty database")],
    json_out: JsonOpt = False,
) -> None:
    """Copy every row of SOURCE into the empty DESTINATION (file ↔ server), verified before it commits."""
    from ..store import Store, maintenance

    _report(maintenance.copy_store(Store(source), Store(destination)), json_out, "Copied")


@app.command("backup")
def backup(
    out: Annotated[Path, typer.Option("--out", "-o", help="a new folder for the Parquet files")],
    config: ConfigOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Back up the store as one Parquet file per table plus a manifest (restore with `store restore`)."""
    from ..store import maintenance

    _, store = load(config, db)
    if not store.exists():
        raise InputError(f"no store at {store.display}", field="db")
    _report(maintenance.backup(store, out), json_out, "Backed up")


@app.command("restore")
def restore(
    folder: Annotated[Path, typer.Argument(help="a folder written by `store backup`")],
    destination: Annotated[str, typer.Argument(help="an empty store: a new file or an empty database")],
    json_out: JsonOpt = False,
) -> None:
    """Load a backup into an empty store, verified against the backup's manifest before it commits."""
    from ..store import Store, maintenance

    _report(maintenance.restore(folder, Store(destination)), json_out, "Restored")


@app.command("check")
def check(
    config: ConfigOpt = None,
    db: DbOpt = None,
    stuck_after: Annotated[
        str, typer.Option(help="a `running` run with nothing written for this long is abandoned (e.g. 30m, 6h)")
    ] = "1h",
    close: Annotated[bool, typer.Option("--close", help="mark the abandoned runs `abandoned`")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Integrity of the store: schema version, orphaned rows, runs stuck in `running`. Exit 1 if anything is wrong."""
    from ..store import maintenance

    _, store = load(config, db)
    if not store.exists():
        raise InputError(f"no store at {store.display}", field="db")
    idle = _duration(stuck_after)
    stuck = maintenance.stuck_runs(store, idle=idle)
    closed = maintenance.close_runs(store, [r[0] for r in stuck], idle=idle) if close else 0
    problems = maintenance.check(store, idle=idle)
    if json_out:
        print_json(
            {
                "store": store.display,
                "closed": closed,
                "stuck_runs": [
                    {"run_id": r[0], "checkpoint": r[1], "suite": r[2], "started_at": r[3], "last_activity": r[4]}
                    for r in stuck
                ],
                "problems": [p.__dict__ for p in problems],
            }
        )
    else:
        if stuck:
            table = Table(title=f"Runs stuck in `running` (nothing written for {idle})")
            for col in ("run", "checkpoint", "suite", "started", "last activity"):
                table.add_column(col)
            for run_id, ck, suite, started, last in stuck:
                table.add_row(run_id, ck, suite, str(started)[:19], str(last)[:19])
            console.print(table)
        if closed:
            console.print(
                f"Marked {closed} run(s) `abandoned`. Re-running the same checkpoint and suite resumes "
                "the work (nothing already generated is generated again).",
                highlight=False,
            )
        for p in problems:
            ids = f" (e.g. {', '.join(p.ids)})" if p.ids else ""
            console.print(styled((p.kind, "bold red"), f" {p.table}: {p.count} — {p.detail}{ids}"), highlight=False)
        if not problems:
            console.print(f"{store.display}: no problems found.", highlight=False)
        elif any(p.kind == "stuck_run" for p in problems) and not close:
            console.print("Close abandoned runs with `evalharness store check --close`.")
    if problems:
        raise typer.Exit(1)
