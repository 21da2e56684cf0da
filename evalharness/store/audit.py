"""Table `external_calls`: one row per request that left this machine (provider, model, purpose, item, outcome).

Keys are never recorded (error texts are scrubbed before they get here)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .connection import Store


@dataclass(frozen=True)
class ExternalCallRow:
    provider: str
    model: str
    purpose: str  # generation | loglikelihood | judging | review
    status: str  # ok, or the failure kind (rate_limited, server_error, timeout, …)
    run_id: str | None = None
    suite_hash: str | None = None
    item_id: str | None = None
    endpoint: str | None = None
    attempt: int = 1
    http_status: int | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    error: str | None = None
    called_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))
    call_id: str = field(default_factory=lambda: uuid.uuid4().hex)


_COLUMNS = (
    "call_id",
    "provider",
    "model",
    "purpose",
    "run_id",
    "suite_hash",
    "item_id",
    "status",
    "http_status",
    "prompt_tokens",
    "completion_tokens",
    "latency_s",
    "called_at",
    "attempt",
    "endpoint",
    "error",
)


def write_calls(store: Store, records: Sequence[ExternalCallRow]) -> None:
    """Insert audit rows in one transaction."""
    if not records:
        return
    with store.transaction() as con:
        con.insert("external_calls", [{c: getattr(r, c) for c in _COLUMNS} for r in records], columns=_COLUMNS)


def list_calls(store: Store, *, run_id: str | None = None, purpose: str | None = None) -> list[ExternalCallRow]:
    """Audit rows, oldest first; optionally of one run and/or purpose."""
    where, params = [], []
    if run_id is not None:
        where.append("run_id = ?")
        params.append(run_id)
    if purpose is not None:
        where.append("purpose = ?")
        params.append(purpose)
    sql = (
        f"SELECT {', '.join(_COLUMNS)} FROM external_calls"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY called_at, call_id"
    )
    return [ExternalCallRow(**dict(zip(_COLUMNS, r))) for r in store.query(sql, params)]


def usage_by_model(
    store: Store, *, run_id: str, purposes: Sequence[str] | None = None
) -> list[tuple[str, str, int, int, int, int, int]]:
    """(provider, model, calls, answered calls, answered calls without token usage, prompt tokens, completion
    tokens) of a run's audited calls, retries included."""
    where = "run_id = ?"
    params: list[object] = [run_id]
    if purposes:
        where += " AND purpose = ANY(?)"
        params.append(list(purposes))
    return [
        (p, m, int(n), int(ok), int(nu), int(pt), int(ct))
        for p, m, n, ok, nu, pt, ct in store.query(
            "SELECT provider, model, count(*), count(*) FILTER (WHERE status = 'ok'), "
            "count(*) FILTER (WHERE status = 'ok' AND (prompt_tokens IS NULL OR completion_tokens IS NULL)), "
            f"coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0) FROM external_calls WHERE {where} "
            "GROUP BY provider, model ORDER BY provider, model",
            params,
        )
    ]
