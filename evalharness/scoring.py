"""The score phase, pure: the phases' outputs for each item → per-item statistic rows and per-metric rows.

No model, no network, no store: everything a metric reads is in its `ScoringInput`s, so rescoring gives the
same rows from the same stored inputs and never fails for lack of a request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .metrics.base import ItemStat, ItemStatus, ScoringInput
from .registry import Need
from .task import ScoredMetric, Task

RunStatus = Literal["complete", "incomplete"]
MetricStatus = Literal["scored", "partial", "failed", "unsupported", "not_scored"]


@dataclass(frozen=True)
class ItemScore:
    item_id: str
    metric: str
    status: ItemStatus
    reason: str | None
    stats: tuple[float, ...] | None
    score: float | None


@dataclass(frozen=True)
class MetricSummary:
    metric: str
    signature: str
    higher_is_better: bool
    stat_names: tuple[str, ...]
    corpus_score: float | None
    n_scored: int
    n_unscored: int
    status: MetricStatus
    reason: str | None
    #: direction (en-sto, sto-en, …) → score of that slice, for the scored items
    by_direction: dict[str, float] = field(default_factory=dict)

    def to_row(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "signature": self.signature,
            "higher_is_better": self.higher_is_better,
            "stat_names": self.stat_names,
            "corpus_score": self.corpus_score,
            "n_scored": self.n_scored,
            "n_unscored": self.n_unscored,
            "status": self.status,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ScoreSheet:
    items: list[ItemScore]
    metrics: list[MetricSummary]
    status: RunStatus
    n_failed: int
    required_unscored: list[str]


def score(task: Task, inputs: Sequence[ScoringInput], *, unsupported: Mapping[Need, str] | None = None) -> ScoreSheet:
    """Score every metric of the task on `inputs` (one per suite item, in suite order).

    `unsupported` names phases that cannot run for this checkpoint, with the reason (a backend without
    log-likelihoods): every metric needing one is "unsupported" on every item, never a number.
    """
    unsupported = unsupported or {}
    directions = np.array([inp.item.direction for inp in inputs])
    items: list[ItemScore] = []
    summaries: list[MetricSummary] = []
    for scored in task.metrics:
        stats = _item_stats(scored, inputs, unsupported)
        items += _item_scores(scored, inputs, stats)
        summaries.append(_summary(scored, stats, directions))
    n_failed = sum(1 for inp in inputs if inp.hypothesis is None)
    required_unscored = [m.metric for m in summaries if m.metric in task.required and m.n_scored == 0]
    status: RunStatus = "complete" if n_failed == 0 and not required_unscored else "incomplete"
    return ScoreSheet(items, summaries, status, n_failed, required_unscored)


def _item_stats(
    scored: ScoredMetric, inputs: Sequence[ScoringInput], unsupported: Mapping[Need, str]
) -> list[ItemStat]:
    missing = sorted(n for n in scored.entry.needs if n in unsupported)
    if missing:
        return [ItemStat("unsupported", None, unsupported[missing[0]]) for _ in inputs]
    return scored.metric.item_stats(inputs)


def _matrix(scored: ScoredMetric, stats: Sequence[ItemStat]) -> np.ndarray:
    width = len(scored.metric.stat_names)
    rows = [s.stats if s.status == "scored" and s.stats is not None else (0.0,) * width for s in stats]
    return np.array(rows, dtype=float).reshape(len(stats), width)


def _item_scores(scored: ScoredMetric, inputs: Sequence[ScoringInput], stats: Sequence[ItemStat]) -> list[ItemScore]:
    per_item = scored.metric.score_many(_matrix(scored, stats)) if stats else np.array([])
    out = []
    for inp, s, value in zip(inputs, stats, per_item):
        ok = s.status == "scored" and s.stats is not None
        out.append(
            ItemScore(
                inp.item.id,
                scored.name,
                s.status,
                s.reason,
                tuple(s.stats) if ok and s.stats else None,
                # a scored item whose own score is undefined (0 of 0 words) keeps its statistics, no number
                float(value) if ok and np.isfinite(value) else None,
            )
        )
    return out


def _summary(scored: ScoredMetric, stats: Sequence[ItemStat], directions: np.ndarray) -> MetricSummary:
    metric = scored.metric
    matrix = _matrix(scored, stats)
    mask = np.array([s.status == "scored" for s in stats], dtype=bool)
    n_scored = int(mask.sum())
    reasons = sorted({s.reason for s in stats if s.status != "scored" and s.reason})
    reason = "; ".join(reasons[:3]) + (f" (+{len(reasons) - 3} more)" if len(reasons) > 3 else "") or None
    status: MetricStatus
    corpus: float | None
    if n_scored == 0:
        kinds = {s.status for s in stats if s.status != "scored"}
        only = kinds.pop() if len(kinds) == 1 else "failed"
        status = "unsupported" if only == "unsupported" else "not_scored" if only == "not_scored" else "failed"
        corpus = None
    else:
        status = "scored" if n_scored == len(stats) else "partial"
        corpus = float(metric.score(matrix[mask].sum(axis=0)))
    by_direction = {}
    if n_scored:
        by_direction = {
            str(d): float(metric.score(matrix[mask & (directions == d)].sum(axis=0)))
            for d in sorted(set(directions[mask]))
        }
    return MetricSummary(
        metric=scored.name,
        signature=metric.signature(),
        higher_is_better=metric.higher_is_better,
        stat_names=tuple(metric.stat_names),
        corpus_score=corpus,
        n_scored=n_scored,
        n_unscored=len(stats) - n_scored,
        status=status,
        reason=reason,
        by_direction=by_direction,
    )
