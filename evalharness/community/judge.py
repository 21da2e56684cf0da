"""The judge's verdicts as reviewers see them: rationale, grades, flags and stability per answer.

Reads the judge's own tables (migration 0003): `judge_run_items` says which verdicts an answer's CAS
rests on and whether its samples disagreed; `judge_calls` holds each verdict's grade and rationale.
"""

from __future__ import annotations

from typing import Any

import duckdb


def judged_runs(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> bool:
    """True when the judge looked at any answer of these runs (else the page shows no judge section)."""
    if not run_ids:
        return False
    row = con.execute(
        "SELECT count(*) FROM judge_run_items WHERE run_id IN (SELECT unnest(?::VARCHAR[]))", [run_ids]
    ).fetchone()
    return bool(row and row[0])


def rationale_rows(con: duckdb.DuckDBPyConnection, item_id: str, run_ids: list[str]) -> list[dict[str, Any]]:
    """Every verdict on one item for the given runs, one row per sample, in checkpoint and sample order."""
    if not run_ids:
        return []
    return (
        con.execute(
            "SELECT r.checkpoint_name AS checkpoint, j.judge_model AS judge, c.sample_index + 1 AS sample, "
            "c.overall AS grade, round(100 * j.cas, 1) AS cas, j.unstable, array_to_string(c.flags, ', ') AS flags, "
            "c.rationale FROM judge_run_items j JOIN runs r USING (run_id) "
            "JOIN judge_calls c ON list_contains(j.cache_keys, c.cache_key) "
            "WHERE j.item_id = ? AND j.run_id IN (SELECT unnest(?::VARCHAR[])) AND c.status = 'ok' "
            "ORDER BY r.started_at, c.sample_index",
            [item_id, run_ids],
        )
        .df()
        .to_dict("records")
    )


#: SQL joined into the review queue: answers whose judge samples disagreed come first.
UNSTABLE_JOIN = "LEFT JOIN judge_run_items ju ON ju.run_id = ri.run_id AND ju.item_id = ri.item_id "
UNSTABLE_EXPR = "coalesce(ju.unstable, false)"
