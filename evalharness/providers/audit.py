"""The audit trail: every request that leaves the machine becomes a row of `external_calls`.

One row per HTTP attempt — a retried call shows each try, so the table answers both "what was sent,
for which item of which suite" (governance) and "what did it cost" (tokens). Rows are queued and written
by one background thread in batches (a short transaction every `flush_s` or `batch_size` rows), so
auditing never slows the calls down; `close()` writes what is left. Keys are never recorded: the reason
of a failed attempt is scrubbed before it is queued.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from ..batching import BatchWriter
from ..store import Store
from .keys import scrub


@dataclass(frozen=True)
class AuditContext:
    """What a batch of calls is for. `purpose`: generation | loglikelihood | judging | review."""

    provider: str
    model: str
    purpose: str
    run_id: str | None = None
    suite_hash: str | None = None


@dataclass(frozen=True)
class CallRecord:
    provider: str
    model: str
    purpose: str
    status: str  # ok, or the Failure kind (rate_limited, server_error, timeout, …)
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
_TYPES = {
    "http_status": pa.int32(),
    "prompt_tokens": pa.int32(),
    "completion_tokens": pa.int32(),
    "latency_s": pa.float64(),
    "called_at": pa.timestamp("us"),
    "attempt": pa.int32(),
}


def write_calls(store: Store, records: list[CallRecord]) -> None:
    """Insert audit rows in one transaction."""
    if not records:
        return
    table = pa.table({c: pa.array([getattr(r, c) for r in records], _TYPES.get(c, pa.string())) for c in _COLUMNS})
    with store.transaction() as con:
        con.register("new_calls", table)
        con.execute(f"INSERT INTO external_calls ({', '.join(_COLUMNS)}) SELECT {', '.join(_COLUMNS)} FROM new_calls")
        con.unregister("new_calls")


class AuditLog:
    """Thread-safe, batched writer of CallRecords (the package's one `BatchWriter` under the hood): an idle
    arrival is written at once, a burst in batches of at most `batch_size`, at least about `flush_s` apart
    under load. Use as a context manager or call `close()`, which writes what is left."""

    def __init__(self, store: Store, *, flush_s: float = 0.5, batch_size: int = 500) -> None:
        self.store = store
        self._writer: BatchWriter[CallRecord] = BatchWriter(
            lambda batch: write_calls(store, batch),
            name="evalharness-audit",
            min_interval_s=min(0.2, flush_s),
            max_interval_s=max(1.0, flush_s),
            max_batch=batch_size,
        )

    @property
    def recorded(self) -> int:
        """Rows written so far."""
        return self._writer.written

    def record(self, record: CallRecord) -> None:
        if record.error:
            record = replace(record, error=scrub(record.error))
        self._writer.put(record)

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
