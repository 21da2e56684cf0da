"""One batching writer: rows produced on one thread are written to the store by another, in batches.

Used for generations, log-likelihoods, judge verdicts and audit rows alike. A row that arrives when the writer
is idle is written at once, and so is each row of a trickle (the previous write took a single row). Under load
— rows arriving while the last write ran — each write takes everything that arrived since the last one, and
writes are spaced so that writing takes at most about a tenth of the time (between `min_interval_s` and
`max_interval_s` apart): opening the DuckDB file costs tens of milliseconds of CPU, so a write per arrival
would make the store, not the model, the bottleneck at a few hundred rows a second. A finished row waits at
most `max_interval_s` (plus the write itself); `close()` writes what is left. A failed write is raised to the
producer on its next `put` or on `close`.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")
_STOP: Any = object()


class BatchWriter(Generic[T]):
    def __init__(
        self,
        write: Callable[[list[T]], None],
        *,
        name: str = "evalharness-writer",
        min_interval_s: float = 0.2,
        max_interval_s: float = 1.0,
        busy_fraction: float = 0.1,
        max_batch: int | None = None,
    ) -> None:
        self._write = write
        self._min_interval_s = min_interval_s
        self._max_interval_s = max_interval_s
        self._busy_fraction = busy_fraction
        self._max_batch = max_batch
        self._queue: queue.Queue[Any] = queue.Queue()
        self._error: BaseException | None = None
        self._closed = False
        self.written = 0
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def put(self, row: T) -> None:
        if self._closed:
            raise RuntimeError("the writer is closed")
        if self._error is not None:
            raise self._error
        self._queue.put(row)

    def _loop(self) -> None:
        stop = False
        last_write = float("-inf")
        interval = self._min_interval_s
        under_load = False
        while not stop:
            batch = [self._queue.get()]
            pause = last_write + interval - time.monotonic()
            if under_load and pause > 0 and batch[0] is not _STOP:
                time.sleep(pause)  # gather what arrives until the interval has passed
            while self._max_batch is None or len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if any(row is _STOP for row in batch):
                stop = True
                batch = [row for row in batch if row is not _STOP]
            if batch and self._error is None:
                started = time.monotonic()
                try:
                    self._write(batch)
                    self.written += len(batch)
                except BaseException as exc:  # surfaced to the producer on its next put / close
                    self._error = exc
                last_write = time.monotonic()
                interval = min(
                    self._max_interval_s, max(self._min_interval_s, (last_write - started) / self._busy_fraction)
                )
                under_load = len(batch) > 1 or not self._queue.empty()

    def close(self) -> None:
        """Write what is left and stop; raise a write error that was not reported yet."""
        if not self._closed:
            self._closed = True
            self._queue.put(_STOP)
            self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def __enter__(self) -> BatchWriter[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
