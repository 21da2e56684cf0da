"""Candidate vs champion, item by item (the dashboard's Compare page): changes filtered and sorted in the database.

Only runs on the *same suite version* (content hash) are paired — scores on different versions mean
different things. Everything that grows with the number of items (join, filter, sort, count, page) runs
as SQL; Python only sees one page of rows, which keeps the page quick over a million item scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from .connection import Store
from .suites import facets as suite_facets

Show = Literal["all", "worse", "better", "same", "unscored"]
SHOW_CHOICES: tuple[str, ...] = ("all", "worse", "better", "same", "unscored")


@dataclass(frozen=True)
class CheckpointChoice:
    name: str
    identity: str
    last_run: object
    label: str


@dataclass(frozen=True)
class RunPair:
    suite_name: str
    suite_version: str
    suite_hash: str
    candidate_run: str
    champion_run: str

    @property
    def label(self) -> str:
        return f"{self.suite_name} {self.suite_version}"


@dataclass(frozen=True)
class CompareFilters:
    metric: str
    suite_hash: str | None = None  # None: every paired suite
    direction: str | None = None  # e.g. en-sto
    tag: str | None = None
    show: Show = "all"


@dataclass(frozen=True)
class CompareSummary:
    n_items: int
    worse: int
    better: int
    same: int
    unscored: int
    mean_change: float | None
    higher_is_better: bool


#: A run still in progress has no scores yet; it is left out until it finishes (complete or incomplete).
_FINISHED = "status IN ('complete', 'incomplete')"


def checkpoints(store: Store) -> list[CheckpointChoice]:
    """Checkpoints with finished runs, newest first. A name retrained under a new identity is shown twice."""
    rows = store.query(
        f"SELECT checkpoint_name, checkpoint_identity, max(started_at) AS last_run FROM runs "
        f"WHERE {_FINISHED} GROUP BY checkpoint_name, checkpoint_identity "
        "ORDER BY last_run DESC, checkpoint_name"
    )
    counts: dict[str, int] = {}
    for name, _, _ in rows:
        counts[name] = counts.get(name, 0) + 1
    return [
        CheckpointChoice(name, ident, last, name if counts[name] == 1 else f"{name} ({ident[:8]})")
        for name, ident, last in rows
    ]


def run_pairs(store: Store, candidate_identity: str, champion_identity: str) -> list[RunPair]:
    """For each suite version both checkpoints ran on: the newest run of each (complete runs preferred)."""
    rows = store.query(
        "WITH ranked AS (SELECT run_id, checkpoint_identity, suite_name, suite_version, suite_hash, "
        "row_number() OVER (PARTITION BY checkpoint_identity, suite_hash "
        "ORDER BY (status = 'complete') DESC, started_at DESC) AS rn FROM runs "
        f"WHERE checkpoint_identity IN (?, ?) AND {_FINISHED}) "
        "SELECT c.suite_name, c.suite_version, c.suite_hash, c.run_id, k.run_id FROM ranked c JOIN ranked k "
        "ON c.suite_hash = k.suite_hash AND c.rn = 1 AND k.rn = 1 AND c.checkpoint_identity = ? "
        "AND k.checkpoint_identity = ? ORDER BY c.suite_name, c.suite_version",
        [candidate_identity, champion_identity, candidate_identity, champion_identity],
    )
    return [RunPair(*r) for r in rows]


def metrics_for(store: Store, pairs: list[RunPair]) -> list[tuple[str, bool]]:
    """(metric, higher_is_better) scored on both sides of at least one pair."""
    if not pairs:
        return []
    runs = [p.candidate_run for p in pairs] + [p.champion_run for p in pairs]
    marks = ", ".join("?" for _ in runs)
    return [
        (m, bool(h))
        for m, h in store.query(
            f"SELECT metric, bool_and(higher_is_better) FROM run_metrics WHERE run_id IN ({marks}) "
            "AND n_scored > 0 GROUP BY metric HAVING count(DISTINCT run_id) >= 2 ORDER BY metric",
            runs,
        )
    ]


def facets(store: Store, pairs: list[RunPair]) -> tuple[list[str], list[str]]:
    """Directions and tags present in the paired suites (for the filter boxes)."""
    if not pairs:
        return [], []
    return suite_facets(store, [p.suite_hash for p in pairs])


_PAIRED = """
WITH pairs(suite_hash, suite_label, cand_run, champ_run) AS (VALUES {values}),
cand AS (SELECT p.suite_hash, p.suite_label, s.item_id, s.status, s.reason, s.score
         FROM item_scores s JOIN pairs p ON s.run_id = p.cand_run WHERE s.metric = ?),
champ AS (SELECT p.suite_hash, s.item_id, s.status, s.reason, s.score
          FROM item_scores s JOIN pairs p ON s.run_id = p.champ_run WHERE s.metric = ?),
paired AS (
  SELECT c.suite_hash, c.suite_label, c.item_id, si.position, si.direction, si.tags, si.prompt, si.reference,
         k.score AS champion_score, c.score AS candidate_score,
         c.score - k.score AS delta,
         (c.score - k.score) * ? AS change,
         CASE WHEN c.score IS NULL OR k.score IS NULL THEN 'unscored'
              WHEN (c.score - k.score) * ? < -1e-9 THEN 'worse'
              WHEN (c.score - k.score) * ? > 1e-9 THEN 'better' ELSE 'same' END AS outcome,
         coalesce(c.reason, k.reason) AS reason
  FROM cand c JOIN champ k USING (suite_hash, item_id)
  JOIN suite_items si ON si.suite_hash = c.suite_hash AND si.item_id = c.item_id
  WHERE ({suite_filter}) AND ({direction_filter}) AND ({tag_filter})
)
"""


def _paired_sql(pairs: list[RunPair], filters: CompareFilters, higher_is_better: bool) -> tuple[str, list]:
    values = ", ".join("(?, ?, ?, ?)" for _ in pairs)
    params: list = []
    for p in pairs:
        params += [p.suite_hash, p.label, p.candidate_run, p.champion_run]
    sign = 1.0 if higher_is_better else -1.0
    params += [filters.metric, filters.metric, sign, sign, sign]
    suite_filter, direction_filter, tag_filter = "true", "true", "true"
    if filters.suite_hash:
        suite_filter = "c.suite_hash = ?"
        params.append(filters.suite_hash)
    if filters.direction:
        direction_filter = "si.direction = ?"
        params.append(filters.direction)
    if filters.tag:
        tag_filter = "? = ANY(si.tags)"
        params.append(filters.tag)
    sql = _PAIRED.format(
        values=values, suite_filter=suite_filter, direction_filter=direction_filter, tag_filter=tag_filter
    )
    return sql, params


def summary(store: Store, pairs: list[RunPair], filters: CompareFilters, higher_is_better: bool) -> CompareSummary:
    """Counts of items that got worse, better, stayed the same, or could not be compared."""
    if not pairs:
        return CompareSummary(0, 0, 0, 0, 0, None, higher_is_better)
    sql, params = _paired_sql(pairs, filters, higher_is_better)
    row = store.query(
        sql + "SELECT count(*), count(*) FILTER (WHERE outcome = 'worse'), count(*) FILTER "
        "(WHERE outcome = 'better'), count(*) FILTER (WHERE outcome = 'same'), count(*) FILTER "
        "(WHERE outcome = 'unscored'), avg(change) FROM paired",
        params,
    )[0]
    return CompareSummary(
        int(row[0]),
        int(row[1]),
        int(row[2]),
        int(row[3]),
        int(row[4]),
        None if row[5] is None else float(row[5]),
        higher_is_better,
    )


def page(
    store: Store,
    pairs: list[RunPair],
    filters: CompareFilters,
    higher_is_better: bool,
    *,
    limit: int = 50,
    offset: int = 0,
) -> pd.DataFrame:
    """One page of items, biggest regressions first (unscored items last), with both answers.

    `change` is the delta signed so that negative always means worse, whatever the metric's direction;
    `delta` is the raw candidate − champion difference.
    """
    columns = [
        "suite_hash",
        "suite",
        "item_id",
        "direction",
        "tags",
        "prompt",
        "reference",
        "champion_score",
        "candidate_score",
        "delta",
        "change",
        "outcome",
        "reason",
        "champion_answer",
        "candidate_answer",
    ]
    if not pairs:
        return pd.DataFrame(columns=columns)
    sql, params = _paired_sql(pairs, filters, higher_is_better)
    pair_values = ", ".join("(?, ?, ?)" for _ in pairs)
    for p in pairs:
        params += [p.suite_hash, p.candidate_run, p.champion_run]
    outcome_filter = "true" if filters.show == "all" else "outcome = ?"
    if filters.show != "all":
        params.append(filters.show)
    params += [limit, offset]
    # Answers are joined after the page is cut, so only `limit` generations are read.
    sql += (
        f", runs_of(suite_hash, cand_run, champ_run) AS (VALUES {pair_values}), "
        f"cut AS (SELECT * FROM paired WHERE {outcome_filter} "
        "ORDER BY change ASC NULLS LAST, suite_label, position LIMIT ? OFFSET ?) "
        "SELECT cut.suite_hash, cut.suite_label AS suite, cut.item_id, cut.direction, cut.tags, cut.prompt, "
        "cut.reference, cut.champion_score, cut.candidate_score, cut.delta, cut.change, cut.outcome, cut.reason, "
        "gk.text AS champion_answer, gc.text AS candidate_answer FROM cut JOIN runs_of USING (suite_hash) "
        "LEFT JOIN run_items rc ON rc.run_id = runs_of.cand_run AND rc.item_id = cut.item_id "
        "LEFT JOIN generations gc ON gc.cache_key = rc.cache_key "
        "LEFT JOIN run_items rk ON rk.run_id = runs_of.champ_run AND rk.item_id = cut.item_id "
        "LEFT JOIN generations gk ON gk.cache_key = rk.cache_key "
        "ORDER BY cut.change ASC NULLS LAST, cut.suite_label, cut.position"
    )
    frame = store.frame(sql, params)
    frame["tags"] = frame["tags"].map(lambda v: list(v) if v is not None else [])
    return frame[columns]


def count(summary_: CompareSummary, show: str) -> int:
    """Rows the current filter shows (for paging) — from the summary, without another query."""
    return {
        "all": summary_.n_items,
        "worse": summary_.worse,
        "better": summary_.better,
        "same": summary_.same,
        "unscored": summary_.unscored,
    }[show]
