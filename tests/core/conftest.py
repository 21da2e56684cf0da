"""Helpers for core tests: tiny suites and replay checkpoints written into tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import write_replay, write_suite

__all__ = ["TINY_ROWS", "write_replay", "write_suite"]

TINY_ROWS = [
    {"id": "a1", "prompt": "What does `keya` mean?", "reference": "`keya` means 'turtle'.", "direction": "sto-en"},
    {"id": "a2", "prompt": "Say 'almost' in Stoney.", "reference": "hayis", "direction": "en-sto"},
    {"id": "a3", "prompt": "What is `îsta`?", "reference": "`îsta` means 'eye'.", "direction": "sto-en"},
    {"id": "a4", "prompt": "Explain `-bi`.", "reference": "The suffix -bi makes a noun from a verb.",
     "direction": "explain"},
]


@pytest.fixture
def tiny_suite(tmp_path: Path) -> Path:
    return write_suite(tmp_path / "suites" / "tiny", TINY_ROWS)
