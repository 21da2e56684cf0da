"""What went wrong with a call, in terms the retry loop can act on — with a reason free of keys.

Providers fail in many shapes (openai's `RateLimitError`, google-genai's `ClientError(code=429)`, a
socket timeout, a 200 with a body that is not JSON). `classify()` turns each into a `Failure`:

- retryable: 408, 409, 429, 5xx, timeouts, connection errors, malformed replies;
- fatal: 401, 403, 404 — the key or the model id is wrong, every further request would fail the same
  way, so the caller stops sending;
- otherwise (400, 422, a blocked prompt): this item fails, the others carry on.
"""

from __future__ import annotations

import email.utils
import json
import time
from dataclasses import dataclass
from typing import Any, Literal

from .keys import scrub

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})
FATAL_STATUS = frozenset({401, 403, 404})


class MalformedResponse(Exception):
    """The server answered, but not with something we can use (no choices, no text, no logprobs)."""


class ItemRefused(Exception):
    """The provider answered and declined this item (a safety block, a content filter): not retried."""


class Unusable(Exception):
    """The provider answered, but the answer cannot serve this item and asking again would not help
    (e.g. no log-probability for the reference's first token). Not retried."""


FailureKind = Literal[
    "rate_limited",
    "server_error",
    "timeout",
    "connection",
    "malformed",
    "client_error",
    "refused",
    "unusable",
    "fatal",
    "cancelled",
    "stalled",
    "error",
]


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    reason: str
    retryable: bool
    fatal: bool = False
    http_status: int | None = None
    retry_after_s: float | None = None


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from `retry-after-ms`, `Retry-After` (seconds or an HTTP date), or None."""
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000.0)
    except (TypeError, ValueError):
        pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        pass
    try:
        when = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def exception_text(exc: BaseException) -> str:
    """What an exception and its causes say, e.g. `ReadError ← ConnectionResetError: [Errno 104] Connection
    reset by peer`. SDKs wrap transport errors whose own text is often empty (httpx's ReadError on a reset
    connection has none) — the cause chain is where the reason is. Links that add no new text are left out."""
    links: list[str] = []
    seen_text: set[str] = set()
    current: BaseException | None = exc
    visited: set[int] = set()
    while current is not None and id(current) not in visited and len(visited) < 8:
        visited.add(id(current))
        text = " ".join(str(current).split())
        if not links or (text and text not in seen_text):
            links.append(f"{type(current).__name__}: {text}" if text else type(current).__name__)
        if text:
            seen_text.add(text)
        current = current.__cause__ or current.__context__
    return " ← ".join(links)


def _connection_failure(exc: BaseException) -> Failure:
    return Failure("connection", scrub(_short(f"connection error: {exception_text(exc)}")) or "connection error", True)


def _status_failure(status: int, message: str, headers: Any) -> Failure:
    retry_after = parse_retry_after(headers)
    reason = scrub(_short(f"HTTP {status}: {message}")) or f"HTTP {status}"
    if status == 429:
        return Failure("rate_limited", reason, True, http_status=status, retry_after_s=retry_after)
    if status in RETRYABLE_STATUS or status >= 500:
        return Failure("server_error", reason, True, http_status=status, retry_after_s=retry_after)
    if status in FATAL_STATUS:
        hint = {
            401: " — check the API key variable",
            403: " — the key may lack access to this model",
            404: " — check the model id and base_url",
        }[status]
        return Failure("fatal", reason + hint, False, fatal=True, http_status=status)
    return Failure("client_error", reason, False, http_status=status)


def classify(exc: BaseException) -> Failure:
    """Map any exception raised by a provider call to a Failure. Unknown exceptions are not retried."""
    if isinstance(exc, MalformedResponse):
        return Failure("malformed", scrub(_short(f"malformed response: {exc}")) or "malformed response", True)
    if isinstance(exc, ItemRefused):
        return Failure("refused", scrub(_short(str(exc))) or "refused", False)
    if isinstance(exc, Unusable):
        return Failure("unusable", scrub(_short(str(exc))) or "unusable", False)
    failure = _classify_openai(exc) or _classify_genai(exc) or _classify_transport(exc)
    if failure is not None:
        return failure
    return Failure("error", scrub(_short(f"{type(exc).__name__}: {exc}")) or type(exc).__name__, False)


def _classify_openai(exc: BaseException) -> Failure | None:
    try:
        import openai
    except ImportError:  # pragma: no cover - openai is a dependency
        return None
    if isinstance(exc, openai.APITimeoutError):
        return Failure("timeout", "request timed out", True)
    if isinstance(exc, openai.APIConnectionError):
        # "Connection error." says nothing; what the transport said is in the cause chain
        return _connection_failure(exc.__cause__ or exc)
    if isinstance(exc, openai.APIStatusError):
        return _status_failure(exc.status_code, _openai_message(exc), exc.response.headers)
    if isinstance(exc, openai.APIResponseValidationError):
        return Failure("malformed", scrub(_short(f"malformed response: {exc}")) or "malformed response", True)
    if isinstance(exc, json.JSONDecodeError):
        return Failure("malformed", scrub(_short(f"malformed response (not JSON): {exc}")) or "malformed", True)
    return None


def _openai_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    return str(getattr(exc, "message", exc))


def _classify_genai(exc: BaseException) -> Failure | None:
    try:
        from google.genai import errors as genai_errors
    except ImportError:  # pragma: no cover
        return None
    if isinstance(exc, genai_errors.APIError):
        headers = getattr(getattr(exc, "response", None), "headers", None)
        message = f"{exc.status or ''} {exc.message or ''}".strip() or str(exc)
        return _status_failure(int(exc.code or 0), message, headers)
    if isinstance(exc, genai_errors.UnknownApiResponseError):
        return Failure("malformed", scrub(_short(f"malformed response: {exc}")) or "malformed", True)
    return None


def _classify_transport(exc: BaseException) -> Failure | None:
    import asyncio

    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return Failure("timeout", "request timed out", True)
    try:
        import httpx2
    except ImportError:  # pragma: no cover
        httpx2 = None  # type: ignore[assignment]
    if httpx2 is not None:
        if isinstance(exc, httpx2.TimeoutException):
            return Failure("timeout", "request timed out", True)
        if isinstance(exc, httpx2.TransportError):
            return _connection_failure(exc)
    if isinstance(exc, (ConnectionError, OSError)):
        return _connection_failure(exc)
    if isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError)):
        return Failure("malformed", scrub(_short(f"malformed response (not JSON): {exc}")) or "malformed", True)
    return None
