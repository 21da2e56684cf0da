"""Short-lived DuckDB connections with retry, and forward-only migrations applied on first use."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from ..errors import StoreError
from .migrations import apply_migrations

_MIGRATED: set[str] = set()
_MIGRATE_LOCK = threading.Lock()
_PATH_LOCKS: dict[str, threading.RLock] = {}
_PATH_LOCKS_GUARD = threading.Lock()


def path_lock(path: Path) -> threading.RLock:
    """The one lock of this process for a database file, whatever spelling of its path a caller used.

    DuckDB connections are not shared between threads, and two connections of one process racing on one
    file fail in odd ways (a registered Arrow table vanishing mid-query), so every `Store` on the same
    file — not just the same `Store` object — takes this lock for each short piece of work.
    """
    key = os.path.realpath(path)
    with _PATH_LOCKS_GUARD:
        return _PATH_LOCKS.setdefault(key, threading.RLock())


def default_store_path() -> Path:
    return Path(os.environ.get("EVALHARNESS_DB", "evalharness.duckdb"))


class Store:
    """A path plus the discipline of using it: short transactions, retried when another process holds it."""

    def __init__(self, path: str | Path | None = None, *, lock_timeout_s: float = 60.0) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self.lock_timeout_s = lock_timeout_s
        self._thread_lock = path_lock(self.path)

    def _open(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.01
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise StoreError(f"cannot open {self.path}: {exc}. Another program may hold it; close it "
                                     "or point EVALHARNESS_DB / [store] path at another file.") from None
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.5)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one short piece of work; migrations are applied once per process."""
        with self._thread_lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = self._open()
            try:
                key = str(self.path.resolve())
                if key not in _MIGRATED:
                    with _MIGRATE_LOCK:
                        apply_migrations(con)
                        _MIGRATED.add(key)
                yield con
            finally:
                con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing: a failure inside rolls back, so a bad input never leaves half a write."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        with self.connect() as con:
            return con.execute(sql, params or []).fetchall()

    def frame(self, sql: str, params: list[Any] | None = None):  # -> pandas.DataFrame
        with self.connect() as con:
            return con.execute(sql, params or []).df()

    def exists(self) -> bool:
        return self.path.is_file()
