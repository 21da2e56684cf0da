"""Retries for a streamed reply: only *before* the first chunk arrives, so a retry never repeats text.

Retried: connection errors and timeouts, HTTP 408/429 and 5xx; a `Retry-After` the server sent is honoured
(capped). Not retried: other 4xx (a bad key or request will not get better). Jittered exponential backoff.
(A shared provider retry helper did not exist when this was written; this one is deliberately small.)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import httpx2
from google.genai import errors as genai_errors

T = TypeVar("T")

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 2
    initial_delay_s: float = 1.0
    max_delay_s: float = 20.0

    def delay(self, attempt: int, hinted: float | None = None) -> float:
        if hinted is not None:
            return min(hinted, self.max_delay_s)
        base = min(self.initial_delay_s * (2**attempt), self.max_delay_s)
        return base * (0.5 + random.random() / 2)


def http_status(exc: BaseException) -> int | None:
    code = getattr(exc, "code", None) if isinstance(exc, genai_errors.APIError) else None
    return int(code) if isinstance(code, int) else None


def is_transport_error(exc: BaseException) -> bool:
    """The endpoint could not be reached or did not answer in time (offline, refused, timed out)."""
    return isinstance(exc, (httpx2.TransportError, ConnectionError, TimeoutError))


def is_retryable(exc: BaseException) -> bool:
    return is_transport_error(exc) or http_status(exc) in RETRY_STATUS


def retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class Attempts:
    """Counts attempts, so the caller can record them."""

    def __init__(self) -> None:
        self.count = 0


def stream_with_retries(
    open_stream: Callable[[], Iterator[T]],
    policy: RetryPolicy,
    *,
    attempts: Attempts | None = None,
    on_retry: Callable[[BaseException], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[T]:
    """Yield the chunks of `open_stream()`; reopen it on a retryable failure until the first chunk arrives.
    After that, a failure propagates (the caller already showed part of the reply). `on_retry` hears of
    each failed attempt that is retried (e.g. to audit it)."""
    attempts = attempts or Attempts()
    for attempt in range(policy.retries + 1):
        attempts.count = attempt + 1
        try:
            stream = open_stream()
            first = next(stream)
        except StopIteration:
            return
        except Exception as exc:
            if attempt >= policy.retries or not is_retryable(exc):
                raise
            if on_retry is not None:
                on_retry(exc)
            sleep(policy.delay(attempt, retry_after(exc)))
            continue
        yield first
        yield from stream
        return
