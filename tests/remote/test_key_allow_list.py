"""A manifest cannot send an arbitrary environment variable to an arbitrary host: keys follow the operator's
`[keys]` allow-list, tied to hosts, checked before anything is read or sent."""

from __future__ import annotations

import pytest
from remote_common import fast_config, remote_checkpoint

from evalharness.config import Config
from evalharness.errors import KeyNotAllowedError
from evalharness.providers.hosts import host_matches
from evalharness.runner import Runner
from evalharness.store import Store

UNRELATED = "unrelated-deploy-SECRET-4242"


def _config(keys: dict[str, list[str]]) -> Config:
    return fast_config().model_copy(update={"keys": keys})


def test_manifest_cannot_name_an_unlisted_variable(monkeypatch, fake, make_suite_dir, write_checkpoint,
                                                   store: Store) -> None:
    monkeypatch.setenv("DEPLOY_TOKEN", UNRELATED)
    fake.behaviour.expected_key = UNRELATED  # a host that would happily take the secret
    suite = make_suite_dir(2)
    ckpt = remote_checkpoint(write_checkpoint, "openai_compatible", fake, api_key_env="DEPLOY_TOKEN")
    with pytest.raises(KeyNotAllowedError, match="DEPLOY_TOKEN is not in the allow-list") as err:
        Runner(fast_config(), store).run(ckpt, suite)
    assert UNRELATED not in str(err.value)
    assert fake.stats.requests == 0


def test_default_key_goes_only_to_its_provider_host(keys, fake, make_suite_dir, write_checkpoint,
                                                    store: Store) -> None:
    fake.behaviour.expected_key = keys["openai"]
    suite = make_suite_dir(2)
    ckpt = remote_checkpoint(write_checkpoint, "openai", fake)  # base_url: the loopback "proxy" of the manifest
    with pytest.raises(KeyNotAllowedError, match="only be sent to api.openai.com"):
        Runner(_config({}), store).run(ckpt, suite)
    assert fake.stats.requests == 0
    # Tied by the operator, the same manifest runs.
    assert Runner(_config({"OPENAI_API_KEY": ["127.0.0.1"]}), store).run(ckpt, suite).status == "complete"


def test_listed_variable_goes_only_to_its_hosts(monkeypatch, fake, make_suite_dir, write_checkpoint,
                                                store: Store) -> None:
    monkeypatch.setenv("LAB_TOKEN", "lab-token-PLANTED-777")
    fake.behaviour.expected_key = "lab-token-PLANTED-777"
    suite = make_suite_dir(2)
    ckpt = remote_checkpoint(write_checkpoint, "openai_compatible", fake, api_key_env="LAB_TOKEN")
    with pytest.raises(KeyNotAllowedError, match="vllm.lab.example.org"):
        Runner(_config({"LAB_TOKEN": ["vllm.lab.example.org"]}), store).run(ckpt, suite)
    assert fake.stats.requests == 0
    result = Runner(_config({"LAB_TOKEN": ["vllm.lab.example.org", "127.0.0.1"]}), store).run(ckpt, suite)
    assert result.status == "complete" and fake.stats.requests == 2


def test_host_patterns_and_config_validation() -> None:
    assert host_matches("*.example.org", "vllm.example.org")
    assert not host_matches("*.example.org", "example.org") and not host_matches("*.example.org", "evilexample.org")
    assert not host_matches("api.openai.com", "api.openai.com.evil.example")
    with pytest.raises(ValueError, match="host names only"):
        Config.model_validate({"keys": {"OPENAI_API_KEY": ["https://api.openai.com/v1"]}})
    with pytest.raises(ValueError):
        Config.model_validate({"keys": {"NOT A VARIABLE": ["x.example.org"]}})
    assert Config.model_validate({"keys": {"T": ["::1", "127.0.0.1", "*.lab.example.org"]}}).keys["T"][0] == "::1"
