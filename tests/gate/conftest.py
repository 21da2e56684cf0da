"""Fixtures: a `Lab` in tmp_path, and a suite with a planted improvement."""

from __future__ import annotations

from pathlib import Path

import pytest

from .labkit import Lab, corrupted_replies, dictionary_items


@pytest.fixture
def lab(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Lab:
    """A lab whose gate store is on each engine in turn (named in its config, not in EVALHARNESS_DB)."""
    monkeypatch.delenv("EVALHARNESS_DB", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return Lab(tmp_path, store_url=None if store_url.endswith(".duckdb") else store_url)


@pytest.fixture
def planted(lab: Lab) -> tuple[Lab, list[dict]]:
    """A 150-item suite; champion replies have half their words wrong, the improved candidate a sixth."""
    items = dictionary_items(150)
    lab.suite("synthetic-qa", items)
    lab.checkpoint("champ", corrupted_replies(items, 0.5, seed=1))
    lab.checkpoint("better", corrupted_replies(items, 1 / 6, seed=2))
    lab.checkpoint("same", corrupted_replies(items, 0.5, seed=1))  # same replies, other identity
    lab.config()
    return lab, items
