"""`Store`: where results live — a DuckDB file (the default, for one person) or a PostgreSQL database (a team).

A location is a file path, or a `postgresql://` URL. Either way every read or write is one short piece of
work on a connection taken for it and given back (never held across a run), and migrations are applied on
first use. Only the modules of `evalharness/store/` call `connect()`/`transaction()` and write SQL.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .engines import Con, DuckDBEngine, PostgresEngine, is_server_url, path_lock
from .migrations import apply_migrations

__all__ = ["Store", "default_store_location", "default_store_path", "path_lock"]

DEFAULT_FILE = "evalharness.duckdb"


def default_store_location() -> str:
    """`EVALHARNESS_DB` (a file path or a postgresql:// URL), else the default file."""
    return os.environ.get("EVALHARNESS_DB") or DEFAULT_FILE


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
    return Path(default_store_location())


class Store:
    """A store location plus the discipline of using it: short transactions, retried while a DuckDB file is busy."""

    def __init__(self, location: str | Path | None = None, *, lock_timeout_s: float = 60.0) -> None:
        where = str(location) if location is not None else default_store_location()
        self.lock_timeout_s = lock_timeout_s
        self.engine: DuckDBEngine | PostgresEngine
        if is_server_url(where):
            self.engine = PostgresEngine(where)
            self.path: Path | None = None
        else:
            self.path = Path(where)
            self.engine = DuckDBEngine(self.path, lock_timeout_s)

    @property
    def kind(self) -> str:
        """`duckdb` or `postgresql`."""
        return self.engine.kind

    @property
    def location(self) -> str:
        """The path or URL as given (a URL may hold a password: show `display` to people)."""
        return str(self.path) if self.path is not None else self.engine.url  # type: ignore[union-attr]

    @property
    def display(self) -> str:
        """Where the store is, safe to print (a URL's password hidden)."""
        return self.engine.display

    @property
    def _thread_lock(self) -> Any:
        return self.engine.lock if isinstance(self.engine, DuckDBEngine) else None

    def __repr__(self) -> str:
        return f"Store({self.display!r})"

    @contextmanager
    def connect(self) -> Iterator[Con]:
        """A connection for one short piece of work; migrations are applied once per process.

        A store file, its write-ahead log and its lock file hold password hashes and community data: they are
        created readable by their owner only (mode 0600), whatever the process's umask. (A server keeps its
        own files.)
        """
        if self.path is None:
            with self.engine.connect(apply_migrations) as con:
                yield con
            return
        with _private_files():
            try:
                with self.engine.connect(apply_migrations) as con:
                    _owner_only(self.path)
                    yield con
            finally:
                _owner_only(self.path.with_name(self.path.name + ".wal"))

    @contextmanager
    def transaction(self) -> Iterator[Con]:
        """All-or-nothing: a failure inside rolls back, so a bad input never leaves half a write. A commit
        that fails raises: nothing is reported saved that is not."""
        with self.connect() as con, self.engine.transaction(con):
            yield con

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        with self.connect() as con:
            return con.rows(sql, params)

    def frame(self, sql: str, params: Sequence[Any] | None = None):  # -> pandas.DataFrame
        with self.connect() as con:
            return con.frame(sql, params)

    def exists(self) -> bool:
        """True when the store has been created (the file exists / the database holds the schema)."""
        return self.engine.exists()
