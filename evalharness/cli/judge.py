"""`evalharness judge rubric|import-ratings|calibrate|unstable|verdicts`.

Judging itself happens inside `evalharness run` when the `cas` metric is enabled and `[judge]` is set up
(answers already judged under the same judge and rubric come from the cache). These commands check the
rubric, bring in human ratings, and report how far the judge can be trusted.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..errors import InputError
from .common import RunIdArg, console, load, print_json, styled
from .run import ConfigOpt, DbOpt

if TYPE_CHECKING:
    from ..judge.calibrate import Agreement, Interval

app = typer.Typer(no_args_is_help=True, help="The Cultural Authenticity judge: rubric, human ratings, agreement.")
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


@app.command("rubric")
def rubric(
    path: Annotated[Path | None, typer.Argument(help="rubric TOML (default: [judge] rubric)")] = None,
    config: ConfigOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Check a rubric file and show its criteria, flags and sha256 (the hash stored with every score)."""
    from ..judge.rubric import load_rubric

    cfg, _ = load(config, None)
    r = load_rubric(path if path is not None else cfg.resolve(cfg.judge.rubric))
    if json_out:
        print_json(
            {
                "path": r.path,
                "name": r.name,
                "version": r.version,
                "sha256": r.sha256,
                "criteria": list(r.criteria_ids),
                "flags": list(r.flag_ids),
            }
        )
        return
    console.print(styled((r.spec.title, "bold"), f" — {r.name} {r.version}\nsha256 {r.sha256}\n{r.path}"))
    table = Table("name", "1", "3", "5")
    table.add_column("criterion", no_wrap=True)
    for cid, c in r.spec.criteria.items():
        table.add_row(c.name, c.score_1, c.score_3, c.score_5, cid)
    console.print(table)
    console.print("flags: " + (", ".join(r.flag_ids) or "none"))


@app.command("import-ratings")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="CSV or JSONL: item_id, candidate, rating, rater")],
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Store human CAS ratings (every file checked before anything is written)."""
    from ..judge.ratings import import_ratings, read_ratings

    _, store = load(config, db)
    batches = [(f, read_ratings(f)) for f in files]
    for f, rows in batches:
        n = import_ratings(store, rows, source=f"import:{f.name}")
        console.print(f"{f}: {n} rating(s) stored")


def _ci(interval: Interval, value: float | None) -> str:
    if value is None:
        return "undefined"
    if interval.low is None or interval.high is None:
        return f"{value:.3f}"
    return f"{value:.3f} [{interval.low:.3f}, {interval.high:.3f}]"


@app.command("calibrate")
def calibrate_cmd(
    ratings: Annotated[
        list[Path] | None, typer.Option("--ratings", "-r", help="import this file first; repeat")
    ] = None,
    resamples: Annotated[int, typer.Option(min=0, max=100000, help="bootstrap resamples")] = 1000,
    seed: Annotated[int, typer.Option(help="bootstrap seed (recorded in the report)")] = 12345,
    config: ConfigOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Judge–human agreement (quadratic-weighted κ, Spearman ρ, leniency bias) per judge model and rubric."""
    from ..judge.calibrate import calibrate
    from ..judge.ratings import import_ratings, read_ratings, stored_ratings

    _, store = load(config, db)
    batches = [(f, read_ratings(f)) for f in ratings or []]  # every file checked before anything is written
    for f, rows in batches:
        import_ratings(store, rows, source=f"import:{f.name}")
    human = stored_ratings(store)
    if not human:
        raise InputError(
            "no human CAS ratings in the store",
            hint="import some with `evalharness judge "
            "import-ratings FILE` or --ratings FILE, or rate answers in the dashboard",
        )
    report = calibrate(store, human, n_resamples=resamples, seed=seed)
    if json_out:
        print_json(asdict(report))
        return
    if not report.agreements:
        console.print(
            f"{report.n_ratings} rating(s), but none matches an answer the judge has graded "
            "(same item id and exact answer text). Run `evalharness run` with the judge on those answers."
        )
        return
    table = Table(
        title=f"Judge–human agreement ({report.n_ratings} human ratings of {report.n_answers} answers in the store; "
        f"95% bootstrap intervals over answers, seed {seed})"
    )
    for col in (
        "judge",
        "rubric",
        "ratings",
        "answers",
        "raters",
        "κ (quadratic)",
        "Spearman ρ",
        "bias judge−human",
        "exact",
        "±1",
    ):
        table.add_column(col)
    for a in report.agreements:
        table.add_row(
            f"{a.judge_provider}:{a.judge_model}",
            _rubric(a),
            str(a.n_ratings),
            str(a.n_answers),
            str(a.n_raters),
            _ci(a.kappa_ci, a.kappa),
            _ci(a.rho_ci, a.rho),
            _ci(a.bias_ci, a.bias),
            f"{a.exact:.0%}",
            f"{a.within_one:.0%}",
        )
    console.print(table)
    console.print(
        f"{report.n_multi_voice} of {report.n_answers} answers had more than one voice (their grade is the voices' "
        f"mean); {report.n_settled} were settled by an admin (their grade is the settled one)."
    )
    for a in report.agreements:
        for note in a.notes:
            console.print(styled((f"{a.judge_model} / {_rubric(a)}:", "yellow"), f" {note}"))


def _rubric(a: Agreement) -> str:
    return f"{a.rubric_name or '?'} {a.rubric_version or '?'} #{a.rubric_hash[:8]}"


@app.command("unstable")
def unstable(
    run_id: RunIdArg,
    config: ConfigOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Items of a run whose judge samples disagreed by 2 points or more (the configured spread)."""
    from ..store import judging as judge_records
    from ..store import runs as records

    _, store = load(config, db)
    if records.get_run(store, run_id) is None:
        raise InputError(f"no run '{run_id}'", field="run_id", hint="see `evalharness runs list`")
    rows = judge_records.unstable_items(store, run_id)
    if json_out:
        print_json(rows)
        return
    table = Table("item", "overall grades", "spread", "CAS", "flags", title=f"Unstable CAS items in {run_id}")
    for r in rows:
        table.add_row(
            r["item_id"],
            " ".join(map(str, r["overall_scores"])),
            str(r["spread"]),
            f"{100 * r['cas']:.1f}",
            ", ".join(r["flags"]),
        )
    console.print(table if rows else f"No unstable CAS items in {run_id}.")


@app.command("verdicts")
def verdicts(
    run_id: RunIdArg,
    item: Annotated[str | None, typer.Option(help="one item id")] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Every judge sample behind a run's CAS: grades, rationale, flags."""
    from ..store import judging as judge_records

    _, store = load(config, db)
    frame = judge_records.run_verdicts(store, run_id)
    if item is not None:
        frame = frame[frame["item_id"] == item]
    if json_out:
        print_json(frame.to_dict(orient="records"))
        return
    table = Table("item", "sample", "overall", "criteria", "flags", "rationale / error")
    for row in frame.itertuples():
        table.add_row(
            row.item_id,
            str(row.sample_index),
            "—" if row.overall is None or row.overall != row.overall else str(int(row.overall)),
            row.criteria_json or "",
            ", ".join(row.flags if row.flags is not None else []),
            row.rationale or row.error or "",
        )
    console.print(table)
