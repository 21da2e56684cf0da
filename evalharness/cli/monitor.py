"""`evalharness monitor list|check|status|rebaseline|import-log` — for a scheduler (cron, systemd, GitHub Actions)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markdown import Markdown
from rich.table import Table

from ..errors import EvalHarnessError, InputError
from .common import JsonOpt, console, load, print_json
from .run import ConfigOpt, DbOpt

app = typer.Typer(
    no_args_is_help=True,
    help="Watch deployed endpoints: canary checks, drift alarms, retirement, alerts, live answers for reviewers.",
)


class AlarmActive(EvalHarnessError):
    """`monitor check --fail-on-alarm` while an alarm is on: exit 1 so the scheduler marks the job failed."""

    exit_code = 1


def _write_job_summary(markdown: str) -> None:
    """In GitHub Actions the check's report goes to the job's summary page."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if os.environ.get("GITHUB_ACTIONS") == "true" and path:
        with Path(path).open("a", encoding="utf-8") as fh:
            fh.write(markdown + "\n")


@app.command("list")
def list_monitors(config: ConfigOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """The declared monitors, with their last check."""
    from ..monitor.registry import load_monitors
    from ..store import monitor as mdb

    cfg, store = load(config, db)
    monitors = load_monitors(cfg)
    latest = {c.monitor: c for c in mdb.latest_checks(store)} if store.exists() else {}
    if json_out:
        print_json(
            [
                {
                    "name": n,
                    "endpoint": m.endpoint,
                    "suites": m.suites,
                    "canary_size": m.canary_size,
                    "last_check": dataclasses.asdict(latest[n]) if n in latest else None,
                }
                for n, m in monitors.items()
            ]
        )
        return
    table = Table(title="Monitors")
    for col in ("monitor", "endpoint", "canary", "last check", "status", "alarm", "retirement"):
        table.add_column(col)
    for name, m in monitors.items():
        c = latest.get(name)
        retire = ((c.summary.get("retirement") or {}).get("description") if c else None) or "—"
        table.add_row(
            name,
            m.endpoint,
            str(m.canary_size),
            f"{c.seq} at {c.started_at:%Y-%m-%d %H:%M}" if c else "never",
            c.status if c else "—",
            "yes" if c and c.alarm else "",
            retire,
        )
    console.print(table)
    if not monitors:
        console.print(
            "No monitors declared: add [monitors.<name>] to the config or a file monitors/<name>.toml "
            "(see docs/monitor.md)."
        )


@app.command("check")
def check(
    name: Annotated[list[str] | None, typer.Argument(help="monitor name(s); default: every declared monitor")] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
    fail_on_alarm: Annotated[
        bool, typer.Option("--fail-on-alarm", help="exit 1 while an alarm (drift, endpoint gone, errors) is on")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """One check of each monitor: fresh canary answers, the comparison with the baseline, alerts on changes."""
    from ..monitor.check import run_check
    from ..monitor.registry import find_monitor, load_monitors
    from ..monitor.report import check_markdown
    from ..store import monitor_alerts as alerts_db

    cfg, store = load(config, db)
    names = name or list(load_monitors(cfg))
    if not names:
        raise InputError(
            "no monitors declared",
            field="monitors",
            hint="add [monitors.<name>] to the config or monitors/<name>.toml (see docs/monitor.md)",
        )
    monitors = [find_monitor(cfg, n) for n in names]  # every name checked before the first request
    results = []
    for monitor in monitors:
        result = run_check(cfg, store, monitor)
        results.append(result)
        markdown = check_markdown(result)
        _write_job_summary(markdown)
        if not json_out:
            console.print(Markdown(markdown))
    states = {m.name: alerts_db.alert_states(store, m.name or "") for m in monitors}
    if json_out:
        print_json(
            [
                {
                    "check": dataclasses.asdict(r.check),
                    "alerts": [dataclasses.asdict(a) for a in r.alerts],
                    "active": [s.condition for s in states[r.target.name] if s.active],
                }
                for r in results
            ]
        )
    alarms = [
        f"{n}: {s.condition}" for n, rows in states.items() for s in rows if s.active and s.condition != "retirement"
    ]
    if fail_on_alarm and alarms:
        raise AlarmActive("alarm on — " + "; ".join(alarms) + ". See `evalharness monitor status`.")


@app.command("status")
def status(
    name: Annotated[str, typer.Argument(help="monitor name")],
    config: ConfigOpt = None,
    db: DbOpt = None,
    checks: Annotated[int, typer.Option(help="how many recent checks to show")] = 20,
    json_out: JsonOpt = False,
) -> None:
    """A monitor's recent checks and which conditions are on."""
    from ..monitor.registry import find_monitor
    from ..monitor.report import series_markdown
    from ..store import monitor as mdb
    from ..store import monitor_alerts as alerts_db

    cfg, store = load(config, db)
    find_monitor(cfg, name)
    rows = mdb.list_checks(store, name)[-checks:] if store.exists() else []
    states = alerts_db.alert_states(store, name) if store.exists() else []
    if json_out:
        print_json(
            {
                "checks": [dataclasses.asdict(c) for c in rows],
                "states": [dataclasses.asdict(s) for s in states],
                "alerts": [dataclasses.asdict(a) for a in alerts_db.list_alerts(store, name, 20)]
                if store.exists()
                else [],
            }
        )
        return
    console.print(Markdown(series_markdown(name, rows, states)))


@app.command("rebaseline")
def rebaseline(
    name: Annotated[str, typer.Argument(help="monitor name")],
    reason: Annotated[str, typer.Option(help="why (recorded with the baseline)")],
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Accept the endpoint as it answers now: the next complete check becomes the new baseline."""
    from ..monitor.check import rebaseline as do_rebaseline
    from ..monitor.registry import find_monitor

    cfg, store = load(config, db)
    row = do_rebaseline(cfg, store, find_monitor(cfg, name), reason=reason)
    console.print(
        f"New baseline {row.baseline_id} for {name}: the next complete check sets it; a new drift test starts there."
    )


@app.command("import-log")
def import_log(
    file: Annotated[Path, typer.Argument(help="OpenAI chat JSONL, or {time, question, answer, consent} JSONL/CSV")],
    monitor: Annotated[str, typer.Option("--monitor", "-m", help="the monitor whose endpoint wrote the log")],
    config: ConfigOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Live answers from the deployed app's logs → the reviewers' queue (consented, de-duplicated, sampled)."""
    from ..monitor.live import import_log as do_import
    from ..monitor.registry import find_monitor

    cfg, store = load(config, db)
    result = do_import(cfg, store, find_monitor(cfg, monitor), file)
    if json_out:
        print_json(dataclasses.asdict(result))
        return
    console.print(
        f"{file}: {result.summary}. Reviewers find them on the dashboard's Live answers page.", highlight=False
    )
