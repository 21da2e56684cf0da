"""How long to wait before the next attempt: jittered exponential backoff, or the server's Retry-After."""

from __future__ import annotations

import random
from dataclasses import dataclass

from .failures import Failure
from .settings import ProviderSettings

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
