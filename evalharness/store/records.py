"""Former home of the run-side SQL, kept as names only: the functions live in `store.suites`, `store.runs`,
`store.cache` and `store.scores` (one module per table family)."""

from __future__ import annotations

from .cache import cached_generations, cached_loglikelihoods, put_generation_results, put_loglikelihoods
from .runs import (
    RUN_COLUMNS,
    RunRow,
    create_run,
    find_run,
    get_run,
    list_runs,
    record_checkpoint,
    run_items,
    set_run_status,
)
from .scores import item_scores_frame, replace_scores, run_metrics
from .suites import record_suite

__all__ = [
    "RUN_COLUMNS",
    "RunRow",
    "cached_generations",
    "cached_loglikelihoods",
    "create_run",
    "find_run",
    "get_run",
    "item_scores_frame",
    "list_runs",
    "put_generation_results",
    "put_loglikelihoods",
    "record_checkpoint",
    "record_suite",
    "replace_scores",
    "run_items",
    "run_metrics",
    "set_run_status",
]
