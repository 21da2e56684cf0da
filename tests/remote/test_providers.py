"""The provider layer's parts on their own: backoff, Retry-After, adaptive cap, rate budgets, audit, cost."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import httpx2
import openai
import pytest
from google.genai import errors as genai_errors

from evalharness.errors import MissingCredentialError
from evalharness.providers.audit import AuditLog, CallRecord, write_calls
from evalharness.providers.bridge import LoopThread
from evalharness.providers.concurrency import AdaptiveLimiter
from evalharness.providers.failures import Failure, MalformedResponse, classify, parse_retry_after
from evalharness.providers.keys import resolve_api_key
from evalharness.providers.pricing import calls_cost
from evalharness.providers.ratelimit import RateLimiter
from evalharness.providers.retry import RetryPolicy
from evalharness.providers.settings import ProviderSettings
from evalharness.store import Store

REQUEST = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")


def _openai_status_error(cls, status: int, headers: dict[str, str] | None = None):
    response = httpx2.Response(status, headers=headers or {}, request=REQUEST)
    return cls("boom", response=response, body={"error": {"message": "boom"}})


def test_classify_provider_errors():
    limited = classify(_openai_status_error(openai.RateLimitError, 429, {"retry-after": "2"}))
    assert limited.kind == "rate_limited" and limited.retryable and limited.retry_after_s == 2.0
    assert classify(_openai_status_error(openai.InternalServerError, 503)).retryable
    auth = classify(_openai_status_error(openai.AuthenticationError, 401))
    assert auth.fatal and not auth.retryable and "API key" in auth.reason
    bad = classify(_openai_status_error(openai.BadRequestError, 400))
    assert not bad.retryable and not bad.fatal
    assert classify(openai.APITimeoutError(request=REQUEST)).kind == "timeout"
    assert classify(openai.APIConnectionError(request=REQUEST)).kind == "connection"
    assert classify(MalformedResponse("no choices")).kind == "malformed"
    gem = classify(genai_errors.ClientError(429, {"error": {"code": 429, "message": "slow", "status":
                                                            "RESOURCE_EXHAUSTED"}}))
    assert gem.kind == "rate_limited" and gem.http_status == 429
    assert classify(genai_errors.ServerError(500, {"error": {"code": 500, "message": "x"}})).retryable
    assert classify(httpx2.ReadTimeout("slow", request=REQUEST)).kind == "timeout"
    assert not classify(ValueError("a bug")).retryable


def test_parse_retry_after_forms():
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "3"}) == 0.25
    date = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 25 <= parse_retry_after({"retry-after": date}) <= 31
    assert parse_retry_after({}) is None and parse_retry_after({"retry-after": "soon"}) is None


def test_backoff_is_jittered_exponential_and_honours_retry_after():
    policy = RetryPolicy(max_retries=3, backoff_s=0.5, max_backoff_s=4.0, max_retry_after_s=10.0)
    rng = random.Random(1)
    plain = Failure("server_error", "x", True)
    for attempt, step in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (8, 4.0)]:
        delays = [policy.delay(plain, attempt, rng) for _ in range(200)]
        assert step / 2 <= min(delays) and max(delays) <= step and len(set(delays)) > 100
    told = Failure("rate_limited", "x", True, retry_after_s=5.0)
    assert all(5.0 <= policy.delay(told, 1, rng) <= 6.0 for _ in range(50))
    too_long = Failure("rate_limited", "x", True, retry_after_s=3600.0)
    assert policy.delay(too_long, 1, rng) <= 11.0
    assert policy.should_retry(plain, 3) and not policy.should_retry(plain, 4)
    assert not policy.should_retry(Failure("fatal", "x", False, fatal=True), 1)


def test_adaptive_limiter_halves_once_per_generation_and_recovers():
    async def scenario() -> None:
        limiter = AdaptiveLimiter(16)
        tickets = [await limiter.acquire() for _ in range(8)]
        assert limiter.in_flight == 8
        for ticket in tickets:  # eight 429s from requests sent together: one cut, not eight
            await limiter.release(ticket, rate_limited=True)
        assert limiter.cap == 8 and limiter.decreases == 1
        ticket = await limiter.acquire()  # sent after the cut: its 429 cuts again
        await limiter.release(ticket, rate_limited=True)
        assert limiter.cap == 4
        for _ in range(200):
            await limiter.release(await limiter.acquire(), ok=True)
        assert limiter.cap == 16

    asyncio.run(scenario())


def test_adaptive_limiter_caps_in_flight_and_pauses_for_retry_after():
    async def scenario() -> float:
        limiter = AdaptiveLimiter(3)
        active = peak = 0

        async def work() -> None:
            nonlocal active, peak
            ticket = await limiter.acquire()
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.01)
            active -= 1
            await limiter.release(ticket, ok=True)

        await asyncio.gather(*(work() for _ in range(20)))
        assert peak == 3
        ticket = await limiter.acquire()
        await limiter.release(ticket, rate_limited=True, retry_after_s=0.3)
        start = time.monotonic()
        await limiter.release(await limiter.acquire())
        return time.monotonic() - start

    assert asyncio.run(scenario()) >= 0.29


def test_rate_limiter_spaces_requests_and_charges_tokens():
    async def scenario() -> tuple[float, float]:
        rpm = RateLimiter(rpm=600, burst_s=0.1)  # 10 a second, no burst beyond one
        start = time.monotonic()
        for _ in range(6):
            await rpm.acquire()
        spaced = time.monotonic() - start
        tpm = RateLimiter(tpm=6000, burst_s=0.1)  # 100 tokens a second, bucket of 10
        await tpm.acquire(10)
        tpm.settle(10, 40)  # the call used 40, not 10: 30 tokens of debt
        start = time.monotonic()
        await tpm.acquire(10)
        return spaced, time.monotonic() - start

    spaced, debt_wait = asyncio.run(scenario())
    assert spaced >= 0.45
    assert debt_wait >= 0.35  # 30 debt + 10 wanted at 100 a second


def test_missing_key_names_the_variables(monkeypatch):
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(MissingCredentialError, match="GOOGLE_API_KEY or GEMINI_API_KEY"):
        resolve_api_key("gemini")
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-from-gemini-var")
    assert resolve_api_key("gemini").source == "GEMINI_API_KEY"
    monkeypatch.setenv("GOOGLE_API_KEY", "AIza-from-google-var")
    assert resolve_api_key("gemini").reveal() == "AIza-from-google-var"  # GOOGLE_API_KEY first
    assert resolve_api_key("openai_compatible", required=False) is None


def test_audit_log_writes_every_record_in_batches(store: Store):
    writes: list[int] = []
    original = write_calls

    def counting(st, records):
        writes.append(len(records))
        original(st, records)

    import evalharness.providers.audit as audit_module

    audit_module.write_calls = counting
    try:
        log = AuditLog(store, flush_s=0.2)

        def produce(t: int) -> None:
            for k in range(250):
                log.record(CallRecord(provider="openai", model="m", purpose="judging", status="ok",
                                      item_id=f"{t}-{k}", error=None))

        threads = [threading.Thread(target=produce, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        log.record(CallRecord(provider="openai", model="m", purpose="judging", status="server_error",
                              error="HTTP 500 with Authorization: Bearer sk-abcdefgh12345678"))
        log.close()
    finally:
        audit_module.write_calls = original
    assert store.query("SELECT count(*), count(DISTINCT item_id) FROM external_calls")[0] == (1001, 1000)
    assert sum(writes) == 1001 and len(writes) < 50
    assert store.query("SELECT error FROM external_calls WHERE status = 'server_error'")[0][0] == \
        "HTTP 500 with Authorization: Bearer [redacted]"


def test_cost_of_calls(store: Store):
    rows = [CallRecord(provider="openai", model="ft:a", purpose="generation", status="ok", run_id="r1",
                       prompt_tokens=1000, completion_tokens=500),
            CallRecord(provider="openai", model="ft:a", purpose="generation", status="rate_limited", run_id="r1"),
            CallRecord(provider="openai", model="ft:a", purpose="judging", status="ok", run_id="r1",
                       prompt_tokens=2000, completion_tokens=0),
            CallRecord(provider="openai", model="ft:a", purpose="generation", status="ok", run_id="r2",
                       prompt_tokens=None, completion_tokens=None)]
    write_calls(store, rows)
    settings = {"openai": ProviderSettings(prompt_per_1m=2.0, completion_per_1m=8.0)}
    cost = calls_cost(store, settings, run_id="r1")
    assert cost.calls == 3 and cost.ok_calls == 2 and cost.prompt_tokens == 3000
    assert cost.usd == pytest.approx((3000 * 2 + 500 * 8) / 1e6)
    assert calls_cost(store, settings, run_id="r1", purposes=("judging",)).usd == pytest.approx(0.004)
    no_usage = calls_cost(store, settings, run_id="r2")
    assert no_usage.usd is None and "reported no token usage" in no_usage.reason
    no_price = calls_cost(store, {}, run_id="r1")
    assert no_price.usd is None and "no price for openai model 'ft:a'" in no_price.reason


def test_loop_thread_streams_results_as_they_come_and_cancels_when_left():
    loop = LoopThread()
    got_first = threading.Event()
    cancelled = threading.Event()

    async def producer(emit) -> None:
        emit(1)
        # the consumer has item 1 before the producer finishes: results stream, they are not collected
        while not got_first.is_set():
            await asyncio.sleep(0.01)
        emit(2)
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    stream = loop.stream(producer)
    assert next(stream) == 1
    got_first.set()
    assert next(stream) == 2
    stream.close()  # the runner stopped early: the producer is cancelled, not left running
    assert cancelled.wait(5)

    async def failing(emit) -> None:
        emit("a")
        raise RuntimeError("producer failed")

    with pytest.raises(RuntimeError, match="producer failed"):
        list(loop.stream(failing))
    loop.close()
