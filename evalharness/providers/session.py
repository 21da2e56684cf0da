"""One provider, driven well: rate budgets, an adaptive concurrency cap, retries, audit — around any call.

`ProviderSession.call(fn)` awaits `fn()` (an SDK request plus parsing, returning `(value, Usage)`) until
it succeeds, fails for good, or runs out of retries, and always returns a `CallOutcome` — it does not
raise for provider trouble, so one bad item never stops a batch. Each attempt is one audit row.
A fatal failure (401/403/404) stops the session: later calls fail at once, without sending anything.

`run_all()` feeds many items through one session with a fixed pool of workers and hands each outcome to
a callback the moment it is ready (the runner stores it right away).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from .audit import AuditContext, AuditLog, CallRecord
from .concurrency import AdaptiveLimiter
from .failures import Failure, classify
from .ratelimit import RateLimiter
from .retry import RetryPolicy
from .settings import ProviderSettings
from .stalls import StallDetector

T = TypeVar("T")
ItemT = TypeVar("ItemT")


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @property
    def total(self) -> int | None:
        if self.prompt_tokens is None and self.completion_tokens is None:
            return None
        return (self.prompt_tokens or 0) + (self.completion_tokens or 0)


@dataclass(frozen=True)
class CallOutcome(Generic[T]):
    value: T | None
    failure: Failure | None
    attempts: int
    usage: Usage = Usage()
    latency_s: float | None = None  # of the attempt that succeeded

    @property
    def ok(self) -> bool:
        return self.failure is None


class ProviderSession:
    """Create it inside the event loop that will use it (its locks belong to that loop)."""

    def __init__(
        self,
        settings: ProviderSettings,
        context: AuditContext,
        *,
        audit: AuditLog | None,
        concurrency: int = 8,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.context = context
        self.audit = audit
        self.limiter = AdaptiveLimiter(settings.concurrency or concurrency)
        self.rate = RateLimiter(settings.rpm, settings.tpm)
        self.policy = RetryPolicy.from_settings(settings)
        self.timeout_s = settings.timeout_s
        self.stalls = StallDetector(factor=settings.stall_factor, min_s=settings.stall_min_s)
        self.rng = rng or random.Random()
        self.fatal: Failure | None = None
        self.attempts = 0
        self.failures_by_kind: dict[str, int] = {}

    async def call(
        self,
        fn: Callable[[], Awaitable[tuple[T, Usage]]],
        *,
        item_id: str | None = None,
        endpoint: str | None = None,
        estimated_tokens: int = 0,
    ) -> CallOutcome[T]:
        attempt = 0
        cut_once = False  # an item's attempt is abandoned as stalled at most once
        while True:
            if self.fatal is not None:
                return CallOutcome(
                    None,
                    Failure(
                        self.fatal.kind,
                        f"not sent: an earlier call failed with {self.fatal.reason}",
                        False,
                        fatal=True,
                        http_status=self.fatal.http_status,
                    ),
                    attempt,
                )
            attempt += 1
            value, usage, failure, latency = await self._attempt(
                fn, item_id, endpoint, attempt, estimated_tokens, may_cut=not cut_once
            )
            if failure is None:
                return CallOutcome(value, None, attempt, usage, latency)
            self.failures_by_kind[failure.kind] = self.failures_by_kind.get(failure.kind, 0) + 1
            if failure.fatal:
                self.fatal = failure
            if not self.policy.should_retry(failure, attempt):
                suffix = f" (after {attempt} attempts)" if attempt > 1 else ""
                return CallOutcome(None, replace(failure, reason=failure.reason + suffix), attempt)
            if failure.kind == "stalled":
                cut_once = True  # sent again at once: a stall says nothing about load, so no backoff
                continue
            await asyncio.sleep(self.policy.delay(failure, attempt, self.rng))

    async def _attempt(
        self,
        fn: Callable[[], Awaitable[tuple[T, Usage]]],
        item_id: str | None,
        endpoint: str | None,
        attempt: int,
        estimated_tokens: int,
        *,
        may_cut: bool = True,
    ) -> tuple[T | None, Usage, Failure | None, float | None]:
        await self.rate.acquire(estimated_tokens)
        ticket = await self.limiter.acquire()
        self.attempts += 1
        started = time.monotonic()
        value: T | None = None
        usage = Usage()
        failure: Failure | None = None
        aside = [False]

        async def set_aside() -> None:
            aside[0] = True
            await self.limiter.set_slow_aside()

        try:
            value, usage = await self._within_deadlines(fn, started, may_cut=may_cut, on_slow=set_aside)
        except _Stalled as stalled:
            failure = self._stalled(stalled.after_s)
        except asyncio.CancelledError:  # the run was stopped: the request may have been sent, so record it
            self._record(
                item_id,
                endpoint,
                attempt,
                Failure("cancelled", "cancelled before a reply arrived", False),
                usage,
                time.monotonic() - started,
            )
            await self.limiter.release(ticket, was_set_aside=aside[0])
            raise
        except Exception as exc:  # every provider problem becomes a Failure; bugs in our code too, with a reason
            failure = classify(exc)
        latency = time.monotonic() - started
        if failure is None:
            self.stalls.observe(latency)
        await self.limiter.release(
            ticket,
            ok=failure is None,
            rate_limited=failure is not None and failure.kind == "rate_limited",
            retry_after_s=failure.retry_after_s if failure else None,
            was_set_aside=aside[0],
        )
        self.rate.settle(estimated_tokens, usage.total)
        self._record(item_id, endpoint, attempt, failure, usage, latency)
        return value, usage, failure, latency

    async def _within_deadlines(
        self,
        fn: Callable[[], Awaitable[tuple[T, Usage]]],
        started: float,
        *,
        may_cut: bool,
        on_slow: Callable[[], Awaitable[None]],
    ) -> tuple[T, Usage]:
        """`fn()`, abandoned at the timeout (a backstop for servers that trickle bytes) or, sooner, when it
        has become stalled; `on_slow` is awaited once when it has become slow. The thresholds are looked at
        again while the attempt waits: attempts sent before the session had learnt its latencies are cut
        too once it has."""
        task = asyncio.ensure_future(fn())
        slow_seen = False
        try:
            while True:
                elapsed = time.monotonic() - started
                stall_s = self.stalls.threshold() if may_cut else None
                if stall_s is not None and stall_s < self.timeout_s and elapsed >= stall_s:
                    raise _Stalled(stall_s)
                if elapsed >= self.timeout_s:
                    raise TimeoutError
                slow_s = self.stalls.slow()
                if not slow_seen and slow_s is not None and elapsed >= slow_s:
                    slow_seen = True
                    await on_slow()
                deadline = min(self.timeout_s, stall_s) if stall_s is not None else self.timeout_s
                if not slow_seen and slow_s is not None:
                    deadline = min(deadline, slow_s)
                # while still learning, look again soon: the threshold may appear meanwhile
                learning = may_cut and stall_s is None and self.stalls.factor > 0
                wait = min(deadline - elapsed, 0.25) if learning else deadline - elapsed
                done, _ = await asyncio.wait({task}, timeout=max(wait, 0.0))
                if done:
                    return task.result()
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    def _stalled(self, after_s: float) -> Failure:
        p95 = self.stalls.p95() or 0.0
        return Failure(
            "stalled",
            f"no reply after {after_s:.1f} s ({self.stalls.factor:g}× the recent 95th-percentile latency of "
            f"{p95:.2f} s): abandoned and sent again",
            True,
        )

    def _record(
        self,
        item_id: str | None,
        endpoint: str | None,
        attempt: int,
        failure: Failure | None,
        usage: Usage,
        latency: float,
    ) -> None:
        if self.audit is None:
            return
        c = self.context
        self.audit.record(
            CallRecord(
                provider=c.provider,
                model=c.model,
                purpose=c.purpose,
                run_id=c.run_id,
                suite_hash=c.suite_hash,
                item_id=item_id,
                endpoint=endpoint,
                attempt=attempt,
                status="ok" if failure is None else failure.kind,
                http_status=200 if failure is None else failure.http_status,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                latency_s=latency,
                error=None if failure is None else failure.reason,
            )
        )


async def run_all(
    items: Iterable[ItemT], work: Callable[[ItemT], Awaitable[T]], emit: Callable[[T], None], *, workers: int
) -> None:
    """Run `work` over `items` with `workers` concurrent workers; `emit` each result as soon as it is ready.

    `work` must not raise for expected failures (ProviderSession.call does not); an unexpected exception
    cancels the remaining workers and propagates.
    """
    iterator = iter(items)

    async def worker() -> None:
        for item in iterator:  # a shared iterator: each item is taken by exactly one worker
            emit(await work(item))

    tasks = [asyncio.create_task(worker()) for _ in range(max(1, workers))]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class _Stalled(Exception):
    """An attempt passed the session's stall threshold (`after_s` seconds) without a reply."""

    def __init__(self, after_s: float) -> None:
        super().__init__(f"stalled after {after_s:.1f} s")
        self.after_s = after_s
