"""An adaptive cap on requests in flight (AIMD, as TCP does): halve on a 429, creep back on success.

A provider's rate limit is shared with everyone using the key, so no fixed concurrency is right for
long. Starting at the configured maximum, each 429 halves the cap (once per "generation" of requests —
the 429s of requests sent before the cut do not cut again), each success adds 1/cap, so the cap climbs
back by about one per round of requests. A `Retry-After` pauses every new request until it has passed.
"""

from __future__ import annotations

import asyncio
import time


class AdaptiveLimiter:
    def __init__(self, max_limit: int, *, min_limit: int = 1) -> None:
        if max_limit < 1:
            raise ValueError("max_limit must be at least 1")
        self.max_limit = max_limit
        self.min_limit = max(1, min(min_limit, max_limit))
        self.limit = float(max_limit)
        self.in_flight = 0
        self.set_aside = 0  # slow requests still in flight that no longer count against the cap
        self.peak_in_flight = 0
        self.decreases = 0
        self._epoch = 0
        self._paused_until = 0.0
        self._cond: asyncio.Condition | None = None  # created on first use, inside the running loop

    @property
    def cap(self) -> int:
        return max(self.min_limit, int(self.limit))

    def _condition(self) -> asyncio.Condition:
        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    async def acquire(self) -> int:
        """Wait for a slot (and for any Retry-After pause); returns a ticket to give back to `release`."""
        cond = self._condition()
        while True:
            delay = self._paused_until - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            async with cond:
                # slow requests set aside free their place under the (shrunken) cap, but never let more than
                # the configured maximum be in flight at once
                if (
                    self.in_flight < self.cap
                    and self.in_flight + self.set_aside < self.max_limit
                    and self._paused_until <= time.monotonic()
                ):
                    self.in_flight += 1
                    self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
                    return self._epoch
                await cond.wait()

    async def set_slow_aside(self) -> None:
        """A request far slower than its peers stops counting against the cap (it still counts against the
        configured maximum): a few stalled requests must not hold every place the 429s left."""
        cond = self._condition()
        async with cond:
            self.in_flight -= 1
            self.set_aside += 1
            cond.notify_all()

    async def release(
        self,
        ticket: int,
        *,
        rate_limited: bool = False,
        ok: bool = False,
        retry_after_s: float | None = None,
        was_set_aside: bool = False,
    ) -> None:
        cond = self._condition()
        async with cond:
            if was_set_aside:
                self.set_aside -= 1
            else:
                self.in_flight -= 1
            if rate_limited:
                if ticket == self._epoch:  # sent before the last cut? then that cut already covered it
                    self.limit = max(float(self.min_limit), self.limit / 2)
                    self._epoch += 1
                    self.decreases += 1
                if retry_after_s:
                    self._paused_until = max(self._paused_until, time.monotonic() + retry_after_s)
            elif ok and self.limit < self.max_limit:
                self.limit = min(float(self.max_limit), self.limit + 1.0 / max(self.limit, 1.0))
            cond.notify_all()
