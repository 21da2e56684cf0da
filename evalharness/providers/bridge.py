"""An asyncio event loop on a background thread, for synchronous callers (the runner, a CLI command).

The runner consumes a plain iterator and stores each result as it arrives; the provider calls are
asyncio. `LoopThread.stream()` runs a coroutine that pushes results through `emit`, and yields them to
the synchronous side in arrival order. Closing the iterator early cancels the coroutine.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
_DONE = object()


class LoopThread:
    def __init__(self, name: str = "evalharness-provider-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Awaitable[T]) -> T:
        """Run one coroutine on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()  # type: ignore[arg-type]

    def stream(self, producer: Callable[[Callable[[T], None]], Awaitable[None]]) -> Iterator[T]:
        """Yield whatever `producer(emit)` emits, as soon as it is emitted; re-raise its exception at the end."""
        results: queue.Queue[Any] = queue.Queue()
        started: dict[str, asyncio.Task[Any]] = {}

        async def main() -> None:
            started["task"] = asyncio.current_task()  # type: ignore[assignment]
            try:
                await producer(results.put)
            finally:
                results.put(_DONE)

        future = asyncio.run_coroutine_threadsafe(main(), self.loop)
        finished = False
        try:
            while True:
                item = results.get()
                if item is _DONE:
                    finished = True
                    break
                yield item
            future.result()
        finally:
            if not finished:
                # Left early (the consumer stopped or was interrupted): cancel the producer inside the loop
                # and wait until it has unwound, so no request is still running when the caller moves on.
                def cancel() -> None:  # runs in the loop thread
                    task = started.get("task")
                    if task is not None:
                        task.cancel()
                    else:  # not started yet: it never will, so nothing will say it is done
                        future.cancel()
                        results.put(_DONE)

                self.loop.call_soon_threadsafe(cancel)
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    try:
                        if results.get(timeout=max(0.0, deadline - time.monotonic())) is _DONE:
                            break
                    except queue.Empty:
                        break

    def close(self) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=30)
            self.loop.close()
