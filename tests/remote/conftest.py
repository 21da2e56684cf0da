"""Fixtures for remote backends: a loopback fake provider, planted keys, a synthetic suite, fast retries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from evalharness.checkpoints import Checkpoint, load_checkpoint
from evalharness.suites import Governance, Item, Provenance, Suite, SuiteMeta, load_suite, make_suite, save_suite
from evalharness.testing.fake_providers import FakeBehaviour, FakeProviderServer
from remote_helpers import GEMINI_KEY, OPENAI_KEY, _toml, synthetic_items



@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("GOOGLE_API_KEY", GEMINI_KEY)
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return {"openai": OPENAI_KEY, "gemini": GEMINI_KEY}


@pytest.fixture
def fake() -> Iterator[FakeProviderServer]:
    with FakeProviderServer(FakeBehaviour()) as server:
        yield server




@pytest.fixture
def make_suite_dir(tmp_path: Path) -> Callable[..., Suite]:
    """Write a suite folder (suite.toml + items.jsonl) and load it back, as a user's suite would be."""

    def build(n: int = 20, *, allowed: tuple[str, ...] = ("evaluation", "external_generation"),
              name: str = "synthetic-remote", items: list[Item] | None = None) -> Suite:
        meta = SuiteMeta(name=name, version="1.0.0", kind="dictionary_qa", description="synthetic items for tests",
                         license="test data", provenance=Provenance(source="generated in the test"),
                         governance=Governance(allowed_uses=list(allowed)))
        folder = tmp_path / "suites" / name
        save_suite(make_suite(meta, items or synthetic_items(n)), folder)
        return load_suite(folder)

    return build


@pytest.fixture
def write_checkpoint(tmp_path: Path) -> Callable[..., Checkpoint]:
    """Write a manifest TOML and load it through the real loader."""

    def build(name: str, backend: str, model: str, base_url: str | None, **extra: Any) -> Checkpoint:
        lines = [f'name = "{name}"', f'backend = "{backend}"', f'model = "{model}"']
        if base_url:
            lines.append(f'base_url = "{base_url}"')
        generation = extra.pop("generation", None)
        for key, value in extra.items():
            lines.append(f"{key} = {_toml(value)}")
        if generation:
            lines.append("[generation]")
            lines += [f"{k} = {_toml(v)}" for k, v in generation.items()]
        path = tmp_path / "checkpoints" / f"{name}.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return load_checkpoint(path)

    return build
