"""The DuckDB store: one file holds every run, generation, score, decision and review.

DuckDB lets one process write a file at a time and locks readers out meanwhile, so nothing here keeps a
connection open: each read or write opens, works, closes, and retries on a lock with jittered backoff.
A run and the dashboard can then share the file.
"""

from .connection import Store, default_store_path

__all__ = ["Store", "default_store_path"]
