"""One item in full: its prompt and reference, every checkpoint's answer, every score, the judge's reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..store import Store
from ..store import items as item_reads
from ..store import suites as suite_rows
from ..store.judging import judged_runs, rationale_rows
from .letters import matches


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


def find_items(
    store: Store, suite_hash: str, search: str = "", limit: int = 200, *, language: str | None = None
) -> list[tuple[str, str]]:
    """(item_id, prompt) of a suite, optionally those whose id, prompt or reference contain `search` — ignoring
    case and diacritics as the language card folds them ("taki" finds "ṯakî"; see `letters.search_key`)."""
    rows = suite_rows.item_texts(store, suite_hash)
    if not search.strip():
        return [(i, p) for i, p, _ in rows[:limit]]
    return [(i, p) for i, p, r in rows if matches(search, i, p, r, code=language)][:limit]


def item_detail(store: Store, suite_hash: str, item_id: str) -> ItemDetail | None:
    """Everything about one item on one suite version; the newest run of each checkpoint gives its answer."""
    text = item_reads.item_text(store, suite_hash, item_id)
    if text is None:
        return None
    item = ItemText(*text[:9], tuple(text[9] or ()), text[10], text[11])  # type: ignore[call-arg]  # the SELECT
    answers = [Answer(*r) for r in item_reads.newest_answers(store, suite_hash, item_id)]
    run_ids = [a.run_id for a in answers]
    scores = item_reads.item_scores(store, item_id, run_ids)
    judge = tuple(rationale_rows(store, item_id, run_ids)) if judged_runs(store, run_ids) else None
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
