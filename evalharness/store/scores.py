"""Tables `item_scores` and `run_metrics`: per-item sufficient statistics and each run's corpus scores."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from .connection import Store


@dataclass(frozen=True)
class ItemScoreRow:
    run_id: str
    item_id: str
    metric: str
    status: str
    reason: str | None
    stats: tuple[float, ...] | None
    score: float | None


@dataclass(frozen=True)
class RunMetricRow:
    run_id: str
    metric: str
    signature: str
    higher_is_better: bool
    stat_names: tuple[str, ...]
    corpus_score: float | None
    n_scored: int
    n_unscored: int
    status: str
    reason: str | None

    def as_dict(self) -> dict[str, Any]:
        """Without the run id: the shape reports and JSON output use."""
        return {
            "metric": self.metric,
            "signature": self.signature,
            "higher_is_better": self.higher_is_better,
            "stat_names": list(self.stat_names),
            "corpus_score": self.corpus_score,
            "n_scored": self.n_scored,
            "n_unscored": self.n_unscored,
            "status": self.status,
            "reason": self.reason,
        }


_METRIC = "run_id, metric, signature, higher_is_better, stat_names, corpus_score, n_scored, n_unscored, status, reason"


def _metric(row: tuple) -> RunMetricRow:
    run_id, metric, signature, hib, names, corpus, n_scored, n_unscored, status, reason = row
    return RunMetricRow(
        run_id, metric, signature, bool(hib), tuple(names or ()), corpus, int(n_scored), int(n_unscored), status, reason
    )


def replace_scores(
    store: Store,
    run_id: str,
    item_rows: pa.Table,
    metric_rows: Sequence[dict[str, Any]],
    *,
    status: str,
    n_ok: int,
    n_failed: int,
    summary: dict[str, Any],
    prompt_tokens: int | None,
    completion_tokens: int | None,
    cost_usd: float | None,
) -> None:
    """Swap a run's scores for new ones and close the run — in one transaction, so a crash leaves the old."""
    columns = ["run_id", "item_id", "metric", "status", "reason", "stats", "score"]
    with store.transaction() as con:
        con.execute("DELETE FROM item_scores WHERE run_id = ?", [run_id])
        con.execute("DELETE FROM run_metrics WHERE run_id = ?", [run_id])
        con.insert("item_scores", item_rows.select(columns))
        con.insert(
            "run_metrics",
            [
                {
                    "run_id": run_id,
                    "metric": m["metric"],
                    "signature": m["signature"],
                    "higher_is_better": bool(m["higher_is_better"]),
                    "stat_names": list(m["stat_names"]),
                    "corpus_score": m["corpus_score"],
                    "n_scored": m["n_scored"],
                    "n_unscored": m["n_unscored"],
                    "status": m["status"],
                    "reason": m["reason"],
                }
                for m in metric_rows
            ],
        )
        con.execute(
            "UPDATE runs SET status = ?, finished_at = current_timestamp, n_ok = ?, n_failed = ?, "
            "summary_json = ?, prompt_tokens = ?, completion_tokens = ?, cost_usd = ? WHERE run_id = ?",
            [
                status,
                n_ok,
                n_failed,
                json.dumps(summary, sort_keys=True),
                prompt_tokens,
                completion_tokens,
                cost_usd,
                run_id,
            ],
        )


def run_metrics(store: Store, run_id: str) -> list[RunMetricRow]:
    return [
        _metric(r) for r in store.query(f"SELECT {_METRIC} FROM run_metrics WHERE run_id = ? ORDER BY metric", [run_id])
    ]


def metrics_of_runs(store: Store, run_ids: Sequence[str]) -> list[RunMetricRow]:
    if not run_ids:
        return []
    return [
        _metric(r)
        for r in store.query(
            f"SELECT {_METRIC} FROM run_metrics WHERE run_id = ANY(?) ORDER BY run_id, metric", [list(run_ids)]
        )
    ]


def scored_metrics(store: Store, run_id: str) -> set[str]:
    """Metrics with at least one scored item in the run."""
    return {m for (m,) in store.query("SELECT metric FROM run_metrics WHERE run_id = ? AND n_scored > 0", [run_id])}


def item_score_rows(store: Store, run_id: str) -> list[tuple[int, str, str, str | None, list[float] | None]]:
    """(item position in its suite, metric, status, reason, stats) of every item score of a run."""
    return store.query(
        "SELECT si.position, s.metric, s.status, s.reason, s.stats FROM item_scores s "
        "JOIN runs r ON r.run_id = s.run_id JOIN suite_items si ON si.suite_hash = r.suite_hash "
        "AND si.item_id = s.item_id WHERE s.run_id = ? ORDER BY s.metric, si.position",
        [run_id],
    )


def item_scores_frame(store: Store, run_ids: Sequence[str]):  # -> pandas.DataFrame
    """Every item score of the given runs, with the item's direction and the answer text."""
    return store.frame(
        "SELECT s.run_id, r.checkpoint_name, r.suite_name, s.item_id, si.direction, s.metric, s.status, s.reason, "
        "s.score, s.stats, g.text AS answer FROM item_scores s "
        "JOIN runs r ON r.run_id = s.run_id LEFT JOIN suite_items si ON si.suite_hash = r.suite_hash "
        "AND si.item_id = s.item_id LEFT JOIN run_items ri ON ri.run_id = s.run_id AND ri.item_id = s.item_id "
        "LEFT JOIN generations g ON g.cache_key = ri.cache_key WHERE s.run_id = ANY(?) "
        "ORDER BY s.run_id, si.position, s.metric",
        [list(run_ids)],
    )


def metric_trends(store: Store):  # -> pandas.DataFrame
    """One row per run × metric, ordered by when each checkpoint was first run (the x-axis of a trend)."""
    return store.frame(
        "WITH firsts AS (SELECT checkpoint_name, min(started_at) AS first_run FROM runs GROUP BY checkpoint_name) "
        "SELECT r.run_id, r.checkpoint_name AS checkpoint, r.suite_name AS suite, r.suite_version, "
        "r.suite_name || ' ' || r.suite_version AS suite_label, r.status AS run_status, r.started_at, "
        "f.first_run, m.metric, m.corpus_score AS score, m.status, m.reason, m.higher_is_better, m.n_scored, "
        "m.n_unscored FROM runs r JOIN run_metrics m ON m.run_id = r.run_id "
        "JOIN firsts f ON f.checkpoint_name = r.checkpoint_name "
        "ORDER BY f.first_run, r.checkpoint_name, r.suite_name, r.started_at, m.metric"
    )
