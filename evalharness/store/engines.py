"""The two engines behind one `Store`: a DuckDB file (one person) and PostgreSQL (a team).

Both speak the same SQL — the portable subset described in docs/store.md ("SQL that runs on both engines") —
through one small connection type, `Con`. Store modules write `?` placeholders and `= ANY(?)` for lists; the
PostgreSQL side turns the placeholders into psycopg's. Bulk rows go in through `Con.insert` (Arrow on DuckDB,
pipelined statements or COPY on PostgreSQL) with the same ON CONFLICT clause on both.
"""

from __future__ import annotations

import functools
import os
import random
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, Protocol, TypeAlias
from urllib.parse import urlsplit, urlunsplit

import duckdb
import pyarrow as pa

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

from ..errors import StoreError

Conflict = Literal["error", "ignore", "replace"]
Rows: TypeAlias = pa.Table | Sequence[Mapping[str, Any]]

#: Every timestamp the store writes or compares is UTC, on both engines, whatever the machine's zone.
TIME_ZONE = "UTC"


class Cursor(Protocol):
    def fetchall(self) -> list[tuple[Any, ...]]: ...
    def fetchone(self) -> tuple[Any, ...] | None: ...
    @property
    def description(self) -> Any: ...


class Con:
    """One connection for one short piece of work. Only `evalharness/store/` modules use it."""

    kind: str = ""

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Cursor:
        raise NotImplementedError

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.execute(sql, params).fetchall()

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement for many parameter rows (few rows; bulk rows go through `insert`)."""
        raise NotImplementedError

    def one(self, sql: str, params: Sequence[Any] | None = None) -> tuple[Any, ...] | None:
        """The first row, or None. Reads the whole result: DuckDB refuses new work on a connection whose last
        result was not read to the end."""
        rows = self.execute(sql, params).fetchall()
        return rows[0] if rows else None

    def frame(self, sql: str, params: Sequence[Any] | None = None) -> Any:  # pandas.DataFrame
        raise NotImplementedError

    def serialize(self, topic: str) -> None:
        """Inside a transaction: wait until no other transaction holds `topic`, then hold it until this one
        ends. For read-then-write logic (counting sign-in attempts) that must not interleave with another
        writer's. A DuckDB file needs nothing: one connection at a time has the file."""

    def insert(
        self,
        table: str,
        rows: Rows,
        *,
        columns: Sequence[str] | None = None,
        conflict: Conflict = "error",
        key: Sequence[str] = (),
    ) -> None:
        """Insert many rows at once. `conflict`: fail on a duplicate key, keep the stored row, or replace it
        (`key` names the primary key columns; required for "replace")."""
        raise NotImplementedError

    @staticmethod
    def _insert_sql(table: str, columns: Sequence[str], source: str, conflict: Conflict, key: Sequence[str]) -> str:
        names = ", ".join(columns)
        sql = f"INSERT INTO {table} ({names}) {source}"
        if conflict == "ignore":
            sql += " ON CONFLICT DO NOTHING"
        elif conflict == "replace":
            if not key:
                raise ValueError("conflict='replace' needs the key columns")
            updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
            sql += f" ON CONFLICT ({', '.join(key)}) DO " + (f"UPDATE SET {updates}" if updates else "NOTHING")
        return sql


def _columns_of(rows: Rows, columns: Sequence[str] | None) -> list[str]:
    if columns is not None:
        return list(columns)
    if isinstance(rows, pa.Table):
        return list(rows.column_names)
    return list(rows[0].keys()) if rows else []


# -- DuckDB ------------------------------------------------------------------------------------------------


class DuckCon(Con):
    kind = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.raw = con

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Cursor:
        return self.raw.execute(sql, list(params) if params else [])

    def frame(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        return self.raw.execute(sql, list(params) if params else []).df()

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.raw.executemany(sql, [list(r) for r in rows])

    def insert(
        self,
        table: str,
        rows: Rows,
        *,
        columns: Sequence[str] | None = None,
        conflict: Conflict = "error",
        key: Sequence[str] = (),
    ) -> None:
        names = _columns_of(rows, columns)
        if not names or len(rows) == 0:
            return
        data = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist([dict(r) for r in rows])
        view = "new_rows_" + uuid.uuid4().hex[:8]
        self.raw.register(view, data)
        try:
            self.raw.execute(self._insert_sql(table, names, f"SELECT {', '.join(names)} FROM {view}", conflict, key))
        finally:
            self.raw.unregister(view)


_MIGRATED: set[str] = set()
_MIGRATE_LOCK = threading.Lock()
_PATH_LOCKS: dict[str, threading.RLock] = {}
_PATH_LOCKS_GUARD = threading.Lock()


def path_lock(path: Path) -> threading.RLock:
    """The one lock of this process for a database file, whatever spelling of its path a caller used.

    DuckDB connections are not shared between threads, and two connections of one process on one file race
    in ways that lose data: while one closes (and checkpoints its write-ahead log into the file) another may
    open a second copy of the database, whose commits the first one's checkpoint then overwrites. So every
    `Store` on the same file — not just the same `Store` object — takes this lock for each piece of work.
    """
    key = os.path.realpath(path)
    with _PATH_LOCKS_GUARD:
        return _PATH_LOCKS.setdefault(key, threading.RLock())


def _flock(fd: int, deadline: float) -> bool:
    """Take an exclusive flock on `fd`, waiting until `deadline`; False (fd closed) if it never came.

    The wait blocks in the kernel, which wakes a waiter the moment the lock is released: a process polling with
    back-off would sleep through most releases and starve behind busy neighbours (a run's writes waited out their
    60 s behind six reviewers' saves that way). A blocking call cannot time out, so it runs in a helper thread;
    if the deadline passes first, the helper gives the lock straight back when it gets it."""
    assert fcntl is not None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        pass
    state = {"got": False, "abandoned": False}
    guard = threading.Lock()
    done = threading.Event()

    def wait() -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with guard:
            if state["abandoned"]:
                os.close(fd)  # too late: let the next one in
            else:
                state["got"] = True
        done.set()

    threading.Thread(target=wait, name="evalharness-file-lock", daemon=True).start()
    done.wait(max(0.0, deadline - time.monotonic()))
    with guard:
        if state["got"]:
            return True
        state["abandoned"] = True
    return False


class DuckDBEngine:
    """A DuckDB file: one process writes at a time, so nothing keeps it open between short pieces of work."""

    kind = "duckdb"

    def __init__(self, path: Path, lock_timeout_s: float) -> None:
        self.path = path
        self.lock_timeout_s = lock_timeout_s
        self.lock = path_lock(path)

    @property
    def display(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.is_file()

    @contextmanager
    def _turn(self, deadline: float) -> Iterator[None]:
        """This process's turn at the file, among all processes using evalharness on it.

        DuckDB locks the database file only once it has opened it: before that it opens and reads the file
        unlocked, so a process starting up could read the file while another was still writing it back on
        close — and later write that stale view over the other's commits (a save reported saved, then gone;
        seen about once in a thousand saves under load). A lock file beside the database, taken before DuckDB
        touches the file and held until DuckDB has closed it, leaves no such window.
        """
        if fcntl is None:  # not a POSIX system: DuckDB's own lock is all there is
            yield
            return
        lock_path = os.path.realpath(self.path) + ".lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        if not _flock(fd, deadline):
            raise StoreError(
                f"cannot open {self.path}: another evalharness process has been using it for "
                f"{self.lock_timeout_s:.0f} s. Wait for it (a run writing?) or point EVALHARNESS_DB / "
                "[store] url at another store."
            )
        try:
            yield
        finally:
            os.close(fd)  # releases the lock

    def _open(self, deadline: float) -> duckdb.DuckDBPyConnection:
        delay = 0.01
        while True:
            try:
                con = duckdb.connect(str(self.path))
                con.execute(f"SET TimeZone = '{TIME_ZONE}'")
                return con
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise StoreError(
                        f"cannot open {self.path}: {exc}. Another program may hold it; close it "
                        "or point EVALHARNESS_DB / [store] url at another store."
                    ) from None
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.5)

    @contextmanager
    def connect(self, migrate: Any) -> Iterator[Con]:
        with self.lock:
            deadline = time.monotonic() + self.lock_timeout_s
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._turn(deadline):
                raw = self._open(deadline)
                try:
                    con = DuckCon(raw)
                    key = "duckdb:" + os.path.realpath(self.path)
                    if key not in _MIGRATED:
                        with _MIGRATE_LOCK:
                            # The file lock already keeps other processes out while this one migrates.
                            migrate(con)
                            _MIGRATED.add(key)
                    yield con
                finally:
                    raw.close()

    @contextmanager
    def transaction(self, con: Con) -> Iterator[Con]:
        assert isinstance(con, DuckCon)
        con.raw.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.raw.execute("ROLLBACK")
            raise
        con.raw.execute("COMMIT")


# -- PostgreSQL --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def to_pyformat(sql: str) -> str:
    """`?` placeholders → psycopg's `%s` (and a literal `%` → `%%`), leaving quoted text alone."""
    out: list[str] = []
    quote: str | None = None
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None
            out.append("%%" if ch == "%" else ch)
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)


class PgCon(Con):
    kind = "postgresql"

    def __init__(self, con: Any) -> None:
        self.raw = con

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Cursor:
        # Without parameters psycopg reads the text as it is (a `%` stays a `%`).
        if params:
            return self.raw.execute(to_pyformat(sql), list(params))
        return self.raw.execute(sql)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self.raw.cursor() as cur:
                cur.executemany(to_pyformat(sql), [list(r) for r in rows])

    def serialize(self, topic: str) -> None:
        # READ COMMITTED lets two transactions read the same row and both write it back: take a lock first.
        self.execute("SELECT pg_advisory_xact_lock(hashtext(?))", ["evalharness:" + topic])

    def frame(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        import pandas as pd

        cur = self.execute(sql, params)
        names = [d.name for d in cur.description or ()]
        return pd.DataFrame.from_records(cur.fetchall(), columns=names, coerce_float=True)

    def insert(
        self,
        table: str,
        rows: Rows,
        *,
        columns: Sequence[str] | None = None,
        conflict: Conflict = "error",
        key: Sequence[str] = (),
    ) -> None:
        names = _columns_of(rows, columns)
        if not names or len(rows) == 0:
            return
        records = rows.to_pylist() if isinstance(rows, pa.Table) else [dict(r) for r in rows]
        if key:
            # One lock order for every writer: two transactions upserting overlapping keys cannot deadlock.
            records.sort(key=lambda r: tuple(str(r.get(k)) for k in key))
        values = [tuple(r.get(c) for c in names) for r in records]
        if len(values) < COPY_FROM:
            sql = self._insert_sql(table, names, "VALUES (" + ", ".join("%s" for _ in names) + ")", conflict, key)
            with self.raw.cursor() as cur:
                cur.executemany(sql, values)
            return
        # Many rows: COPY (about twice as fast as pipelined INSERTs), through a temporary table when the
        # ON CONFLICT clause has to decide.
        columns = ", ".join(names)
        with self.raw.transaction(), self.raw.cursor() as cur:
            target = table
            if conflict != "error":
                target = "new_rows_" + uuid.uuid4().hex[:8]
                cur.execute(f"CREATE TEMPORARY TABLE {target} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
            with cur.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
            if target != table:
                cur.execute(
                    self._insert_sql(
                        table,
                        names,
                        f"SELECT {columns} FROM {target} ORDER BY " + ", ".join(key or names[:1]),
                        conflict,
                        key,
                    )
                )
                cur.execute(f"DROP TABLE {target}")


#: From this many rows on, PostgreSQL inserts go through COPY.
COPY_FROM = 500


def redact(url: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class _Idle:
    """A few idle connections per URL, reused by this process's threads (connecting costs ~5 ms on loopback,
    a query ~0.05 ms). No background threads, nothing held beyond `max_idle` per URL."""

    def __init__(self, max_idle: int = 4) -> None:
        self.max_idle = max_idle
        self.lock = threading.Lock()
        self.idle: dict[str, list[Any]] = {}

    def take(self, url: str) -> Any | None:
        with self.lock:
            pool = self.idle.get(url) or []
            return pool.pop() if pool else None

    def give(self, url: str, con: Any) -> None:
        with self.lock:
            pool = self.idle.setdefault(url, [])
            if len(pool) < self.max_idle:
                pool.append(con)
                return
        con.close()

    def close(self, url: str | None = None) -> None:
        with self.lock:
            urls = [url] if url is not None else list(self.idle)
            doomed = [c for u in urls for c in self.idle.pop(u, [])]
        for con in doomed:
            con.close()


IDLE = _Idle()


class PostgresEngine:
    """A PostgreSQL database (psycopg 3): many processes on many machines read and write at once."""

    kind = "postgresql"

    def __init__(self, url: str, connect_timeout_s: float = 10.0) -> None:
        self.url = url
        self.connect_timeout_s = connect_timeout_s

    @property
    def display(self) -> str:
        return redact(self.url)

    def exists(self) -> bool:
        try:
            with self.connect(None) as con:
                return con.one("SELECT to_regclass('schema_migrations') IS NOT NULL") == (True,)
        except StoreError:
            return False

    def _open(self) -> Any:
        import psycopg
        from psycopg.types.numeric import FloatLoader

        try:
            raw = psycopg.connect(self.url, autocommit=True, connect_timeout=max(1, int(self.connect_timeout_s)))
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise StoreError(
                f"cannot connect to the store {self.display}: {reason}. Check that the server is "
                "running and the URL (EVALHARNESS_DB or [store] url) is right."
            ) from None
        # avg() and sum() of integers are NUMERIC in PostgreSQL; the store's numbers are floats on both engines.
        raw.adapters.register_loader("numeric", FloatLoader)
        # Set here, not in the URL's `options`, which a team's URL may use for its own settings (search_path).
        raw.execute(f"SET TIME ZONE '{TIME_ZONE}'")
        return raw

    @contextmanager
    def connect(self, migrate: Any) -> Iterator[Con]:
        import psycopg

        raw = IDLE.take(self.url)
        if raw is None or raw.closed:
            raw = self._open()
        healthy = False
        try:
            con = PgCon(raw)
            key = "postgresql:" + self.url
            if migrate is not None and key not in _MIGRATED:
                with _MIGRATE_LOCK:
                    migrate(con)
                    _MIGRATED.add(key)
            yield con
            healthy = raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        except psycopg.OperationalError as exc:
            raise StoreError(f"lost the connection to the store {self.display}: {exc}") from None
        finally:
            if healthy:
                IDLE.give(self.url, raw)
            else:
                raw.close()

    @contextmanager
    def transaction(self, con: Con) -> Iterator[Con]:
        assert isinstance(con, PgCon)
        with con.raw.transaction():
            yield con


def is_server_url(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))
