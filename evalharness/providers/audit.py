"""The audit trail: every request that leaves the machine becomes a row of `external_calls`.

One row per HTTP attempt — a retried call shows each try, so the table answers both "what was sent,
for which item of which suite" (governance) and "what did it cost" (tokens). Rows are queued and written
by one background thread in batches (a short transaction every `flush_s` or `batch_size` rows), so
auditing never slows the calls down; `close()` writes what is left. Keys are never recorded: the reason
of a failed attempt is scrubbed before it is queued.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..batching import BatchWriter
from ..store import Store
from ..store.audit import ExternalCallRow, write_calls
from .keys import scrub


@dataclass(frozen=True)
class AuditContext:
    """What a batch of calls is for. `purpose`: generation | loglikelihood | judging | review."""

    provider: str
    model: str
    purpose: str
    run_id: str | None = None
    suite_hash: str | None = None


#: One row type per table: an audit record is the store's `external_calls` row.
CallRecord = ExternalCallRow


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
