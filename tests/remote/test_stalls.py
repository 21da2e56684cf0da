"""A stalled request does not hold the run: an attempt far slower than the provider's recent replies is
abandoned and sent again (once per item), instead of waiting out the client's timeout."""

from __future__ import annotations

from evalharness.runner import Runner
from evalharness.store import Store

from remote_common import fast_config, remote_checkpoint

STALLING = ("word 20 ", "word 35 ", "word 50 ")


def test_stalled_requests_are_cut_and_sent_again(keys, fake, make_suite_dir, write_checkpoint, store: Store) -> None:
    fake.behaviour.latency_s = 0.02
    fake.behaviour.stall_first = STALLING
    fake.behaviour.timeout_sleep_s = 120.0  # held far longer than anything else takes
    suite = make_suite_dir(60)
    ckpt = remote_checkpoint(write_checkpoint, "openai", fake)
    # the cut comes at max(2 s, 1 × the p95 of ~20 ms replies) = 2 s, however loaded the machine
    config = fast_config(concurrency=4, timeout_s=120.0, stall_factor=1.0, stall_min_s=2.0)
    result = Runner(config, store).run(ckpt, suite)
    assert result.status == "complete" and result.n_failed == 0
    rows = store.query("SELECT item_id, attempt, status, error FROM external_calls WHERE run_id = ? "
                       "ORDER BY item_id, attempt", [result.run_id])
    stalled = {item for item, _, status, _ in rows if status == "stalled"}
    assert stalled == {"i020", "i035", "i050"}
    for item in stalled:
        attempts = [(attempt, status) for i, attempt, status, _ in rows if i == item]
        assert attempts == [(1, "stalled"), (2, "ok")]
    reason = next(error for _, _, status, error in rows if status == "stalled")
    assert "no reply after" in reason and "95th-percentile latency" in reason and "sent again" in reason


def test_an_item_is_cut_only_once_so_a_slow_reply_still_arrives(keys, fake, make_suite_dir, write_checkpoint,
                                                                store: Store) -> None:
    """A request that is merely slow (every attempt of this item takes long) is cut once, then waited for."""
    fake.behaviour.latency_s = 0.02
    suite = make_suite_dir(30)
    ckpt = remote_checkpoint(write_checkpoint, "openai", fake)
    slow = {"How do you say word 25 in Stoney?"}
    original = fake.behaviour.reply

    def reply(prompt: str, system: str | None) -> str:
        if prompt in slow:
            import time

            time.sleep(5.0)  # each attempt of this item: above the 2 s cut, below the timeout
        return original(prompt, system)

    fake.behaviour.reply = reply
    config = fast_config(concurrency=4, timeout_s=60.0, stall_factor=1.0, stall_min_s=2.0)
    result = Runner(config, store).run(ckpt, suite)
    assert result.status == "complete"
    rows = store.query("SELECT attempt, status FROM external_calls WHERE run_id = ? AND item_id = 'i025' "
                       "ORDER BY attempt", [result.run_id])
    assert rows == [(1, "stalled"), (2, "ok")]


def test_a_slow_request_set_aside_frees_its_place_under_the_cap_but_not_the_maximum() -> None:
    import asyncio

    from evalharness.providers.concurrency import AdaptiveLimiter

    async def scenario() -> tuple[int, int, bool]:
        limiter = AdaptiveLimiter(2)
        first = await limiter.acquire()
        await limiter.release(first, rate_limited=True)  # a 429 halves the cap to 1
        slow = await limiter.acquire()
        await limiter.set_slow_aside()  # the one in flight is far slower than its peers
        other = await limiter.acquire()  # so another may go, though the cap is 1
        blocked = asyncio.ensure_future(limiter.acquire())  # but never more than the maximum of 2 at once
        await asyncio.sleep(0.05)
        held = not blocked.done()
        await limiter.release(other)  # a place under the cap of 1 is free again, and 1 + 1 aside ≤ 2
        third = await asyncio.wait_for(blocked, 5)
        await limiter.release(slow, was_set_aside=True)
        await limiter.release(third)
        return limiter.cap, limiter.in_flight + limiter.set_aside, held

    cap, in_flight, held = asyncio.run(scenario())
    assert cap == 1 and in_flight == 0 and held
