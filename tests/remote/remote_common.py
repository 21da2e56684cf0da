"""Plain functions and constants shared by the remote tests (the fixtures are in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from evalharness.checkpoints import Checkpoint
from evalharness.config import Config
from evalharness.suites import Item
from evalharness.testing.fake_providers import FakeProviderServer

OPENAI_KEY = "sk-test-PLANTED-123"
GEMINI_KEY = "AIza-test-PLANTED-456"
#: the operator's allow-list in these tests: the usual key variables (and the lab token some tests name in a
#: manifest) may go to the loopback fake
LOOPBACK_KEYS = {name: ["127.0.0.1"] for name in ("OPENAI_API_KEY", "GOOGLE_API_KEY", "GEMINI_API_KEY",
                                                  "LAB_VLLM_TOKEN")}
SYSTEM = "You are a bilingual Stoney-English assistant. Respond concisely."


def synthetic_items(n: int, *, prefix: str = "i") -> list[Item]:
    return [Item(id=f"{prefix}{k:03d}", prompt=f"How do you say word {k} in Stoney?",
                 reference=f"îyethka word {k} means the thing", direction="en-sto" if k % 2 else "sto-en",
                 system=SYSTEM) for k in range(n)]


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def fast_config(*, concurrency: int = 8, timeout_s: float = 5.0, max_retries: int = 6,
                metrics: tuple[str, ...] = ("chrf", "exact_match"), **provider: Any) -> Config:
    """Short backoffs so fault injection finishes in seconds; same settings for every provider. The timeout is
    long enough that a loaded machine does not time out a good reply (a test that injects timeouts sets a
    shorter one, with the fake holding its stalled replies longer still)."""
    section = {"timeout_s": timeout_s, "backoff_s": 0.01, "max_backoff_s": 0.05, "max_retries": max_retries,
               **provider}
    return Config.model_validate({
        "run": {"concurrency": concurrency},
        "metrics": {"enabled": list(metrics), "required": [metrics[0]]},
        "providers": {"openai": section, "gemini": section, "openai_compatible": section},
        "keys": LOOPBACK_KEYS})


def remote_checkpoint(write_checkpoint: Callable[..., Checkpoint], backend: str, fake: FakeProviderServer,
                      **extra: Any) -> Checkpoint:
    """One manifest per backend, pointed at the fake."""
    if backend == "openai":
        return write_checkpoint("ft-openai", "openai", "ft:gpt-4.1-mini-2025-04-14:stoney::abc123",
                                fake.url + "/v1", **extra)
    if backend == "gemini":
        return write_checkpoint("gemini-flash", "gemini", "gemini-2.5-flash", fake.url, **extra)
    return write_checkpoint("vllm-stoney", "openai_compatible", "stoney-8b-sft", fake.url + "/v1", **extra)


BACKENDS = ("openai", "gemini", "openai_compatible")
