"""The store: every run, generation, score, decision and review, in a DuckDB file or a PostgreSQL database.

All SQL of the project lives in this package, one module per table family, each returning frozen row types:
`suites` (suites, suite_items), `runs` (checkpoints, runs, run_items), `cache` (generations, loglikelihoods),
`scores` (item_scores, run_metrics), `audit` (external_calls), `judging` (judge_*), `gate` (decisions,
champions), `reviews` (reviewers, ratings, corrections), plus the dashboard's cross-table reads and
`maintenance` (copy, backup, check). The rest of the code calls these functions and never sees SQL.
"""

from .connection import Store, default_store_location, default_store_path

__all__ = ["Store", "default_store_location", "default_store_path"]
