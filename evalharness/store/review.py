"""The reviewer chat's SQL: read the latest results (runs, metrics, gate decisions, champion) and audit its calls.

Reads only aggregates and reports — never `suite_items` or generations — because these rows are sent to an
external model, and a suite's items may only leave the machine where its governance allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .audit import ExternalCallRow, write_calls
from .connection import Store
from .gate import ChampionRow, DecisionRow, champion_history
from .gate import list_decisions as _list_decisions
from .runs import RUN_COLUMNS, RunRow, runs_by_id
from .runs import _run as _run_row
from .scores import metrics_of_runs


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    checkpoint_name: str
    suite_name: str
    suite_version: str
    suite_hash: str
    status: str
    n_items: int
    n_ok: int | None
    n_failed: int | None
    started_at: Any
    finished_at: Any
    prompt_tokens: int | None
    completion_tokens: int | None
    cost_usd: float | None
    summary: dict[str, Any] | None
    metrics: tuple[dict[str, Any], ...]


#: The reviewer reads the same row types as the gate and the dashboard.
DecisionSummary = DecisionRow


@dataclass(frozen=True)
class LatestResults:
    runs: tuple[RunSummary, ...]
    decisions: tuple[DecisionSummary, ...]
    champions: tuple[ChampionRow, ...]


def latest_results(store: Store, *, runs: int, decisions: int, champions: int = 5) -> LatestResults:
    """The newest run of each (checkpoint, suite), plus every run the newest decisions refer to; the newest
    decisions; the champion history."""
    found = _list_decisions(store, decisions)
    referenced = sorted({rid for d in found for rid in (*d.candidate_run_ids, *d.champion_run_ids)})
    newest = [
        _run_row(r)
        for r in store.query(
            f"SELECT {RUN_COLUMNS} FROM (SELECT {RUN_COLUMNS}, row_number() OVER (PARTITION BY checkpoint_name, "
            "suite_name ORDER BY started_at DESC, run_id) AS newest FROM runs) t "
            "WHERE newest = 1 ORDER BY started_at DESC, run_id LIMIT ?",
            [runs],
        )
    ]
    have = {r.run_id for r in newest}
    run_rows = newest + runs_by_id(store, [rid for rid in referenced if rid not in have])
    metrics: dict[str, list[dict[str, Any]]] = {}
    for m in metrics_of_runs(store, [r.run_id for r in run_rows]):
        metrics.setdefault(m.run_id, []).append({k: v for k, v in m.as_dict().items() if k != "stat_names"})
    return LatestResults(
        runs=tuple(_summary(r, metrics.get(r.run_id, [])) for r in run_rows),
        decisions=tuple(found),
        champions=tuple(champion_history(store, champions)),
    )


def _summary(r: RunRow, metrics: list[dict[str, Any]]) -> RunSummary:
    return RunSummary(
        r.run_id,
        r.checkpoint_name,
        r.suite_name,
        r.suite_version,
        r.suite_hash,
        r.status,
        r.n_items,
        r.n_ok,
        r.n_failed,
        r.started_at,
        r.finished_at,
        r.prompt_tokens,
        r.completion_tokens,
        r.cost_usd,
        r.summary,
        tuple(metrics),
    )


def record_review_call(
    store: Store,
    *,
    provider: str,
    model: str,
    status: str,
    http_status: int | None,
    prompt_tokens: int | None,
    completion_tokens: int | None,
    latency_s: float | None,
) -> str:
    """One row in the external-call audit for a reviewer request (purpose `review`; no item ids, no key)."""
    record = ExternalCallRow(
        provider=provider,
        model=model,
        purpose="review",
        status=status,
        http_status=http_status,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        latency_s=latency_s,
    )
    write_calls(store, [record])
    return record.call_id
