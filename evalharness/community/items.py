"""One item in full: its prompt and reference, every checkpoint's answer, every score, the judge's reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..store import Store
from .judge import judged_runs, rationale_rows


@dataclass(frozen=True)
class ItemText:
    suite_hash: str
    suite_name: str
    suite_version: str
    suite_kind: str
    item_id: str
    prompt: str
    reference: str
    system: str | None
    direction: str
    tags: tuple[str, ...]
    disallowed: str | None
    narrative: str | None


@dataclass(frozen=True)
class Answer:
    run_id: str
    checkpoint_name: str
    started_at: Any
    status: str  # ok | failed | not generated
    text: str | None
    error: str | None


@dataclass(frozen=True)
class ItemDetail:
    item: ItemText
    answers: tuple[Answer, ...]
    scores: pd.DataFrame  # run_id, checkpoint, metric, status, score, reason
    judge: tuple[dict[str, Any], ...] | None = field(default=None)  # None: the judge saw none of these runs


def find_items(store: Store, suite_hash: str, search: str = "", limit: int = 200) -> list[tuple[str, str]]:
    """(item_id, prompt) of a suite, optionally those whose id, prompt or reference contain `search`."""
    like = f"%{search.strip()}%"
    return [
        (i, p)
        for i, p in store.query(
            "SELECT item_id, prompt FROM suite_items WHERE suite_hash = ? AND (? = '%%' OR item_id ILIKE ? "
            "OR prompt ILIKE ? OR reference ILIKE ?) ORDER BY position LIMIT ?",
            [suite_hash, like, like, like, like, limit],
        )
    ]


def item_detail(store: Store, suite_hash: str, item_id: str) -> ItemDetail | None:
    """Everything about one item on one suite version; the newest run of each checkpoint gives its answer."""
    with store.connect() as con:
        row = con.execute(
            "SELECT si.suite_hash, s.name, s.version, s.kind, si.item_id, si.prompt, si.reference, si.system, "
            "si.direction, si.tags, si.disallowed, si.narrative FROM suite_items si JOIN suites s USING (suite_hash) "
            "WHERE si.suite_hash = ? AND si.item_id = ?",
            [suite_hash, item_id],
        ).fetchone()
        if row is None:
            return None
        item = ItemText(*row[:9], tuple(row[9] or ()), row[10], row[11])  # type: ignore[call-arg]  # the SELECT
        answers = [
            Answer(*r)
            for r in con.execute(
                "WITH newest AS (SELECT run_id, checkpoint_name, started_at, row_number() OVER (PARTITION BY "
                "checkpoint_identity ORDER BY started_at DESC) AS rn FROM runs WHERE suite_hash = ?) "
                "SELECT n.run_id, n.checkpoint_name, n.started_at, "
                "CASE WHEN ri.run_id IS NULL THEN 'not generated' WHEN ri.status = 'ok' AND g.text IS NULL "
                "THEN 'failed' ELSE ri.status END, g.text, "
                "CASE WHEN ri.status = 'ok' AND g.text IS NULL THEN 'cached generation missing' ELSE ri.error END "
                "FROM newest n LEFT JOIN run_items ri ON ri.run_id = n.run_id AND ri.item_id = ? "
                "LEFT JOIN generations g ON g.cache_key = ri.cache_key WHERE n.rn = 1 ORDER BY n.started_at",
                [suite_hash, item_id],
            ).fetchall()
        ]
        run_ids = [a.run_id for a in answers]
        scores = con.execute(
            "SELECT s.run_id, r.checkpoint_name AS checkpoint, s.metric, s.status, s.score, s.reason "
            "FROM item_scores s JOIN runs r USING (run_id) WHERE s.item_id = ? AND s.run_id IN "
            "(SELECT unnest(?::VARCHAR[])) ORDER BY r.started_at, s.metric",
            [item_id, run_ids],
        ).df()
        judge = tuple(rationale_rows(con, item_id, run_ids)) if judged_runs(con, run_ids) else None
    return ItemDetail(item=item, answers=tuple(answers), scores=scores, judge=judge)


def score_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Metrics down, checkpoints across; an unmeasured score shows its status, never a number."""
    if scores.empty:
        return pd.DataFrame()
    cells = scores.apply(
        lambda r: (
            f"{r['score']:.1f}"
            if r["status"] == "scored" and r["score"] is not None
            else ("not measured" if r["status"] == "unsupported" else str(r["status"]).replace("_", " "))
        ),
        axis=1,
    )
    frame = scores.assign(cell=cells)
    order = list(dict.fromkeys(frame["checkpoint"]))
    table = frame.pivot_table(index="metric", columns="checkpoint", values="cell", aggfunc="first")
    return table[[c for c in order if c in table.columns]]
