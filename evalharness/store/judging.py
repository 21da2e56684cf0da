"""Tables `judge_rubrics`, `judge_calls` (the verdict cache) and `judge_run_items` (which verdicts each run's CAS
rests on), and the reads the dashboard and calibration make of them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa

from ..judge.rubric import Rubric
from ..judge.verdict import Verdict
from .connection import Store

#: a judge request's outcome: a valid verdict, an answer that failed validation, or no answer
CallStatus = Literal["ok", "invalid", "failed"]


@dataclass(frozen=True)
class JudgeCallRow:
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
class JudgeRunItemRow:
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
            "INSERT INTO judge_rubrics (rubric_hash, name, version, text) VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
            [rubric.sha256, rubric.name, rubric.version, rubric.text],
        )


def cached_verdicts(store: Store, keys: Sequence[str]) -> dict[str, Verdict]:
    """cache_key → Verdict for the keys already judged successfully (by any run)."""
    if not keys:
        return {}
    rows = store.query(
        "SELECT cache_key, overall, criteria_json, rationale, flags FROM judge_calls "
        "WHERE cache_key = ANY(?) AND status = 'ok'",
        [list(keys)],
    )
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


def put_calls(store: Store, rows: Sequence[JudgeCallRow]) -> None:
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
    with store.transaction() as con:
        con.insert("judge_calls", table, conflict="replace", key=("cache_key",))


def replace_run_items(store: Store, run_id: str, rows: Sequence[JudgeRunItemRow]) -> None:
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
            con.insert("judge_run_items", table)


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
        "FROM judge_run_items WHERE run_id = ?) ri JOIN judge_calls j ON j.cache_key = ri.cache_key "
        "ORDER BY ri.item_id, j.sample_index",
        [run_id],
    )


def judged_runs(store: Store, run_ids: Sequence[str]) -> bool:
    """True when the judge looked at any answer of these runs."""
    if not run_ids:
        return False
    row = store.query("SELECT count(*) FROM judge_run_items WHERE run_id = ANY(?)", [list(run_ids)])
    return bool(row and row[0][0])


def rationale_rows(store: Store, item_id: str, run_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Every verdict on one item for the given runs, one row per sample, in checkpoint and sample order."""
    if not run_ids:
        return []
    rows = store.frame(
        "SELECT r.checkpoint_name AS checkpoint, j.judge_model AS judge, c.sample_index + 1 AS sample, "
        "c.overall AS grade, 100 * j.cas AS cas, j.unstable, array_to_string(c.flags, ', ') AS flags, "
        "c.rationale FROM judge_run_items j JOIN runs r ON r.run_id = j.run_id "
        "JOIN judge_calls c ON c.cache_key = ANY(j.cache_keys) "
        "WHERE j.item_id = ? AND j.run_id = ANY(?) AND c.status = 'ok' "
        "ORDER BY r.started_at, c.sample_index",
        [item_id, list(run_ids)],
    ).to_dict("records")
    for row in rows:
        row["cas"] = None if row["cas"] is None or row["cas"] != row["cas"] else round(float(row["cas"]), 1)
    return rows


def judge_grades(store: Store) -> list[tuple[str, str, str, str, str | None, float, int]]:
    """(judge identity, rubric hash, item id, answer sha256, suite hash, mean overall, n samples) of every
    judged answer of a scored run item."""
    return [
        (i, h, item, sha, suite, float(mean), int(n))
        for i, h, item, sha, suite, mean, n in store.query(
            "WITH keys AS (SELECT DISTINCT ri.item_id, r.suite_hash, ri.cache_key FROM ("
            "  SELECT run_id, item_id, unnest(cache_keys) AS cache_key FROM judge_run_items WHERE status = 'scored'"
            ") ri JOIN runs r ON r.run_id = ri.run_id) "
            "SELECT j.judge_identity, j.rubric_hash, k.item_id, j.candidate_sha256, k.suite_hash, avg(j.overall), "
            "count(*) FROM keys k JOIN judge_calls j ON j.cache_key = k.cache_key WHERE j.status = 'ok' "
            "GROUP BY j.judge_identity, j.rubric_hash, k.item_id, j.candidate_sha256, k.suite_hash"
        )
    ]


def judge_models(store: Store) -> dict[tuple[str, str], tuple[str, str]]:
    """(judge identity, rubric hash) → (provider, model)."""
    return {
        (i, r): (p, m)
        for i, r, p, m in store.query(
            "SELECT DISTINCT judge_identity, rubric_hash, judge_provider, judge_model FROM judge_calls"
        )
    }


def rubric_names(store: Store) -> dict[str, tuple[str, str]]:
    """rubric hash → (name, version)."""
    return {h: (n, v) for h, n, v in store.query("SELECT rubric_hash, name, version FROM judge_rubrics")}


def unstable_flags(store: Store, run_id: str) -> dict[str, bool]:
    """item_id → whether the judge's samples disagreed, for a run's judged items."""
    return {
        i: bool(u) for i, u in store.query("SELECT item_id, unstable FROM judge_run_items WHERE run_id = ?", [run_id])
    }
