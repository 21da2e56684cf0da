"""Reading what the gate compares from the store, aligned item by item.

Both runs of a suite were made on the same suite version (same content hash), so their rows line up by
the item's position in that suite. An item scored in one run but not the other cannot be paired: it is
left out of the paired analysis and counted, with its status and reason, so nothing is dropped silently.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..store import Store
from ..store import scores as score_rows
from ..store import suites as suite_rows


@dataclass(frozen=True)
class SuiteItems:
    """One stored suite version, items in their suite order."""

    suite_hash: str
    name: str
    version: str
    kind: str
    item_ids: tuple[str, ...]
    references: tuple[str, ...]
    disallowed: tuple[str | None, ...]
    narrative: tuple[str | None, ...]

    @property
    def has_corrections(self) -> bool:
        return any(d is not None and n is not None for d, n in zip(self.disallowed, self.narrative))


@dataclass(frozen=True)
class MetricRows:
    """One run's rows for one metric, aligned to the suite's positions; stats are 0 where not scored."""

    status: np.ndarray  # object: scored | failed | unsupported | not_scored | missing (no row stored)
    reason: np.ndarray  # object: str or None
    stats: np.ndarray  # float, n_items × k

    @property
    def scored(self) -> np.ndarray:
        return self.status == "scored"


@dataclass(frozen=True)
class DropSummary:
    """Items left out of a metric's pairing because one run did not score them, grouped by why."""

    side: str  # candidate | champion
    suite: str
    status: str
    reason: str
    count: int
    item_ids: tuple[str, ...]


def load_suite_items(store: Store, suite_hash: str) -> SuiteItems:
    meta = suite_rows.get_suite(store, suite_hash)
    if meta is None:
        raise InputError(
            f"suite version {suite_hash[:12]} is not in the store",
            hint="runs record their suite; was the store replaced?",
        )
    items = suite_rows.suite_items(store, suite_hash)
    return SuiteItems(
        suite_hash=suite_hash,
        name=meta.name,
        version=meta.version,
        kind=meta.kind,
        item_ids=tuple(i.item_id for i in items),
        references=tuple(i.reference for i in items),
        disallowed=tuple(i.disallowed for i in items),
        narrative=tuple(i.narrative for i in items),
    )


def load_metric_rows(
    store: Store, run_id: str, suite: SuiteItems, stat_counts: dict[str, int]
) -> dict[str, MetricRows]:
    """Every metric's item rows of a run, as arrays aligned to the suite's positions (one query).

    `stat_counts` is metric → number of statistics per item (from `run_metrics.stat_names`).
    """
    by_metric: dict[str, list[tuple]] = {}
    for row in score_rows.item_score_rows(store, run_id):
        by_metric.setdefault(row[1], []).append((row[0], row[2], row[3], row[4]))
    n = len(suite.item_ids)
    out: dict[str, MetricRows] = {}
    for metric, k in stat_counts.items():
        part = by_metric.get(metric, [])
        status = np.full(n, "missing", dtype=object)
        reason = np.full(n, "no score row stored for this item", dtype=object)
        stats = np.zeros((n, k))
        positions = np.fromiter((p for p, _, _, _ in part), dtype=np.int64, count=len(part))
        status[positions] = np.asarray([s for _, s, _, _ in part], dtype=object)
        reason[positions] = np.asarray([r for _, _, r, _ in part], dtype=object)
        has_stats = np.fromiter((v is not None for _, _, _, v in part), dtype=bool, count=len(part))
        values = [v for _, _, _, v in part if v is not None]
        if any(len(v) != k for v in values):
            raise InputError(
                f"run {run_id}: stored statistics of '{metric}' do not have {k} values per item",
                hint="re-score the run with `evalharness run --rescore`",
            )
        if values:
            stats[positions[has_stats]] = np.asarray(values, dtype=float).reshape(-1, k)
        # A row marked scored without statistics cannot be used: treat it as failed, with that reason.
        broken = positions[~has_stats & (status[positions] == "scored")]
        status[broken] = "failed"
        reason[broken] = "marked scored but has no statistics"
        stats[status != "scored"] = 0.0
        out[metric] = MetricRows(status=status, reason=reason, stats=stats)
    return out


def drops(side: str, suite: SuiteItems, rows: MetricRows, paired: np.ndarray) -> list[DropSummary]:
    """Group one side's unscored items (among those not paired) by status and reason."""
    missing = ~rows.scored & ~paired
    groups: Counter[tuple[str, str]] = Counter()
    ids: dict[tuple[str, str], list[str]] = {}
    for index in np.flatnonzero(missing):
        key = (str(rows.status[index]), str(rows.reason[index] or "no reason recorded"))
        groups[key] += 1
        ids.setdefault(key, []).append(suite.item_ids[index])
    return [
        DropSummary(
            side=side,
            suite=suite.name,
            status=status,
            reason=reason,
            count=count,
            item_ids=tuple(ids[(status, reason)]),
        )
        for (status, reason), count in sorted(groups.items(), key=lambda kv: -kv[1])
    ]
