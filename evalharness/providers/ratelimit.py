"""Optional requests-per-minute and tokens-per-minute budgets (token buckets).

Each bucket holds at most `burst_s` seconds' worth of its rate, so a run starts smoothly instead of
spending a minute's budget in its first second. Token use is only known after a call: callers take an
estimate up front and `settle()` the difference, which may leave the bucket in debt (the next callers wait).
"""

from __future__ import annotations

import asyncio
import time


class _Bucket:
    def __init__(self, per_minute: float, burst_s: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * burst_s)
        self.level = self.capacity
        self.stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_for(self, amount: float) -> float:
        """Seconds until `amount` may be taken (an amount above capacity waits for a full bucket)."""
        self._refill()
        need = min(amount, self.capacity)
        return 0.0 if self.level >= need else (need - self.level) / self.rate

    def take(self, amount: float) -> None:
        self._refill()
        self.level -= amount


class RateLimiter:
    def __init__(self, rpm: float | None = None, tpm: float | None = None, *, burst_s: float = 5.0) -> None:
        self.requests = _Bucket(rpm, burst_s) if rpm else None
        self.tokens = _Bucket(tpm, burst_s) if tpm else None
        self.waited_s = 0.0
        self._lock: asyncio.Lock | None = None

    @property
    def active(self) -> bool:
        return self.requests is not None or self.tokens is not None

    async def acquire(self, estimated_tokens: int = 0) -> None:
        """Wait until one request and `estimated_tokens` fit the budgets; first come, first served."""
        if not self.active:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            while True:
                delay = max(
                    self.requests.wait_for(1) if self.requests else 0.0,
                    self.tokens.wait_for(estimated_tokens) if self.tokens else 0.0,
                )
                if delay <= 0:
                    break
                self.waited_s += delay
                await asyncio.sleep(delay)
            if self.requests:
                self.requests.take(1)
            if self.tokens:
                self.tokens.take(estimated_tokens)

    def settle(self, estimated_tokens: int, actual_tokens: int | None) -> None:
        """Correct the token bucket once the real usage is known."""
        if self.tokens is not None and actual_tokens is not None:
            self.tokens.take(actual_tokens - estimated_tokens)
