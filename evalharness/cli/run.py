"""`evalharness run`: every checkpoint × suite, with progress bars and a score table."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..errors import IncompleteRunError, InputError
from .common import console, load, print_json, styled
from .progress import progress_bars

if TYPE_CHECKING:
    from ..runner import RunResult

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="config TOML (default ./evalharness.toml)")]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="the store: a DuckDB file or a postgresql:// URL (overrides EVALHARNESS_DB and the config)"
    ),
]


def _fmt(value: float | None, status: str, reason: str | None) -> str:
    if value is None:
        return "n/a" if status == "unsupported" else status
    return f"{value:.2f}" if status == "scored" else f"{value:.2f}*"


def score_tables(results: list[RunResult], metric_names: list[str]) -> list[Table]:
    """One table per suite: metrics down, checkpoints across — readable in an 80-column terminal or CI log."""
    from ..registry import metric_label

    tables = []
    for suite in dict.fromkeys(r.suite for r in results):
        runs = [r for r in results if r.suite == suite]
        table = Table(title=f"{suite} — corpus scores (0–100 unless marked; ↓ lower is better)", title_justify="left")
        table.add_column("metric", no_wrap=True)
        for r in runs:
            table.add_column(r.checkpoint, justify="right")
        for name in metric_names:
            table.add_row(
                metric_label(name),
                *[
                    _fmt(r.metrics[name]["corpus_score"], r.metrics[name]["status"], r.metrics[name]["reason"])
                    if name in r.metrics
                    else "—"
                    for r in runs
                ],
            )
        table.add_section()
        table.add_row(
            "status",
            *[
                r.status + (f" ({r.n_failed} failed)" if r.n_failed else "") + (" · reused" if r.reused else "")
                for r in runs
            ],
        )
        table.add_row("items", *[str(r.n_items) for r in runs])
        if any(r.extraction for r in runs):
            table.add_row(
                "extracted",
                *[
                    f"{r.extraction['extracted']} ({r.extraction['failed']} failed)" if r.extraction else "—"
                    for r in runs
                ],
            )
        if any(r.cost is not None for r in runs):
            table.add_row("cost", *[_fmt_cost(r.cost) for r in runs])
        tables.append(table)
    return tables


def _fmt_cost(cost: dict | None) -> str:
    """Local runs: —. Remote: dollars, or "?" when a price or a token count is missing (never $0 for unknown)."""
    if cost is None:
        return "—"
    if cost.get("usd") is None:
        return "?"
    return f"${cost['usd']:.4f}"


def run(
    checkpoint: Annotated[
        list[str] | None, typer.Option("--checkpoint", "-c", help="name or manifest path; repeat")
    ] = None,
    suite: Annotated[list[str] | None, typer.Option("--suite", "-s", help="name or folder; repeat")] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
    rescore: Annotated[bool, typer.Option(help="recompute scores from what is stored; send nothing")] = False,
    new: Annotated[bool, typer.Option(help="start new runs instead of resuming or reusing")] = False,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed",
            help="ask again for what failed in the newest run of each checkpoint × suite: failed items, and "
            "the failed judge verdicts or log-likelihoods of a complete run; nothing else is sent",
        ),
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print results as JSON")] = False,
) -> None:
    """Evaluate checkpoints on suites (default: the config's lists). Resumes interrupted runs."""
    from ..checkpoints import find_checkpoint
    from ..registry import backend
    from ..runner import Runner, check_allowed
    from ..suites import load_suite

    cfg, store = load(config, db)
    checkpoints = [
        find_checkpoint(c, cfg.resolve(cfg.run.checkpoints_dir)) for c in (checkpoint or cfg.run.checkpoints)
    ]
    suites = [
        load_suite(s if Path(s).is_dir() else cfg.resolve(cfg.run.suites_dir) / s) for s in (suite or cfg.run.suites)
    ]
    if rescore and retry_failed:
        raise InputError(
            "--rescore and --retry-failed exclude each other",
            field="--retry-failed",
            hint="--rescore generates nothing; --retry-failed generates only what failed",
        )
    for ckpt in checkpoints:  # every suite's governance before the first request of the first run
        for s in suites:
            check_allowed(ckpt, s)
    if not rescore:
        for ckpt in checkpoints:  # every key and setting before the first request of the first run
            backend(ckpt.backend).preflight(ckpt, cfg.keys)
    results: list[RunResult] = []
    skipped: list[str] = []
    total = len(checkpoints) * sum(len(s.items) for s in suites)
    with progress_bars(console, total_items=total, runs=len(checkpoints) * len(suites), disable=json_out) as bars:
        runner = Runner(cfg, store, progress=bars)
        for ckpt in checkpoints:
            for s in suites:
                if retry_failed:
                    result = runner.retry_failed(ckpt, s)
                    if result is None:
                        skipped.append(f"{ckpt.name} on {s.name}")
                        continue
                    results.append(result)
                else:
                    results.append(runner.run(ckpt, s, rescore=rescore, new=new))
    names = runner.metric_names(suites)
    if json_out:
        print_json({"db": store.display, "runs": [asdict(r) for r in results], "nothing_to_retry": skipped})
    else:
        if skipped:
            console.print(f"nothing to retry (no run, or nothing in it failed) for: {', '.join(skipped)}")
        for table in score_tables(results, names):
            console.print(table)
        unknown = [r for r in results if r.cost is not None and r.cost.get("usd") is None]
        for r in unknown:
            reason = (r.cost or {}).get("reason")
            console.print(f"cost of {r.checkpoint} on {r.suite} unknown: {reason}", highlight=False)
        if any(m["status"] == "partial" for r in results for m in r.metrics.values()):
            console.print("* scored on the items that did not fail; see `evalharness runs show RUN`.")
        if any(m["status"] == "unsupported" for r in results for m in r.metrics.values()):
            console.print("n/a: not measured — the backend gives no log-likelihoods (never reported as a number).")
        _print_judge_notes(store, results)
        console.print(styled("Results are in ", (store.display, "bold"), " (see `evalharness runs list`)."))
    incomplete = [r for r in results if r.status != "complete"]
    if incomplete:
        raise IncompleteRunError(
            f"{len(incomplete)} run(s) incomplete: "
            + ", ".join(f"{r.run_id} ({r.checkpoint} on {r.suite}, {r.n_failed} failed)" for r in incomplete)
            + ". Retry what failed with `evalharness run "
            "--retry-failed` (the same command without the flag also resumes them)."
        )


def _print_judge_notes(store, results: list[RunResult]) -> None:
    """Items whose judge samples disagreed: the CAS of those is not to be trusted without a person."""
    from ..store import runs as run_rows

    for r in results:
        row = run_rows.get_run(store, r.run_id)
        unstable = ((row.summary or {}).get("judge") or {}).get("unstable_items") if row else None
        if unstable:
            console.print(
                f"CAS: {len(unstable)} unstable item(s) in {r.run_id} (judge samples disagree by 2+ "
                f"points): {', '.join(unstable[:8])}{' …' if len(unstable) > 8 else ''} — see "
                f"`evalharness judge unstable {r.run_id}`."
            )
