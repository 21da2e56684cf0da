"""The cache: an identical re-run makes zero calls. Cost: tokens per call × the config's price table."""

from __future__ import annotations

import pytest

from evalharness.runner import Runner
from evalharness.store import Store

from remote_helpers import BACKENDS, fast_config, remote_checkpoint


@pytest.mark.parametrize("backend", BACKENDS)
def test_identical_rerun_makes_zero_calls(keys, fake, make_suite_dir, write_checkpoint, store: Store, backend):
    suite = make_suite_dir(10)
    ckpt = remote_checkpoint(write_checkpoint, backend, fake)
    first = Runner(fast_config(), store).run(ckpt, suite)
    sent = fake.stats.requests
    assert sent == 10 and first.generated == 10

    again = Runner(fast_config(), store).run(ckpt, suite)
    assert again.reused and again.run_id == first.run_id and fake.stats.requests == sent
    fresh = Runner(fast_config(), store).run(ckpt, suite, new=True)  # a new run, answered from the cache
    assert fresh.run_id != first.run_id and fresh.generated == 0 and fake.stats.requests == sent
    assert fresh.metrics["chrf"]["corpus_score"] == first.metrics["chrf"]["corpus_score"]
    # nothing was sent, so nothing was spent — known exactly, even without a price
    assert fresh.cost is not None and fresh.cost["calls"] == 0 and fresh.cost["usd"] == 0.0


def test_cost_from_tokens_and_the_price_table(keys, fake, make_suite_dir, write_checkpoint, store: Store):
    fake.behaviour.fault_rate = 0.3
    fake.behaviour.fault_kinds = ("429",)  # failed attempts report no usage and cost nothing
    suite = make_suite_dir(12)
    ckpt = remote_checkpoint(write_checkpoint, "openai", fake)
    # the provider default price is overridden for this model
    config = fast_config(prompt_per_1m=100.0, completion_per_1m=100.0,
                         prices={ckpt.model: {"prompt_per_1m": 3.0, "completion_per_1m": 12.0}})
    result = Runner(config, store).run(ckpt, suite)
    prompt, completion = store.query("SELECT sum(prompt_tokens), sum(completion_tokens) FROM external_calls "
                                     "WHERE run_id = ? AND status = 'ok'", [result.run_id])[0]
    expected = (prompt * 3.0 + completion * 12.0) / 1e6
    assert result.cost["usd"] == pytest.approx(expected) and result.cost["reason"] is None
    assert result.cost["calls"] == fake.stats.requests > 12 and result.cost["ok_calls"] == 12
    assert store.query("SELECT cost_usd FROM runs WHERE run_id = ?", [result.run_id])[0][0] == pytest.approx(expected)
    # the same tokens are also on the cached generations
    assert store.query("SELECT sum(g.prompt_tokens) FROM run_items r JOIN generations g USING (cache_key) "
                       "WHERE r.run_id = ?", [result.run_id])[0][0] == prompt


def test_unknown_price_is_unknown_cost_not_zero(keys, fake, make_suite_dir, write_checkpoint, store: Store):
    suite = make_suite_dir(3)
    result = Runner(fast_config(), store).run(remote_checkpoint(write_checkpoint, "gemini", fake), suite)
    assert result.cost["usd"] is None and "no price for gemini model 'gemini-2.5-flash'" in result.cost["reason"]
    assert store.query("SELECT cost_usd FROM runs WHERE run_id = ?", [result.run_id])[0][0] is None
