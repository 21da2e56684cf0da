"""Reference perplexity for served open models through vLLM-style echo logprobs on /v1/completions."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from evalharness.backends.openai_backend import parse_echo_logprobs
from evalharness.providers.failures import Unusable
from evalharness.runner import Runner
from evalharness.store import Store
from evalharness.testing.fake_providers import token_logprob

from remote_helpers import fast_config, remote_checkpoint

METRICS = ("chrf", "token_perplexity", "bits_per_char")


def test_perplexity_equals_the_sum_the_server_returned(keys, fake, make_suite_dir, write_checkpoint, store: Store):
    suite = make_suite_dir(8)
    ckpt = remote_checkpoint(write_checkpoint, "openai_compatible", fake, completions_logprobs=True,
                             prompt_format="Q: {prompt}\nA: ")
    result = Runner(fast_config(metrics=METRICS), store).run(ckpt, suite)
    assert result.status == "complete"

    bodies = [b for b in fake.stats.bodies if "prompt" in b]
    assert len(bodies) == 8
    assert all(b["echo"] is True and b["logprobs"] == 1 and b["max_tokens"] == 1 for b in bodies)
    assert bodies[0]["prompt"].startswith("Q: How do you say") and "\nA: îyethka word" in bodies[0]["prompt"]

    # The fake's model gives each whitespace-led token -0.1 per character. With the context ending in "A: ",
    # the reference's tokens are its words (the first one carries the context's space, so it is counted);
    # the context's tokens and the one generated token (" next") are not.
    stats = dict(store.query("SELECT item_id, stats FROM item_scores WHERE run_id = ? AND metric = "
                             "'token_perplexity'", [result.run_id]))
    total_nll = total_tokens = 0.0
    for item in suite.items:
        words = item.reference.split()
        expected_nats = sum(token_logprob(" " + w) for w in words)
        nll, tokens, chars = stats[item.id]
        assert nll == pytest.approx(-expected_nats) and tokens == len(words) and chars == len(item.reference)
        total_nll += -expected_nats
        total_tokens += len(words)
    metrics = result.metrics
    assert metrics["token_perplexity"]["corpus_score"] == pytest.approx(math.exp(total_nll / total_tokens))
    total_chars = sum(len(i.reference) for i in suite.items)
    assert metrics["bits_per_char"]["corpus_score"] == pytest.approx(total_nll / total_chars / math.log(2))
    # cached: an identical re-run asks for nothing
    before = fake.stats.requests
    Runner(fast_config(metrics=METRICS), store).run(ckpt, suite, new=True)
    assert fake.stats.requests == before


def test_servers_without_echo_logprobs_are_unsupported_not_zero(keys, fake, make_suite_dir, write_checkpoint,
                                                                store: Store):
    suite = make_suite_dir(3)
    ckpt = remote_checkpoint(write_checkpoint, "openai_compatible", fake)  # completions_logprobs not set
    result = Runner(fast_config(metrics=METRICS), store).run(ckpt, suite)
    assert result.status == "complete"
    ppl = result.metrics["token_perplexity"]
    assert ppl["status"] == "unsupported" and ppl["corpus_score"] is None
    assert "completions_logprobs = true" in ppl["reason"]
    assert fake.stats.by_path["/v1/completions"] == 0
    for backend in ("openai", "gemini"):
        r = Runner(fast_config(metrics=METRICS), store).run(remote_checkpoint(write_checkpoint, backend, fake), suite)
        assert r.metrics["bits_per_char"]["status"] == "unsupported"
        assert "generated tokens only" in r.metrics["bits_per_char"]["reason"]


def test_a_server_marked_capable_that_does_not_echo_fails_items_with_the_reason(keys, fake, make_suite_dir,
                                                                                 write_checkpoint, store: Store):
    fake.behaviour.supports_echo = False
    suite = make_suite_dir(3)
    ckpt = remote_checkpoint(write_checkpoint, "openai_compatible", fake, completions_logprobs=True,
                             prompt_format="Q: {prompt}\nA: ")
    result = Runner(fast_config(metrics=METRICS), store).run(ckpt, suite)
    ppl = result.metrics["token_perplexity"]
    assert ppl["status"] == "failed" and ppl["n_scored"] == 0
    assert "set completions_logprobs = false" in ppl["reason"]
    assert fake.stats.by_path["/v1/completions"] == 3  # not retried: asking again would not help


def _response(tokens: list[str], values: list[float | None]):
    offsets, at = [], 0
    for t in tokens:
        offsets.append(at)
        at += len(t)
    lp = SimpleNamespace(tokens=tokens, token_logprobs=values, text_offset=offsets)
    usage = SimpleNamespace(prompt_tokens=len(tokens) - 1, completion_tokens=1)
    return SimpleNamespace(choices=[SimpleNamespace(text="".join(tokens), logprobs=lp)], usage=usage)


def test_character_offsets_pick_the_reference_tokens_including_a_straddling_one():
    # BPE-like pieces: "Q: hi\nA:" + "wow ok" where ":w" straddles the boundary, and " next" is generated
    tokens = ["Q", ":", " hi", "\nA", ":w", "ow", " ok", " next"]
    values = [None, -1.0, -2.0, -3.0, -0.5, -0.25, -0.125, -9.0]
    ll, usage = parse_echo_logprobs(_response(tokens, values), "x", "Q: hi\nA:", "wow ok")
    assert ll.status == "ok" and ll.nats == pytest.approx(-0.875) and ll.tokens == 3
    assert ll.chars == 6 and ll.bytes == 6 and usage.prompt_tokens == 7


def test_no_logprob_for_the_first_reference_token_is_a_clear_failure():
    with pytest.raises(Unusable, match="empty"):
        parse_echo_logprobs(_response(["wow", " ok", " next"], [None, -1.0, -2.0]), "x", "", "wow ok")
