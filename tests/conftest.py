"""Shared fixtures. Every test runs offline: a model hub fetch would fail loudly, as it must in production."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data" / "stoney_valid.jsonl"


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.fixture
def store(tmp_path: Path):
    from evalharness.store import Store

    return Store(tmp_path / "test.duckdb")


@pytest.fixture(autouse=True)
def _isolated_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test ever writes the developer's real evalharness.duckdb."""
    monkeypatch.setenv("EVALHARNESS_DB", str(tmp_path / "default.duckdb"))
