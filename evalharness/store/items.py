"""The dashboard's Item page: one suite item with every checkpoint's newest answer and its scores (reads across
`suite_items`, `runs`, `run_items`, `generations` and `item_scores`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .connection import Store


def item_text(store: Store, suite_hash: str, item_id: str) -> tuple[Any, ...] | None:
    """(suite_hash, suite name, version, kind, item_id, prompt, reference, system, direction, tags, disallowed,
    narrative) of one item."""
    rows = store.query(
        "SELECT si.suite_hash, s.name, s.version, s.kind, si.item_id, si.prompt, si.reference, si.system, "
        "si.direction, si.tags, si.disallowed, si.narrative FROM suite_items si "
        "JOIN suites s ON s.suite_hash = si.suite_hash WHERE si.suite_hash = ? AND si.item_id = ?",
        [suite_hash, item_id],
    )
    return rows[0] if rows else None


def newest_answers(store: Store, suite_hash: str, item_id: str) -> list[tuple[Any, ...]]:
    """(run_id, checkpoint_name, started_at, status, text, error) from the newest run of each checkpoint identity
    on this suite version; status `not generated` when that run has no row for the item."""
    return store.query(
        "WITH newest AS (SELECT run_id, checkpoint_name, started_at, row_number() OVER (PARTITION BY "
        "checkpoint_identity ORDER BY started_at DESC, run_id DESC) AS rn FROM runs WHERE suite_hash = ?) "
        "SELECT n.run_id, n.checkpoint_name, n.started_at, "
        "CASE WHEN ri.run_id IS NULL THEN 'not generated' WHEN ri.status = 'ok' AND g.text IS NULL "
        "THEN 'failed' ELSE ri.status END, g.text, "
        "CASE WHEN ri.status = 'ok' AND g.text IS NULL THEN 'cached generation missing' ELSE ri.error END "
        "FROM newest n LEFT JOIN run_items ri ON ri.run_id = n.run_id AND ri.item_id = ? "
        "LEFT JOIN generations g ON g.cache_key = ri.cache_key WHERE n.rn = 1 ORDER BY n.started_at, n.run_id",
        [suite_hash, item_id],
    )


def item_scores(store: Store, item_id: str, run_ids: Sequence[str]):  # -> pandas.DataFrame
    """run_id, checkpoint, metric, status, score, reason of one item in the given runs."""
    return store.frame(
        "SELECT s.run_id, r.checkpoint_name AS checkpoint, s.metric, s.status, s.score, s.reason "
        "FROM item_scores s JOIN runs r ON r.run_id = s.run_id WHERE s.item_id = ? AND s.run_id = ANY(?) "
        "ORDER BY r.started_at, s.metric",
        [item_id, list(run_ids)],
    )
