"""`evalharness gate`: advance or revert a candidate against the champion. Exit 0 advance, 1 revert,
2 bad input or config, 3 incomplete run or missing metric."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markdown import Markdown
from rich.text import Text

from ..errors import ConfigError, InputError
from .common import console, err_console, load, print_json
from .progress import progress_bars
from .run import ConfigOpt, DbOpt


def _write(path: Path, text: str) -> None:
    """Atomic: a CI step never reads half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def gate(
    candidate: Annotated[
        list[str],
        typer.Option(
            "--candidate",
            "-c",
            help="checkpoint name or manifest; repeat to "
            "gate several in order (each against the champion left before it)",
        ),
    ],
    champion: Annotated[
        str | None, typer.Option(help="compare with this checkpoint instead of the recorded champion")
    ] = None,
    suite: Annotated[
        list[str] | None, typer.Option("--suite", "-s", help="name or folder; repeat (default: the config's suites)")
    ] = None,
    record: Annotated[bool, typer.Option(help="on advance, make the candidate the recorded champion")] = False,
    require_champion: Annotated[
        bool,
        typer.Option(
            "--require-champion",
            help="refuse (exit 2) when no champion is recorded and none is given, instead of letting the first "
            "candidate advance without a comparison (what CI should do)",
        ),
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print the JSON report on stdout")] = False,
    report_md: Annotated[Path | None, typer.Option("--report-md", help="write the Markdown report here")] = None,
    report_json: Annotated[Path | None, typer.Option("--report-json", help="write the JSON report here")] = None,
    seed: Annotated[int | None, typer.Option(help="override the policy's seed")] = None,
    resamples: Annotated[int | None, typer.Option(help="override the policy's number of resamples")] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Compare candidate(s) with the champion on paired statistics and decide: advance or revert.

    Runs whatever is missing (complete runs on the same suite versions are reused). The Markdown report
    is appended to $GITHUB_STEP_SUMMARY when that is set.
    """
    from ..checkpoints import find_checkpoint
    from ..gate import current_champion, rounds_exit_code, run_rounds, short_verdict, to_json, to_markdown
    from ..runner import Runner
    from ..suites import load_suite

    cfg, store = load(config, db)
    overrides = {k: v for k, v in (("seed", seed), ("resamples", resamples)) if v is not None}
    if overrides:
        try:
            cfg = cfg.model_copy(update={"gate": type(cfg.gate).model_validate({**cfg.gate.model_dump(), **overrides})})
        except ValueError as exc:
            raise ConfigError(str(exc).splitlines()[-1].strip(), field="--" + next(iter(overrides))) from None
    ckpt_dir = cfg.resolve(cfg.run.checkpoints_dir)
    candidates = [find_checkpoint(c, ckpt_dir) for c in candidate]
    champ = find_checkpoint(champion, ckpt_dir) if champion else None
    if require_champion and champ is None and current_champion(store) is None:
        raise InputError(
            f"no champion is recorded in the store {store.display}, so there is nothing to compare with",
            field="champion",
            hint="set the checkpoint the community uses today as the first champion: "
            '`evalharness champion set NAME --reason "..."` (with the same store: --db or EVALHARNESS_DB)',
        )
    suites = [
        load_suite(s if Path(s).is_dir() else cfg.resolve(cfg.run.suites_dir) / s) for s in (suite or cfg.run.suites)
    ]
    # each round runs (or reuses) the champion's and the candidate's runs on every suite
    runs = 2 * len(candidates) * len(suites)
    total = 2 * len(candidates) * sum(len(s.items) for s in suites)
    with progress_bars(err_console, total_items=total, runs=runs, disable=json_out) as bars:
        runner = Runner(cfg, store, progress=bars)
        results = run_rounds(
            cfg,
            store,
            candidates,
            suites,
            champion=champ,
            record=record,
            evaluate=lambda checkpoint, suite: runner.run(checkpoint, suite).run_id,
        )
    code = rounds_exit_code(results)
    markdown = "\n".join(to_markdown(r) for r in results)
    publishable = {s.name for s in suites if s.meta.governance.allows("publication")}
    reports = [to_json(r, publishable=publishable) for r in results]
    payload = reports[0] if len(reports) == 1 else {"exit_code": code, "rounds": reports}
    if report_md:
        _write(report_md, markdown)
    if report_json:
        _write(report_json, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(markdown + "\n")
    if json_out:
        print_json(payload)
    else:
        if not report_md:  # the full report goes to the terminal only when no file takes it
            console.print(Markdown(markdown))
        # The verdict comes last, short, so it is on screen when the command ends.
        written = [str(p) for p in (report_md, report_json) if p]
        console.print(Text("\n".join(short_verdict(results, reports=written)), style="bold"), soft_wrap=True)
    if code:
        raise typer.Exit(code)
