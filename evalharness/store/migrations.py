"""Append-only, named migrations, the same files on both engines. Never edit a released one: add the next.

Numbers are reserved by area so parallel work does not collide (0001–0003 came first): store 0010–0019,
defects 0020–0029, security 0030–0039, seams 0040–0049, language 0050–0059, monitor 0060–0069,
reviewers 0070–0079. What SQL runs on both engines: docs/store.md.

Two processes starting together must not both apply a migration: on PostgreSQL the whole pass runs in one
transaction under an advisory lock (the second process waits, then finds everything applied); a DuckDB
file is only ever open in one process at a time, which serves as the lock there.
"""

from __future__ import annotations

from importlib import resources

from .engines import Con

#: pg_advisory_xact_lock's first key: "evah" in ASCII. The second is the schema's hash.
_LOCK_KEY = 0x65766168


def _migration_files() -> list[tuple[int, str, str]]:
    folder = resources.files("evalharness.store") / "sql"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql"):
            number = int(name.split("_", 1)[0])
            found.append((number, name[:-4], entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if len(numbers) != len(set(numbers)):
        raise RuntimeError(f"two migrations share a number: {numbers}")
    return found


_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
    "applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
)


def apply_migrations(con: Con) -> list[str]:
    """Apply every migration not yet recorded in `schema_migrations`; returns the names applied."""
    if con.kind == "postgresql":
        return _apply_postgres(con)
    con.execute(_TABLE)
    done = {row[0] for row in con.rows("SELECT version FROM schema_migrations")}
    applied = []
    for number, name, sql in _migration_files():
        if number in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [number, name])
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        applied.append(name)
    return applied


def _apply_postgres(con: Con) -> list[str]:
    raw = con.raw  # type: ignore[attr-defined]
    # Fast path without the lock: an up-to-date database needs nothing.
    wanted = _migration_files()
    have = con.one("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if have and have[0]:
        done = {row[0] for row in con.rows("SELECT version FROM schema_migrations")}
        if all(n in done for n, _, _ in wanted):
            return []
    applied = []
    with raw.transaction():
        con.execute("SELECT pg_advisory_xact_lock(?, hashtext(current_schema()))", [_LOCK_KEY])
        con.execute(_TABLE)
        done = {row[0] for row in con.rows("SELECT version FROM schema_migrations")}
        for number, name, sql in wanted:
            if number in done:
                continue
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [number, name])
            applied.append(name)
    return applied


def schema_version(con: Con) -> int:
    row = con.one("SELECT max(version) FROM schema_migrations")
    return int(row[0] or 0) if row else 0
