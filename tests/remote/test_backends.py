"""Each remote backend drives its real SDK against the loopback fake, through the real Runner."""

from __future__ import annotations

import pytest

from evalharness.errors import InputError
from evalharness.runner import Runner
from evalharness.store import Store

from remote_helpers import BACKENDS, GEMINI_KEY, OPENAI_KEY, SYSTEM, fast_config, remote_checkpoint


def test_openai_fine_tune_chat_request_and_results(keys, fake, make_suite_dir, write_checkpoint, store: Store):
    suite = make_suite_dir(6)
    ckpt = remote_checkpoint(write_checkpoint, "openai", fake, generation={"max_tokens": 64, "stop": ["\n\n"]})
    result = Runner(fast_config(), store).run(ckpt, suite)

    assert result.status == "complete" and result.n_failed == 0 and result.generated == 6
    assert fake.stats.by_path["/v1/chat/completions"] == 6
    body = fake.stats.bodies[0]
    assert body["model"] == "ft:gpt-4.1-mini-2025-04-14:stoney::abc123"
    assert body["messages"][0] == {"role": "system", "content": SYSTEM}
    assert body["messages"][1]["role"] == "user" and body["messages"][1]["content"].startswith("How do you say")
    assert body["temperature"] == 0.0 and body["max_completion_tokens"] == 64 and body["stop"] == ["\n\n"]
    rows = store.query("SELECT r.item_id, g.text, g.prompt_tokens, g.completion_tokens, g.attempts FROM run_items r "
                       "JOIN generations g USING (cache_key) WHERE r.run_id = ? ORDER BY r.item_id", [result.run_id])
    assert len(rows) == 6
    item_id, text, p_tok, c_tok, attempts = rows[0]
    assert text == "reply to: How do you say word 0 in Stoney?"
    assert p_tok > 0 and c_tok == 10 and attempts == 1  # the fake counts whitespace tokens


def test_gemini_generate_content_request_and_results(keys, fake, make_suite_dir, write_checkpoint, store: Store):
    fake.behaviour.expected_key = GEMINI_KEY  # the fake answers 401 unless the key arrives as x-goog-api-key
    suite = make_suite_dir(5)
    ckpt = remote_checkpoint(write_checkpoint, "gemini", fake, generation={"max_tokens": 50, "temperature": 0.2})
    result = Runner(fast_config(), store).run(ckpt, suite)

    assert result.status == "complete" and result.n_failed == 0
    assert fake.stats.by_path["/v1/models/gemini-2.5-flash:generateContent"] == 5
    body = fake.stats.bodies[0]
    assert body["systemInstruction"]["parts"][0]["text"] == SYSTEM
    assert body["generationConfig"]["maxOutputTokens"] == 50
    assert body["generationConfig"]["temperature"] == 0.2
    assert body["contents"][0]["parts"][0]["text"].startswith("How do you say")
    texts = store.query("SELECT g.text FROM run_items r JOIN generations g USING (cache_key) WHERE r.run_id = ?",
                        [result.run_id])
    assert sorted(t for (t,) in texts)[0] == "reply to: How do you say word 0 in Stoney?"


def test_openai_compatible_sends_max_tokens_and_repetition_penalty(keys, fake, make_suite_dir, write_checkpoint,
                                                                    store: Store):
    suite = make_suite_dir(3)
    ckpt = remote_checkpoint(write_checkpoint, "openai_compatible", fake,
                             generation={"max_tokens": 32, "repetition_penalty": 1.2})
    result = Runner(fast_config(), store).run(ckpt, suite)
    assert result.status == "complete"
    body = fake.stats.bodies[0]
    assert body["max_tokens"] == 32 and body["repetition_penalty"] == 1.2
    assert fake.stats.bodies[0]["messages"][0]["role"] == "system"


def test_openai_compatible_needs_no_key(monkeypatch, fake, make_suite_dir, write_checkpoint, store: Store):
    """A local vLLM/Ollama takes no key: nothing in the environment, and the run still works."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    suite = make_suite_dir(2)
    ckpt = remote_checkpoint(write_checkpoint, "openai_compatible", fake)
    assert Runner(fast_config(), store).run(ckpt, suite).status == "complete"


@pytest.mark.parametrize("backend,setting", [("openai", {"repetition_penalty": 1.3}),
                                             ("gemini", {"repetition_penalty": 1.3}),
                                             ("openai_compatible", {"no_repeat_ngram_size": 3})])
def test_settings_a_provider_cannot_honour_fail_before_sending(keys, fake, make_suite_dir, write_checkpoint, store,
                                                               backend, setting):
    suite = make_suite_dir(2)
    ckpt = remote_checkpoint(write_checkpoint, backend, fake, generation=setting)
    with pytest.raises(InputError) as err:
        Runner(fast_config(), store).run(ckpt, suite)
    assert f"generation.{next(iter(setting))}" in str(err.value)
    assert fake.stats.requests == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrency_is_what_the_config_says(keys, fake, make_suite_dir, write_checkpoint, store, backend):
    fake.behaviour.latency_s = 0.05
    suite = make_suite_dir(24)
    ckpt = remote_checkpoint(write_checkpoint, backend, fake)
    result = Runner(fast_config(concurrency=4), store).run(ckpt, suite)
    assert result.status == "complete"
    assert fake.stats.peak_in_flight == 4


def test_provider_section_concurrency_overrides_the_run(keys, fake, make_suite_dir, write_checkpoint, store):
    fake.behaviour.latency_s = 0.05
    suite = make_suite_dir(12)
    ckpt = remote_checkpoint(write_checkpoint, "openai", fake)
    config = fast_config(concurrency=8)
    config.providers["openai"] = config.providers["openai"].model_copy(update={"concurrency": 2})
    Runner(config, store).run(ckpt, suite)
    assert fake.stats.peak_in_flight == 2


def test_wrong_key_is_fatal_and_stops_sending(monkeypatch, fake, make_suite_dir, write_checkpoint, store):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-WRONG-000")
    fake.behaviour.expected_key = OPENAI_KEY
    suite = make_suite_dir(40)
    ckpt = remote_checkpoint(write_checkpoint, "openai", fake)
    result = Runner(fast_config(concurrency=4), store).run(ckpt, suite)
    assert result.status == "incomplete" and result.n_failed == 40
    # the workers already in flight got their 401; nothing after that was sent, and nothing was retried
    assert fake.stats.requests <= 4
    errors = {e for (e,) in store.query("SELECT error FROM run_items WHERE run_id = ?", [result.run_id])}
    assert all("401" in e and "check the API key" in e for e in errors)
