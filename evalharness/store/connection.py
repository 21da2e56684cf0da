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


_UMASK_LOCK = threading.Lock()
_UMASK_USERS = 0
_UMASK_SAVED = 0


@contextmanager
def _private_files() -> Iterator[None]:
    """While any store connection is open in this process, files are created with mode 0600 (umask 077).

    The umask belongs to the whole process, so it is counted: the first connection sets it, the last one
    restores it. Another file this process creates meanwhile is private too — the safe side.
    """
    global _UMASK_USERS, _UMASK_SAVED
    with _UMASK_LOCK:
        if _UMASK_USERS == 0:
            _UMASK_SAVED = os.umask(0o077)
        _UMASK_USERS += 1
    try:
        yield
    finally:
        with _UMASK_LOCK:
            _UMASK_USERS -= 1
            if _UMASK_USERS == 0:
                os.umask(_UMASK_SAVED)


def _owner_only(path: Path) -> None:
    """chmod 0600 when the file exists and is more open (a store made before this rule, or by another tool)."""
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    except FileNotFoundError:
        pass
    except PermissionError:  # not ours to change (another user's file, opened read-only): leave it
        pass


def default_store_path() -> Path:
    return Path(os.environ.get("EVALHARNESS_DB", "evalharness.duckdb"))


class Store:
    """A path plus the discipline of using it: short transactions, retried when another process holds it."""

    def __init__(self, path: str | Path | None = None, *, lock_timeout_s: float = 60.0) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self.lock_timeout_s = lock_timeout_s
        # DuckDB connections are not shared between threads; one process-wide lock keeps our own
        # threads (e.g. a cache writer and the progress loop) from racing for the file.
        self._thread_lock = threading.RLock()

    def _open(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.01
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise StoreError(
                        f"cannot open {self.path}: {exc}. Another program may hold it; close it "
                        "or point EVALHARNESS_DB / [store] path at another file."
                    ) from None
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.5)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one short piece of work; migrations are applied once per process.

        The file and its write-ahead log hold password hashes and community data: they are created readable
        by their owner only (mode 0600), whatever the process's umask.
        """
        with self._thread_lock, _private_files():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = self._open()
            _owner_only(self.path)
            try:
                key = str(self.path.resolve())
                if key not in _MIGRATED:
                    with _MIGRATE_LOCK:
                        apply_migrations(con)
                        _MIGRATED.add(key)
                yield con
            finally:
                con.close()
                _owner_only(self.path.with_name(self.path.name + ".wal"))

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
