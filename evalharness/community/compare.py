"""Candidate vs champion, item by item, for the Compare page. The queries live in `store.compare`."""

from __future__ import annotations

from ..store.compare import (
    SHOW_CHOICES,
    CheckpointChoice,
    CompareFilters,
    CompareSummary,
    RunPair,
    Show,
    checkpoints,
    count,
    facets,
    metrics_for,
    page,
    run_pairs,
    summary,
)

__all__ = [
    "SHOW_CHOICES",
    "CheckpointChoice",
    "CompareFilters",
    "CompareSummary",
    "RunPair",
    "Show",
    "checkpoints",
    "count",
    "facets",
    "metrics_for",
    "page",
    "run_pairs",
    "summary",
]
