"""How long to wait before the next attempt (jittered exponential backoff, or the server's Retry-After), and
retries of a streamed reply that stop at its first chunk."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from .failures import Failure, classify
from .settings import ProviderSettings

T = TypeVar("T")
_RANDOM = random.Random()


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 6
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    max_retry_after_s: float = 120.0

    @classmethod
    def from_settings(cls, settings: ProviderSettings) -> RetryPolicy:
        return cls(
            max_retries=settings.max_retries,
            backoff_s=settings.backoff_s,
            max_backoff_s=settings.max_backoff_s,
            max_retry_after_s=settings.max_retry_after_s,
        )

    def should_retry(self, failure: Failure, attempt: int) -> bool:
        """`attempt` counts from 1. Fatal and non-retryable failures never retry."""
        return failure.retryable and not failure.fatal and attempt <= self.max_retries

    def delay(self, failure: Failure, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds before attempt `attempt + 1`.

        A server's Retry-After is honoured as given (capped at max_retry_after_s), plus a little jitter so
        the requests it stopped do not return in one burst. Otherwise "equal jitter": half of the
        exponential step, plus a random share of the other half.
        """
        rng = rng or _RANDOM
        if failure.retry_after_s is not None:
            wait = min(failure.retry_after_s, self.max_retry_after_s)
            return wait + rng.uniform(0, min(1.0, 0.1 * wait + 0.05))
        step = min(self.max_backoff_s, self.backoff_s * (2 ** (attempt - 1)))
        return step / 2 + rng.uniform(0, step / 2)


class Attempts:
    """Counts the attempts of one call, so the caller can report and audit them."""

    def __init__(self) -> None:
        self.count = 0


def stream_with_retries(
    open_stream: Callable[[], Iterator[T]],
    policy: RetryPolicy,
    *,
    should_retry: Callable[[Failure], bool] | None = None,
    attempts: Attempts | None = None,
    on_retry: Callable[[BaseException, Failure], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[T]:
    """Yield the chunks of `open_stream()`, reopening it after a retryable failure — only until the first chunk
    has arrived. After that a failure propagates: the caller has already shown part of the reply, and a retry
    would repeat it. `should_retry` narrows which failures are retried (default: the policy's rule);
    `on_retry(exc, failure)` hears of each failed attempt that is retried (e.g. to audit it)."""
    attempts = attempts or Attempts()
    attempt = 0
    while True:
        attempt += 1
        attempts.count = attempt
        try:
            stream = open_stream()
            first = next(stream)
        except StopIteration:
            return
        except Exception as exc:
            failure = classify(exc)
            allowed = should_retry(failure) if should_retry is not None else True
            if not (allowed and policy.should_retry(failure, attempt)):
                raise
            if on_retry is not None:
                on_retry(exc, failure)
            sleep(policy.delay(failure, attempt))
            continue
        yield first
        yield from stream
        return
