"""An asyncio event loop on a background thread, for synchronous callers (the runner, a CLI command).

The runner consumes a plain iterator and stores each result as it arrives; the provider calls are
asyncio. `LoopThread.stream()` runs a coroutine that pushes results through `emit`, and yields them to
the synchronous side in arrival order. Closing the iterator early cancels the coroutine.
"""

from __future__ import annotations

import asyncio
import queue
import threading
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

        async def main() -> None:
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
                future.cancel()
                try:
                    future.result(timeout=30)
                except BaseException:  # cancelled, or it failed while we were leaving: nothing more to hand back
                    pass

    def close(self) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=30)
            self.loop.close()
