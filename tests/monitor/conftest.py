"""A monitored OpenAI fine-tune on the shared fake provider server (real openai SDK), with a held-out suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from evalharness.config import Config
from evalharness.monitor.check import CheckResult, run_check
from evalharness.monitor.registry import find_monitor
from evalharness.store import Store
from evalharness.suites import Governance, Item, Provenance, SuiteMeta, make_suite, save_suite
from evalharness.testing.fake_providers import FakeBehaviour, FakeProviderServer
from evalharness.testing.simulated import SimulatedModel, behaviour_for

FT = "ft:gpt-4.1-mini-2025-04-14:stoney::abc123"
BASE = "gpt-4.1-mini-2025-04-14"
T0 = datetime(2026, 12, 1, 6, 0)
MODEL_A = SimulatedModel("served", seed=1, accuracy=0.6)
MODEL_B = SimulatedModel("switched", seed=2, accuracy=0.3)


def items(n: int = 40) -> list[Item]:
    words = ["mîni", "pta", "chûn", "îyethka", "wazî", "hâba", "ozî", "tâga"]
    out = []
    for k in range(n):
        word = words[k % len(words)]
        prompt = f"What does '{word}' mean? (PROMPT-MARK {k})"
        out.append(Item(id=f"it{k:03d}", prompt=prompt, reference=f"'{word}' means thing number {k} in English",
                        direction=("sto-en", "en-sto", "explain")[k % 3]))
    return out


@dataclass
class Lab:
    """One monitored endpoint: a fake server, a store, a config; `check()` runs one check at the next time."""

    root: Path
    fake: FakeProviderServer
    store: Store
    config: Config
    references: dict[str, str]
    clock: datetime = T0
    step: timedelta = timedelta(days=1)
    n: int = 0
    results: list[CheckResult] = field(default_factory=list)

    def serve(self, model: SimulatedModel) -> None:
        self.model = model

    def check(self, *, env: dict[str, str] | None = None, model: SimulatedModel | None = None) -> CheckResult:
        self.n += 1
        behaviour_for(model or getattr(self, "model", MODEL_A), self.references, self.n, self.fake.behaviour)
        result = run_check(self.config, self.store, find_monitor(self.config, "stoney-ft"), now=self.clock,
                           env=env if env is not None else {})
        self.clock += self.step
        self.results.append(result)
        return result


def write_lab(root: Path, url: str, *, allowed: tuple[str, ...] = ("evaluation", "external_generation"),
              monitor: dict[str, Any] | None = None, n_items: int = 40) -> tuple[Config, dict[str, str]]:
    suite_items = items(n_items)
    meta = SuiteMeta(name="heldout", version="1.0.0", kind="dictionary_qa", description="held-out items",
                     license="test", provenance=Provenance(source="generated in the test"),
                     governance=Governance(allowed_uses=list(allowed)))
    save_suite(make_suite(meta, suite_items), root / "suites" / "heldout")
    (root / "checkpoints").mkdir(parents=True, exist_ok=True)
    (root / "checkpoints" / "stoney-ft.toml").write_text(
        f'name = "stoney-ft"\nbackend = "openai"\nmodel = "{FT}"\nbase_url = "{url}/v1"\n', encoding="utf-8")
    section = {"timeout_s": 5.0, "backoff_s": 0.01, "max_backoff_s": 0.05, "max_retries": 2,
               "prompt_per_1m": 0.8, "completion_per_1m": 3.2}
    config = Config.model_validate({
        "run": {"checkpoints_dir": str(root / "checkpoints"), "suites_dir": str(root / "suites"),
                "monitors_dir": str(root / "monitors"), "concurrency": 8},
        "providers": {"openai": section},
        "keys": {"OPENAI_API_KEY": ["127.0.0.1"]},  # the loopback fake stands in for the provider
        "monitors": {"stoney-ft": {"endpoint": "stoney-ft", "suites": ["heldout"], "canary_size": 20,
                                   "resamples": 200, "metrics": ["chrf++", "exact_match"], **(monitor or {})}}})
    return config, {i.prompt: i.reference for i in suite_items}


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-monitor-PLANTED")


@pytest.fixture
def make_lab(tmp_path: Path, keys: None, store_url: str) -> Iterator[Callable[..., Lab]]:
    """Labs whose store is on each engine in turn (the DuckDB file, a PostgreSQL schema)."""
    servers: list[FakeProviderServer] = []

    def build(*, models: dict[str, str | None] | None = None, **kw: Any) -> Lab:
        fake = FakeProviderServer(FakeBehaviour(models=models if models is not None else {FT: None, BASE: None}))
        fake.start()
        servers.append(fake)
        config, references = write_lab(tmp_path, fake.url, **kw)
        return Lab(tmp_path, fake, Store(store_url), config, references)

    yield build
    for server in servers:
        server.stop()
