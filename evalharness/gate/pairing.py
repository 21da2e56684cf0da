"""Reading what the gate compares from the store, aligned item by item.

Both runs of a suite were made on the same suite version (same content hash), so their rows line up by
the item's position in that suite. An item scored in one run but not the other cannot be paired: it is
left out of the paired analysis and counted, with its status and reason, so nothing is dropped silently.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pyarrow.compute as pc

from ..errors import InputError
from ..store import Store


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
    meta = store.query("SELECT name, version, kind FROM suites WHERE suite_hash = ?", [suite_hash])
    if not meta:
        raise InputError(
            f"suite version {suite_hash[:12]} is not in the store",
            hint="runs record their suite; was the store file replaced?",
        )
    rows = store.query(
        "SELECT item_id, reference, disallowed, narrative FROM suite_items WHERE suite_hash = ? ORDER BY position",
        [suite_hash],
    )
    name, version, kind = meta[0]
    return SuiteItems(
        suite_hash=suite_hash,
        name=name,
        version=version,
        kind=kind,
        item_ids=tuple(r[0] for r in rows),
        references=tuple(r[1] for r in rows),
        disallowed=tuple(r[2] for r in rows),
        narrative=tuple(r[3] for r in rows),
    )


def load_metric_rows(
    store: Store, run_id: str, suite: SuiteItems, stat_counts: dict[str, int]
) -> dict[str, MetricRows]:
    """Every metric's item rows of a run, as arrays (one query, Arrow, no per-row Python for the stats).

    `stat_counts` is metric → number of statistics per item (from `run_metrics.stat_names`).
    """
    sql = (
        "SELECT si.position, s.metric, s.status, s.reason, s.stats FROM item_scores s "
        "JOIN runs r USING (run_id) JOIN suite_items si ON si.suite_hash = r.suite_hash AND si.item_id = s.item_id "
        "WHERE s.run_id = ? ORDER BY s.metric, si.position"
    )
    with store.connect() as con:
        table = con.sql(sql, params=[run_id]).to_arrow_table()
    n = len(suite.item_ids)
    out: dict[str, MetricRows] = {}
    metric_col = table.column("metric")
    for metric, k in stat_counts.items():
        part = table.filter(pc.equal(metric_col, metric))
        status = np.full(n, "missing", dtype=object)
        reason = np.full(n, "no score row stored for this item", dtype=object)
        stats = np.zeros((n, k))
        positions = part.column("position").to_numpy()
        status[positions] = np.asarray(part.column("status").to_pylist(), dtype=object)
        reason[positions] = np.asarray(part.column("reason").to_pylist(), dtype=object)
        stats_col = part.column("stats").combine_chunks()
        has_stats = ~stats_col.is_null().to_numpy(zero_copy_only=False)
        values = pc.list_flatten(stats_col).to_numpy(zero_copy_only=False)
        if values.size != has_stats.sum() * k:
            raise InputError(
                f"run {run_id}: stored statistics of '{metric}' do not have {k} values per item",
                hint="re-score the run with `evalharness run --rescore`",
            )
        stats[positions[has_stats]] = values.reshape(-1, k)
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
