"""What the harness read out of a run's answers: extracted answers (migration 0050) and invented words (0051)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from .connection import Store


def replace_extractions(store: Store, run_id: str, rows: Sequence[dict[str, Any]]) -> None:
    """Swap a run's extracted answers for `rows` ({item_id, method, status, text, reason}) in one transaction."""
    table = pa.table(
        {
            "run_id": [run_id] * len(rows),
            "item_id": [r["item_id"] for r in rows],
            "method": [r["method"] for r in rows],
            "status": [r["status"] for r in rows],
            "text": pa.array([r.get("text") for r in rows], pa.string()),
            "reason": pa.array([r.get("reason") for r in rows], pa.string()),
        }
    )
    with store.transaction() as con:
        con.execute("DELETE FROM extracted_answers WHERE run_id = ?", [run_id])
        if rows:
            con.insert("extracted_answers", table)


def extracted_answers(store: Store, run_id: str) -> dict[str, dict[str, Any]]:
    """item id → {method, status, text, reason} for one run."""
    rows = store.query("SELECT item_id, method, status, text, reason FROM extracted_answers WHERE run_id = ?", [run_id])
    return {r[0]: {"method": r[1], "status": r[2], "text": r[3], "reason": r[4]} for r in rows}


def replace_invented_words(store: Store, run_id: str, words: dict[str, list[str]]) -> None:
    """Swap a run's invented words (item id → words) in one transaction."""
    table = pa.table(
        {
            "run_id": [run_id] * len(words),
            "item_id": list(words),
            "words": pa.array(list(words.values()), pa.list_(pa.string())),
        }
    )
    with store.transaction() as con:
        con.execute("DELETE FROM invented_words WHERE run_id = ?", [run_id])
        if words:
            con.insert("invented_words", table)


def invented_words(store: Store, run_id: str) -> dict[str, list[str]]:
    return {
        r[0]: list(r[1]) for r in store.query("SELECT item_id, words FROM invented_words WHERE run_id = ?", [run_id])
    }
