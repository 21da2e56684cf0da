"""SQL for reviewer accounts and sign-in attempts (tables `reviewers`, `sign_in_failures`, `sign_in_sources`).

An attempt is counted *before* its password is checked, in one transaction (`begin_attempt`): parallel
guesses are serialised by the transaction, so no more than the allowed number are ever checked. Every
failed attempt — unknown name, wrong password, locked name, throttled source — runs the same statements,
so neither the answer nor its timing says which it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .connection import Store
from .engines import Con


@dataclass(frozen=True)
class AccountRow:
    name: str
    role: str
    created_at: datetime | None
    session_version: int
    failed_attempts: int  # the largest count of wrong passwords in a row from any one source
    locked_until: datetime | None  # the latest lock still running for any source (None: none)


@dataclass(frozen=True)
class Attempt:
    """What `begin_attempt` decided. `check` is False when the password must not even be checked."""

    check: bool
    name: str | None
    role: str | None
    password_hash: str | None
    session_version: int


def _backfill(con: Con, key: Callable[[str], str]) -> None:
    """Accounts made before the normalised key existed get theirs (Unicode case folding is done in Python)."""
    for (name,) in con.rows("SELECT name FROM reviewers WHERE name_key IS NULL"):
        con.execute(
            "UPDATE reviewers SET name_key = ?, session_version = coalesce(session_version, 0) WHERE name = ?",
            [key(name), name],
        )


_ACCOUNT = (
    "SELECT r.name, r.role, r.created_at, coalesce(r.session_version, 0), "
    "coalesce((SELECT max(f.failed_attempts) FROM sign_in_failures f WHERE f.name_key = r.name_key), 0), "
    "(SELECT max(f.locked_until) FROM sign_in_failures f WHERE f.name_key = r.name_key "
    "AND f.locked_until > current_timestamp::TIMESTAMP) FROM reviewers r"
)


def find(store: Store, name_key: str, key: Callable[[str], str]) -> AccountRow | None:
    with store.transaction() as con:
        _backfill(con, key)
        row = con.one(_ACCOUNT + " WHERE r.name_key = ?", [name_key])
    return AccountRow(*row) if row else None


def list_all(store: Store, key: Callable[[str], str]) -> list[AccountRow]:
    with store.transaction() as con:
        _backfill(con, key)
        return [AccountRow(*r) for r in con.rows(_ACCOUNT + " ORDER BY r.name")]


def insert(
    store: Store, *, name: str, name_key: str, role: str, password_hash: str, key: Callable[[str], str]
) -> str | None:
    """Create the account; returns the existing account's name instead when the normalised name is taken."""
    with store.transaction() as con:
        _backfill(con, key)
        taken = con.one("SELECT name FROM reviewers WHERE name_key = ?", [name_key])
        if taken:
            return str(taken[0])
        con.execute(
            "INSERT INTO reviewers (name, role, password_hash, name_key, session_version) VALUES (?, ?, ?, ?, 0)",
            [name, role, password_hash, name_key],
        )
        con.execute("DELETE FROM sign_in_failures WHERE name_key = ?", [name_key])
    return None


def update(
    store: Store, name_key: str, key: Callable[[str], str], *, password_hash: str | None = None, role: str | None = None
) -> str | None:
    """Change the password and/or role; bumps the session version (signing every session out) and, for a new
    password, clears the wrong-password counts. Returns the account's name, or None when there is none."""
    with store.transaction() as con:
        _backfill(con, key)
        row = con.one("SELECT name FROM reviewers WHERE name_key = ?", [name_key])
        if row is None:
            return None
        if password_hash is not None:
            con.execute("UPDATE reviewers SET password_hash = ? WHERE name_key = ?", [password_hash, name_key])
            con.execute("DELETE FROM sign_in_failures WHERE name_key = ?", [name_key])
        if role is not None:
            con.execute("UPDATE reviewers SET role = ? WHERE name_key = ?", [role, name_key])
        con.execute(
            "UPDATE reviewers SET session_version = coalesce(session_version, 0) + 1 WHERE name_key = ?", [name_key]
        )
    return str(row[0])


def remove(store: Store, name_key: str, key: Callable[[str], str]) -> str | None:
    """Delete the account (what it wrote stays, credited by name). Returns its name, or None."""
    with store.transaction() as con:
        _backfill(con, key)
        row = con.one("SELECT name FROM reviewers WHERE name_key = ?", [name_key])
        if row is None:
            return None
        con.execute("DELETE FROM reviewers WHERE name_key = ?", [name_key])
        con.execute("DELETE FROM sign_in_failures WHERE name_key = ?", [name_key])
    return str(row[0])


def unlock(store: Store, name_key: str) -> int:
    """Forget every wrong-password count and lock of this name, from every source. Returns how many."""
    with store.transaction() as con:
        found = con.one("SELECT count(*) FROM sign_in_failures WHERE name_key = ?", [name_key])
        con.execute("DELETE FROM sign_in_failures WHERE name_key = ?", [name_key])
    return int(found[0]) if found else 0


def begin_attempt(
    store: Store,
    name_key: str,
    source: str,
    key: Callable[[str], str],
    *,
    lock_seconds: Callable[[int], float],
    source_max_attempts: int,
    source_window_seconds: float,
) -> Attempt:
    """Count one sign-in attempt for (name, source) and for the source, and say whether to check the password.

    Refused (check=False) while the (name, source) pair is locked or the source has used up its window. The
    attempt is counted as a failure now; `attempt_succeeded` clears the count when the password was right.
    Whatever the outcome, the same statements run.
    """
    with store.transaction() as con:
        con.serialize("sign-in")  # parallel guesses are counted one after another, on a server too
        _backfill(con, key)
        now: datetime = con.one("SELECT current_timestamp::TIMESTAMP")[0]  # type: ignore[index]
        window = timedelta(seconds=source_window_seconds)
        src = con.one("SELECT window_start, attempts, blocked_until FROM sign_in_sources WHERE source = ?", [source])
        start, attempts, blocked = (now, 0, None) if src is None else src
        source_ok = not (blocked is not None and blocked > now)
        if source_ok and now - start > window:
            start, attempts, blocked = now, 0, None
        attempts += 1
        if source_ok and attempts > source_max_attempts:
            blocked, source_ok = start + window, False
        _upsert_source(con, source, start, attempts, blocked)

        account = con.one(
            "SELECT name, role, password_hash, coalesce(session_version, 0) FROM reviewers WHERE name_key = ?",
            [name_key],
        )
        fail = con.one(
            "SELECT failed_attempts, locked_until FROM sign_in_failures WHERE name_key = ? AND source = ?",
            [name_key, source],
        )
        failed, locked_until = (0, None) if fail is None else fail
        locked = locked_until is not None and locked_until > now
        check = source_ok and not locked
        if check:
            failed += 1
            seconds = lock_seconds(failed)
            locked_until = now + timedelta(seconds=seconds) if seconds > 0 else None
        _upsert_failure(con, name_key, source, failed, locked_until, now)
    if account is None:
        return Attempt(check, None, None, None, 0)
    return Attempt(check, account[0], account[1], account[2], int(account[3]))


def _upsert_source(con: Con, source: str, start: datetime, attempts: int, blocked: datetime | None) -> None:
    con.execute(
        "INSERT INTO sign_in_sources (source, window_start, attempts, blocked_until) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (source) DO UPDATE SET window_start = excluded.window_start, "
        "attempts = excluded.attempts, blocked_until = excluded.blocked_until",
        [source, start, attempts, blocked],
    )


def _upsert_failure(
    con: Con,
    name_key: str,
    source: str,
    failed: int,
    locked_until: datetime | None,
    now: datetime,
) -> None:
    con.execute(
        "INSERT INTO sign_in_failures (name_key, source, failed_attempts, locked_until, last_attempt) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name_key, source) DO UPDATE SET "
        "failed_attempts = excluded.failed_attempts, locked_until = excluded.locked_until, "
        "last_attempt = excluded.last_attempt",
        [name_key, source, failed, locked_until, now],
    )


def attempt_succeeded(store: Store, name_key: str, source: str) -> None:
    with store.transaction() as con:
        con.execute(
            "UPDATE sign_in_failures SET failed_attempts = 0, locked_until = NULL WHERE name_key = ? AND source = ?",
            [name_key, source],
        )


def session_account(store: Store, name: str) -> tuple[str, str, int] | None:
    """(name, role, session version) of the account as it is now, or None when it is gone."""
    rows = store.query("SELECT name, role, coalesce(session_version, 0) FROM reviewers WHERE name = ?", [name])
    return (str(rows[0][0]), str(rows[0][1]), int(rows[0][2])) if rows else None


def writer(con: Con, name: str) -> tuple[str, int] | None:
    """Inside a write transaction: the writer's (role, session version) as they are now, None when gone."""
    row = con.one("SELECT role, coalesce(session_version, 0) FROM reviewers WHERE name = ?", [name])
    return (str(row[0]), int(row[1])) if row else None
