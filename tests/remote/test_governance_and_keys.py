"""Nothing leaves the machine unless the suite allows it and the key is there — checked before any request."""

from __future__ import annotations

import pytest

from evalharness.errors import GovernanceError, MissingCredentialError
from evalharness.runner import Runner
from evalharness.store import Store

from remote_helpers import BACKENDS, fast_config, remote_checkpoint


@pytest.mark.parametrize("backend", BACKENDS)
def test_suite_without_external_generation_sends_nothing(keys, fake, make_suite_dir, write_checkpoint, store: Store,
                                                         backend):
    suite = make_suite_dir(10, allowed=("evaluation", "publication"))
    ckpt = remote_checkpoint(write_checkpoint, backend, fake)
    with pytest.raises(GovernanceError) as err:
        Runner(fast_config(), store).run(ckpt, suite)
    message = str(err.value)
    assert "external_generation" in message and "Nothing was sent" in message
    assert "allowed_uses" in message  # says how to allow it
    assert fake.stats.requests == 0
    if store.exists():
        assert store.query("SELECT count(*) FROM external_calls")[0][0] == 0
        assert store.query("SELECT count(*) FROM runs")[0][0] == 0


@pytest.mark.parametrize("backend,variable", [("openai", "OPENAI_API_KEY"), ("gemini", "GOOGLE_API_KEY")])
def test_missing_key_stops_before_anything_starts(monkeypatch, fake, make_suite_dir, write_checkpoint, store: Store,
                                                  backend, variable):
    for name in ("OPENAI_API_KEY", "GOOGLE_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    suite = make_suite_dir(3)
    ckpt = remote_checkpoint(write_checkpoint, backend, fake)
    with pytest.raises(MissingCredentialError) as err:
        Runner(fast_config(), store).run(ckpt, suite)
    assert variable in str(err.value) and "Nothing was sent" in str(err.value)
    assert fake.stats.requests == 0
    assert store.query("SELECT count(*) FROM runs")[0][0] == 0


def test_gemini_key_may_come_from_gemini_api_key(monkeypatch, fake, make_suite_dir, write_checkpoint, store: Store):
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-test-OTHER-789")
    fake.behaviour.expected_key = "AIza-test-OTHER-789"
    suite = make_suite_dir(2)
    ckpt = remote_checkpoint(write_checkpoint, "gemini", fake)
    assert Runner(fast_config(), store).run(ckpt, suite).status == "complete"


def test_manifest_api_key_env_names_the_variable(monkeypatch, fake, make_suite_dir, write_checkpoint, store: Store):
    monkeypatch.delenv("LAB_VLLM_TOKEN", raising=False)
    suite = make_suite_dir(2)
    ckpt = remote_checkpoint(write_checkpoint, "openai_compatible", fake, api_key_env="LAB_VLLM_TOKEN")
    with pytest.raises(MissingCredentialError, match="LAB_VLLM_TOKEN"):
        Runner(fast_config(), store).run(ckpt, suite)
    assert fake.stats.requests == 0
    monkeypatch.setenv("LAB_VLLM_TOKEN", "lab-token-PLANTED-999")
    fake.behaviour.expected_key = "lab-token-PLANTED-999"
    assert Runner(fast_config(), store).run(ckpt, suite).status == "complete"


def test_every_external_call_is_audited_with_its_context(keys, fake, make_suite_dir, write_checkpoint, store: Store):
    suite = make_suite_dir(7)
    ckpt = remote_checkpoint(write_checkpoint, "openai_compatible", fake, completions_logprobs=True,
                             prompt_format="Q: {prompt}\nA: ")
    config = fast_config(metrics=("chrf", "token_perplexity"))
    result = Runner(config, store).run(ckpt, suite)
    rows = store.query("SELECT provider, model, purpose, suite_hash, item_id, endpoint, status, attempt, "
                       "prompt_tokens, completion_tokens, latency_s, called_at FROM external_calls WHERE run_id = ?",
                       [result.run_id])
    assert len(rows) == fake.stats.requests == 14
    assert {(r[0], r[1], r[3]) for r in rows} == {("openai_compatible", "stoney-8b-sft", suite.content_hash)}
    assert sorted((r[2], r[5]) for r in rows) == sorted([("generation", "chat.completions")] * 7
                                                        + [("loglikelihood", "completions")] * 7)
    assert sorted(r[4] for r in rows if r[2] == "generation") == sorted(i.id for i in suite.items)
    assert all(r[6] == "ok" and r[7] == 1 and r[8] > 0 and r[9] is not None and r[10] > 0 and r[11] for r in rows)
