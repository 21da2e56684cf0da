"""All SQL of the judge: stored rubrics, the verdict cache (`judge_calls`), per-run verdicts, unstable items.

Short transactions, bulk rows as Arrow tables — the same discipline as `store.records`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa

from ..store import Store
from .rubric import Rubric
from .verdict import Verdict

#: a judge request's outcome: a valid verdict, an answer that failed validation, or no answer
CallStatus = Literal["ok", "invalid", "failed"]


@dataclass(frozen=True)
class CallRow:
    """One judge request's final outcome (a row of judge_calls)."""

    cache_key: str
    judge_identity: str
    judge_provider: str
    judge_model: str
    rubric_hash: str
    item_id: str
    item_key: str
    candidate_sha256: str
    candidate_text: str
    sample_index: int
    status: CallStatus
    verdict: Verdict | None
    error: str | None
    raw_response: str | None
    attempts: int
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None


@dataclass(frozen=True)
class RunItemRow:
    run_id: str
    item_id: str
    judge_identity: str
    judge_model: str
    rubric_hash: str
    status: Literal["scored", "failed", "not_scored"]
    reason: str | None
    cache_keys: tuple[str, ...]
    overall_scores: tuple[int, ...] | None
    cas: float | None
    spread: int | None
    unstable: bool
    flags: tuple[str, ...]


def record_rubric(store: Store, rubric: Rubric) -> None:
    with store.transaction() as con:
        con.execute(
            "INSERT OR IGNORE INTO judge_rubrics (rubric_hash, name, version, text) VALUES (?,?,?,?)",
            [rubric.sha256, rubric.name, rubric.version, rubric.text],
        )


def cached_verdicts(store: Store, keys: Sequence[str]) -> dict[str, Verdict]:
    """cache_key → Verdict for the keys already judged successfully (by any run)."""
    if not keys:
        return {}
    with store.connect() as con:
        con.register("wanted", pa.table({"cache_key": list(keys)}))
        rows = con.execute(
            "SELECT j.cache_key, j.overall, j.criteria_json, j.rationale, j.flags FROM judge_calls j "
            "JOIN wanted USING (cache_key) WHERE j.status = 'ok'"
        ).fetchall()
        con.unregister("wanted")
    out = {}
    for key, overall, criteria_json, rationale, flags in rows:
        out[key] = Verdict(
            criteria=tuple(json.loads(criteria_json).items()),
            overall=int(overall),
            rationale=rationale or "",
            flags=tuple(flags or ()),
        )
    return out


_CALL_TYPES = {
    "sample_index": pa.int32(),
    "overall": pa.int32(),
    "attempts": pa.int32(),
    "prompt_tokens": pa.int32(),
    "completion_tokens": pa.int32(),
    "latency_s": pa.float64(),
    "flags": pa.list_(pa.string()),
}


def put_calls(store: Store, rows: Sequence[CallRow]) -> None:
    """Insert or replace judge_calls rows (a failed row is replaced when the request is tried again)."""
    if not rows:
        return
    columns: dict[str, list[Any]] = {
        c: []
        for c in (
            "cache_key",
            "judge_identity",
            "judge_provider",
            "judge_model",
            "rubric_hash",
            "item_id",
            "item_key",
            "candidate_sha256",
            "candidate_text",
            "sample_index",
            "status",
            "overall",
            "criteria_json",
            "rationale",
            "flags",
            "error",
            "raw_response",
            "attempts",
            "prompt_tokens",
            "completion_tokens",
            "latency_s",
        )
    }
    for r in rows:
        v = r.verdict
        values = {
            **{k: getattr(r, k) for k in columns if hasattr(r, k)},
            "overall": v.overall if v else None,
            "criteria_json": json.dumps(v.criteria_dict) if v else None,
            "rationale": v.rationale if v else None,
            "flags": list(v.flags) if v else None,
        }
        for key in columns:
            columns[key].append(values[key])
    table = pa.table({k: pa.array(v, _CALL_TYPES.get(k, pa.string())) for k, v in columns.items()})
    names = ", ".join(columns)
    with store.transaction() as con:
        con.register("new_calls", table)
        con.execute(f"INSERT OR REPLACE INTO judge_calls ({names}) SELECT {names} FROM new_calls")
        con.unregister("new_calls")


def replace_run_items(store: Store, run_id: str, rows: Sequence[RunItemRow]) -> None:
    """The run's per-item verdict summary, swapped in one transaction (a re-score replaces it whole)."""
    table = pa.table(
        {
            "run_id": pa.array([r.run_id for r in rows], pa.string()),
            "item_id": pa.array([r.item_id for r in rows], pa.string()),
            "judge_identity": pa.array([r.judge_identity for r in rows], pa.string()),
            "judge_model": pa.array([r.judge_model for r in rows], pa.string()),
            "rubric_hash": pa.array([r.rubric_hash for r in rows], pa.string()),
            "status": pa.array([r.status for r in rows], pa.string()),
            "reason": pa.array([r.reason for r in rows], pa.string()),
            "cache_keys": pa.array([list(r.cache_keys) for r in rows], pa.list_(pa.string())),
            "overall_scores": pa.array(
                [list(r.overall_scores) if r.overall_scores is not None else None for r in rows], pa.list_(pa.int32())
            ),
            "cas": pa.array([r.cas for r in rows], pa.float64()),
            "spread": pa.array([r.spread for r in rows], pa.int32()),
            "unstable": pa.array([r.unstable for r in rows], pa.bool_()),
            "flags": pa.array([list(r.flags) for r in rows], pa.list_(pa.string())),
        }
    )
    with store.transaction() as con:
        con.execute("DELETE FROM judge_run_items WHERE run_id = ?", [run_id])
        if rows:
            con.register("new_items", table)
            con.execute(
                f"INSERT INTO judge_run_items ({', '.join(table.column_names)}) "
                f"SELECT {', '.join(table.column_names)} FROM new_items"
            )
            con.unregister("new_items")


def unstable_items(store: Store, run_id: str) -> list[dict[str, Any]]:
    """The run's items whose judge samples disagreed by the configured spread or more."""
    rows = store.query(
        "SELECT item_id, overall_scores, spread, cas, flags FROM judge_run_items "
        "WHERE run_id = ? AND unstable ORDER BY item_id",
        [run_id],
    )
    return [
        {"item_id": i, "overall_scores": list(o), "spread": s, "cas": c, "flags": list(f or [])}
        for i, o, s, c, f in rows
    ]


def run_verdicts(store: Store, run_id: str):  # -> pandas.DataFrame
    """Every sample verdict behind a run's CAS: item, sample, scores, rationale, flags (for the dashboard)."""
    return store.frame(
        "SELECT ri.item_id, j.sample_index, j.status, j.overall, j.criteria_json, j.rationale, j.flags, j.error, "
        "ri.unstable, j.judge_model, j.rubric_hash FROM (SELECT item_id, unstable, unnest(cache_keys) AS cache_key "
        "FROM judge_run_items WHERE run_id = ?) ri JOIN judge_calls j USING (cache_key) "
        "ORDER BY ri.item_id, j.sample_index",
        [run_id],
    )
