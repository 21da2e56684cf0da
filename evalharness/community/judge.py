"""The judge's rationale and stability, shown only when the judge's tables exist.

The judge arrives in its own migration (0003), built separately. Rather than guess its schema, we look in
`information_schema` for a table whose name mentions the judge (or verdicts) and that has `item_id` and
`rationale` columns; without one the dashboard shows no judge section at all — never an empty placeholder
pretending to be a verdict. Optional columns used when present: `run_id` (to tie a verdict to a run),
`score`/`verdict`/`model`/`created_at` (shown), and `unstable` or `stable` (boolean; orders the review queue).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

SHOWN_COLUMNS = ("model", "judge_model", "score", "cas", "verdict", "grade", "sample", "created_at")


@dataclass(frozen=True)
class JudgeTable:
    name: str
    columns: tuple[str, ...]

    @property
    def has_run(self) -> bool:
        return "run_id" in self.columns

    def instability_expr(self, alias: str) -> str | None:
        """SQL (over `alias`) that is true for an unstable verdict, or None if the table cannot tell."""
        if "unstable" in self.columns:
            return f"{alias}.unstable"
        if "stable" in self.columns:
            return f"NOT {alias}.stable"
        return None


def find_judge_table(con: duckdb.DuckDBPyConnection) -> JudgeTable | None:
    rows = con.execute(
        "SELECT table_name, list(column_name ORDER BY ordinal_position) FROM information_schema.columns "
        "WHERE table_schema = 'main' AND (table_name ILIKE '%judge%' OR table_name ILIKE '%verdict%') "
        "GROUP BY table_name ORDER BY table_name").fetchall()
    for name, columns in rows:
        cols = tuple(c.lower() for c in columns)
        if "item_id" in cols and "rationale" in cols:
            return JudgeTable(name=name, columns=cols)
    return None


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def rationale_rows(con: duckdb.DuckDBPyConnection, table: JudgeTable, item_id: str,
                   run_ids: list[str]) -> list[dict[str, Any]]:
    """The judge's verdicts on one item (for the given runs when the table records runs)."""
    shown = [c for c in SHOWN_COLUMNS if c in table.columns]
    select = ", ".join(_quote(c) for c in (["run_id"] if table.has_run else []) + shown + ["rationale"])
    sql = f"SELECT {select} FROM {_quote(table.name)} WHERE item_id = ?"
    params: list[Any] = [item_id]
    if table.has_run:
        if not run_ids:
            return []
        sql += f" AND run_id IN ({', '.join('?' for _ in run_ids)})"
        params += run_ids
    frame = con.execute(sql, params).df()
    return frame.to_dict("records")
