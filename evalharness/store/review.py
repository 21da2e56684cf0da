"""The reviewer chat's SQL: read the latest results (runs, metrics, gate decisions, champion) and audit its calls.

Reads only aggregates and reports — never `suite_items` or generations — because these rows are sent to an
external model, and a suite's items may only leave the machine where its governance allows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..providers.audit import CallRecord, write_calls
from . import Store


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


@dataclass(frozen=True)
class DecisionSummary:
    decision_id: str
    created_at: Any
    candidate: str
    champion: str | None
    decision: str
    exit_code: int
    reasons: tuple[str, ...]
    candidate_run_ids: tuple[str, ...]
    champion_run_ids: tuple[str, ...]
    report_md: str
    recorded: bool


@dataclass(frozen=True)
class ChampionRow:
    seq: int
    checkpoint_name: str
    decision_id: str | None
    set_at: Any
    set_by: str
    reason: str


@dataclass(frozen=True)
class LatestResults:
    runs: tuple[RunSummary, ...]
    decisions: tuple[DecisionSummary, ...]
    champions: tuple[ChampionRow, ...]


_DECISION_COLUMNS = (
    "decision_id, created_at, candidate, champion, decision, exit_code, reasons_json, "
    "candidate_run_ids, champion_run_ids, report_md, recorded"
)
_RUN_COLUMNS = (
    "run_id, checkpoint_name, suite_name, suite_version, suite_hash, status, n_items, n_ok, n_failed, "
    "started_at, finished_at, prompt_tokens, completion_tokens, cost_usd, summary_json"
)
_METRIC_KEYS = ("metric", "signature", "higher_is_better", "corpus_score", "n_scored", "n_unscored", "status", "reason")


def latest_results(store: Store, *, runs: int, decisions: int, champions: int = 5) -> LatestResults:
    """The newest run of each (checkpoint, suite), plus every run the newest decisions refer to; the newest
    decisions; the champion history. One short connection."""
    with store.connect() as con:
        decision_rows = con.execute(
            f"SELECT {_DECISION_COLUMNS} FROM decisions ORDER BY created_at DESC, decision_id LIMIT ?", [decisions]
        ).fetchall()
        found = [_decision(r) for r in decision_rows]
        referenced = sorted({rid for d in found for rid in (*d.candidate_run_ids, *d.champion_run_ids)})
        run_rows = con.execute(
            f"SELECT {_RUN_COLUMNS} FROM (SELECT *, row_number() OVER (PARTITION BY checkpoint_name, suite_name "
            "ORDER BY started_at DESC, run_id) AS newest FROM runs) "
            "WHERE newest = 1 ORDER BY started_at DESC, run_id LIMIT ?",
            [runs],
        ).fetchall()
        have = {r[0] for r in run_rows}
        extra = [rid for rid in referenced if rid not in have]
        if extra:
            run_rows += con.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE list_contains(?, run_id) ORDER BY started_at DESC, run_id",
                [extra],
            ).fetchall()
        run_ids = [r[0] for r in run_rows]
        metric_rows = (
            con.execute(
                f"SELECT run_id, {', '.join(_METRIC_KEYS)} FROM run_metrics WHERE list_contains(?, run_id) "
                "ORDER BY run_id, metric",
                [run_ids],
            ).fetchall()
            if run_ids
            else []
        )
        champion_rows = con.execute(
            "SELECT seq, checkpoint_name, decision_id, set_at, set_by, reason FROM champions ORDER BY seq DESC LIMIT ?",
            [champions],
        ).fetchall()
    metrics: dict[str, list[dict[str, Any]]] = {}
    for row in metric_rows:
        metrics.setdefault(row[0], []).append(dict(zip(_METRIC_KEYS, row[1:])))
    return LatestResults(
        runs=tuple(_run(r, metrics.get(r[0], [])) for r in run_rows),
        decisions=tuple(found),
        champions=tuple(ChampionRow(*r) for r in champion_rows),
    )


def _run(row: tuple, metrics: list[dict[str, Any]]) -> RunSummary:
    *head, summary = row
    return RunSummary(*head, json.loads(summary) if summary else None, tuple(metrics))  # type: ignore[call-arg]


def _decision(row: tuple) -> DecisionSummary:
    (
        decision_id,
        created_at,
        candidate,
        champion,
        decision,
        exit_code,
        reasons_json,
        candidate_runs,
        champion_runs,
        report_md,
        recorded,
    ) = row
    try:
        reasons = json.loads(reasons_json)
    except json.JSONDecodeError:
        reasons = [reasons_json]
    if not isinstance(reasons, list):
        reasons = [reasons]
    return DecisionSummary(
        decision_id,
        created_at,
        candidate,
        champion,
        decision,
        int(exit_code),
        tuple(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in reasons),
        tuple(candidate_runs or ()),
        tuple(champion_runs or ()),
        report_md or "",
        bool(recorded),
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
    record = CallRecord(
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
