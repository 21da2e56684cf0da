"""The audit trail: every request that leaves the machine becomes a row of `external_calls`.

One row per HTTP attempt — a retried call shows each try, so the table answers both "what was sent,
for which item of which suite" (governance) and "what did it cost" (tokens). Rows are queued and written
by one background thread in batches (a short transaction every `flush_s` or `batch_size` rows), so
auditing never slows the calls down; `close()` writes what is left. Keys are never recorded: the reason
of a failed attempt is scrubbed before it is queued.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

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
    """Thread-safe, batched writer of CallRecords. Use as a context manager or call `close()`."""

    def __init__(self, store: Store, *, flush_s: float = 0.5, batch_size: int = 500) -> None:
        self.store = store
        self.flush_s = flush_s
        self.batch_size = batch_size
        self.recorded = 0
        self._queue: queue.Queue[CallRecord | None] = queue.Queue()
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="evalharness-audit", daemon=True)
        self._thread.start()

    def record(self, record: CallRecord) -> None:
        if self._closed:
            raise RuntimeError("audit log is closed")
        if self._error is not None:
            raise self._error
        if record.error:
            record = replace(record, error=scrub(record.error))
        self._queue.put(record)

    def _loop(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            # gather what arrives within one flush window after the first row: a batch per window under load
            deadline = time.monotonic() + self.flush_s
            while len(batch) < self.batch_size:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            if self._error is None:
                try:
                    write_calls(self.store, batch)
                    self.recorded += len(batch)
                except BaseException as exc:  # surfaced on the next record() or close()
                    self._error = exc

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
