"""Fault injection at a 20% rate (429 with Retry-After, 500, timeouts, malformed bodies): every item ends
scored or failed with its reason — none lost, none duplicated — and every attempt is audited."""

from __future__ import annotations

import pytest

from evalharness.runner import Runner
from evalharness.store import Store

from remote_common import BACKENDS, fast_config, remote_checkpoint

N_ITEMS = 60
ALWAYS_FAIL = ("word 7 ", "word 31 ")  # these two items get a 500 on every attempt


def _run_with_faults(fake, make_suite_dir, write_checkpoint, store, backend, **extra):
    fake.behaviour.fault_rate = 0.2
    fake.behaviour.fault_seed = backend
    # past the client's timeout, which is long enough that a slow (loaded) machine does not time out a good reply
    fake.behaviour.timeout_sleep_s = 3.0
    fake.behaviour.always_fail = ALWAYS_FAIL
    suite = make_suite_dir(N_ITEMS)
    ckpt = remote_checkpoint(write_checkpoint, backend, fake, **extra)
    config = fast_config(concurrency=8, timeout_s=1.5, max_retries=6)
    return suite, ckpt, config, Runner(config, store).run(ckpt, suite)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_item_ends_scored_or_failed_with_its_reason(keys, fake, make_suite_dir, write_checkpoint,
                                                          store: Store, backend):
    suite, ckpt, config, result = _run_with_faults(fake, make_suite_dir, write_checkpoint, store, backend)

    # every fault kind was exercised
    assert {"429", "500", "timeout", "malformed"} <= set(fake.stats.by_outcome)
    # none lost, none duplicated
    rows = store.query("SELECT item_id, status, error FROM run_items WHERE run_id = ?", [result.run_id])
    assert sorted(r[0] for r in rows) == sorted(i.id for i in suite.items)
    failed = {item_id: error for item_id, status, error in rows if status == "failed"}
    assert set(failed) == {"i007", "i031"}
    assert all(e and "HTTP 500" in e and "after 7 attempts" in e for e in failed.values())
    n_generations = store.query("SELECT count(*) FROM generations WHERE checkpoint_identity = ?",
                                [ckpt.identity])[0][0]
    assert n_generations == N_ITEMS - 2
    assert store.query("SELECT count(*) FROM run_items r JOIN generations g USING (cache_key) "
                       "WHERE r.run_id = ? AND r.status = 'ok'", [result.run_id])[0][0] == N_ITEMS - 2
    # the run is incomplete, and says how many failed
    assert result.status == "incomplete" and result.n_failed == 2
    # every scored item has scores; the failed ones carry the generation error as their reason
    scores = store.query("SELECT item_id, status, reason FROM item_scores WHERE run_id = ? AND metric = 'chrf'",
                         [result.run_id])
    assert len(scores) == N_ITEMS
    assert {i for i, status, _ in scores if status == "failed"} == {"i007", "i031"}
    # every request the fake received is one audit row, and nothing else is
    assert store.query("SELECT count(*) FROM external_calls WHERE run_id = ?", [result.run_id])[0][0] \
        == fake.stats.requests
    kinds = dict(store.query("SELECT status, count(*) FROM external_calls WHERE run_id = ? GROUP BY status",
                             [result.run_id]))
    assert kinds["ok"] == N_ITEMS - 2
    assert kinds.get("rate_limited", 0) == fake.stats.by_outcome["429"]
    assert kinds.get("timeout", 0) == fake.stats.by_outcome["timeout"]
    assert kinds.get("malformed", 0) == fake.stats.by_outcome["malformed"]
    assert kinds.get("server_error", 0) == fake.stats.by_outcome["500"]


def test_retry_failed_sends_only_the_failed_items(keys, fake, make_suite_dir, write_checkpoint, store: Store):
    suite, ckpt, config, first = _run_with_faults(fake, make_suite_dir, write_checkpoint, store, "openai")
    assert first.status == "incomplete"
    # the server recovers; retry only what failed
    fake.behaviour.fault_rate = 0.0
    fake.behaviour.always_fail = ()
    before = fake.stats.requests
    fake.stats.bodies.clear()
    retried = Runner(config, store).retry_failed(ckpt, suite)
    assert retried is not None and retried.run_id == first.run_id
    assert retried.status == "complete" and retried.n_failed == 0 and retried.generated == 2
    assert fake.stats.requests - before == 2
    sent = sorted(b["messages"][-1]["content"] for b in fake.stats.bodies)
    assert sent == ["How do you say word 31 in Stoney?", "How do you say word 7 in Stoney?"]
    # nothing left to retry
    assert Runner(config, store).retry_failed(ckpt, suite) is None
    assert fake.stats.requests - before == 2


def test_retry_after_is_honoured_and_the_cap_shrinks(keys, fake, make_suite_dir, write_checkpoint, store: Store):
    fake.behaviour.fail_first_n = 1  # every item's first request gets a 429 with Retry-After: 0.5
    fake.behaviour.first_fault = "429"
    fake.behaviour.retry_after_s = 0.5
    suite = make_suite_dir(4)
    ckpt = remote_checkpoint(write_checkpoint, "openai", fake)
    result = Runner(fast_config(concurrency=4), store).run(ckpt, suite)
    assert result.status == "complete"
    calls = store.query("SELECT item_id, attempt, status, called_at FROM external_calls WHERE run_id = ? "
                        "ORDER BY item_id, attempt", [result.run_id])
    by_item: dict[str, list] = {}
    for item_id, attempt, status, called_at in calls:
        by_item.setdefault(item_id, []).append((attempt, status, called_at))
    for attempts in by_item.values():
        assert [a[:2] for a in attempts] == [(1, "rate_limited"), (2, "ok")]
        assert (attempts[1][2] - attempts[0][2]).total_seconds() >= 0.5


def test_a_provider_that_never_recovers_fails_every_item_with_the_reason(keys, fake, make_suite_dir,
                                                                          write_checkpoint, store: Store):
    fake.behaviour.fault_rate = 1.0
    fake.behaviour.fault_kinds = ("500",)
    suite = make_suite_dir(5)
    ckpt = remote_checkpoint(write_checkpoint, "gemini", fake)
    result = Runner(fast_config(max_retries=2), store).run(ckpt, suite)
    assert result.status == "incomplete" and result.n_failed == 5
    assert fake.stats.requests == 5 * 3
    errors = [e for (e,) in store.query("SELECT error FROM run_items WHERE run_id = ?", [result.run_id])]
    assert len(errors) == 5 and all("HTTP 500" in e and "(after 3 attempts)" in e for e in errors)
