"""Reviewer accounts: created from the CLI, used to sign in to the dashboard, locked after wrong passwords.

Lockout: after `max_failed_attempts` wrong passwords in a row the account is locked for `lockout_seconds`;
every further wrong password after that (once the lock has run out) locks it again for twice as long, up to
`lockout_max_seconds`. A right password resets the count. While locked, no password is even checked, so a
guesser learns nothing. The count and the lock live in the `reviewers` table, so they hold across dashboard
restarts and across several dashboard processes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ..config import DashboardConfig
from ..errors import EvalHarnessError, InputError
from ..store import Store
from .passwords import burn_time, check_strength, hash_password, verify_password

Role = Literal["reviewer", "admin"]
ROLES: tuple[str, ...] = ("reviewer", "admin")
_NAME = re.compile(r"^[^\s][^\n\r\t]{0,62}[^\s]$|^[^\s]$")


class PermissionDenied(EvalHarnessError):
    """Someone tried a write their role does not allow (e.g. a reviewer accepting corrections). Exit code 2."""

    exit_code = 2


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    created_at: datetime | None = None
    failed_attempts: int = 0
    locked_until: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class SignInResult:
    """What the sign-in form shows. `account` is set only on success; `message` is for the person."""

    account: Account | None
    message: str
    locked_until: datetime | None = None


def add_reviewer(store: Store, name: str, role: str, password: str) -> Account:
    """Create an account. Names are what reviewers are credited by in published suites, so keep them real."""
    name = name.strip()
    if not _NAME.match(name):
        raise InputError("a reviewer name must be 1–64 characters without tabs or line breaks", field="name")
    if role not in ROLES:
        raise InputError(f"unknown role '{role}'", field="role", hint="use reviewer or admin")
    problem = check_strength(password)
    if problem:
        raise InputError(f"password too weak: {problem}", field="password")
    hashed = hash_password(password)
    with store.transaction() as con:
        if con.execute("SELECT 1 FROM reviewers WHERE name = ?", [name]).fetchone():
            raise InputError(
                f"a reviewer named '{name}' already exists",
                field="name",
                hint="pick another name, or see `evalharness reviewers list`",
            )
        con.execute("INSERT INTO reviewers (name, role, password_hash) VALUES (?, ?, ?)", [name, role, hashed])
    return get_account(store, name)  # type: ignore[return-value]


def set_password(store: Store, name: str, password: str) -> None:
    """Replace a password (and lift any lock): for a reviewer who forgot theirs."""
    problem = check_strength(password)
    if problem:
        raise InputError(f"password too weak: {problem}", field="password")
    hashed = hash_password(password)
    with store.transaction() as con:
        if not con.execute("SELECT 1 FROM reviewers WHERE name = ?", [name]).fetchone():
            raise InputError(f"no reviewer named '{name}'", field="name", hint="see `evalharness reviewers list`")
        con.execute(
            "UPDATE reviewers SET password_hash = ?, failed_attempts = 0, locked_until = NULL WHERE name = ?",
            [hashed, name],
        )


def get_account(store: Store, name: str) -> Account | None:
    rows = store.query(
        "SELECT name, role, created_at, failed_attempts, locked_until FROM reviewers WHERE name = ?", [name]
    )
    return Account(*rows[0]) if rows else None


def list_accounts(store: Store) -> list[Account]:
    return [
        Account(*r)
        for r in store.query(
            "SELECT name, role, created_at, failed_attempts, locked_until FROM reviewers ORDER BY name"
        )
    ]


def lock_length(failed_attempts: int, settings: DashboardConfig) -> float:
    """Seconds to lock after this many consecutive wrong passwords (0 below the threshold)."""
    over = failed_attempts - settings.max_failed_attempts
    if over < 0:
        return 0.0
    return float(min(settings.lockout_seconds * 2 ** min(over, 30), settings.lockout_max_seconds))


def sign_in(store: Store, name: str, password: str, settings: DashboardConfig) -> SignInResult:
    """Check a password, counting failures and locking the account as the settings say."""
    name = name.strip()
    # The database clock (not this process's), so several dashboard processes agree on when a lock ends.
    rows = store.query(
        "SELECT password_hash, role, locked_until, current_timestamp::TIMESTAMP FROM reviewers WHERE name = ?", [name]
    )
    if not rows:
        burn_time(password)
        return SignInResult(None, "That name or password is not right.")
    stored, role, locked_until, now = rows[0]
    if locked_until is not None and locked_until > now:
        return SignInResult(None, _locked_message(locked_until - now), locked_until)
    if verify_password(password, stored):
        with store.transaction() as con:
            con.execute("UPDATE reviewers SET failed_attempts = 0, locked_until = NULL WHERE name = ?", [name])
        return SignInResult(Account(name=name, role=role), f"Signed in as {name}.")
    with store.transaction() as con:
        # Count in SQL, not from the value read above: two wrong tries at once must both count.
        row = con.execute(
            "UPDATE reviewers SET failed_attempts = failed_attempts + 1 WHERE name = ? RETURNING failed_attempts",
            [name],
        ).fetchone()
        assert row is not None  # the reviewer was read above, inside the same sign-in
        failed = row[0]
        seconds = lock_length(failed, settings)
        if seconds > 0:
            until = now + timedelta(seconds=seconds)
            con.execute("UPDATE reviewers SET locked_until = ? WHERE name = ?", [until, name])
            return SignInResult(None, _locked_message(until - now), until)
    left = settings.max_failed_attempts - failed
    return SignInResult(
        None,
        "That name or password is not right."
        + (f" {left} more wrong tries will lock the account for a while." if left <= 2 else ""),
    )


def _locked_message(remaining: timedelta) -> str:
    seconds = max(1, int(remaining.total_seconds() + 0.999))
    wait = f"{seconds} seconds" if seconds < 120 else f"{(seconds + 59) // 60} minutes"
    return (
        f"Too many wrong passwords: this account is locked. Please try again in {wait}, "
        "or ask an admin to reset the password."
    )


def require_role(store: Store, name: str, role: str) -> Account:
    """Re-read the account from the database before a write, so a removed or demoted account cannot write."""
    account = get_account(store, name)
    if account is None:
        raise PermissionDenied(f"no reviewer account named '{name}'; sign in again")
    if role == "admin" and not account.is_admin:
        raise PermissionDenied(f"'{name}' is a reviewer; only an admin can do this")
    return account
