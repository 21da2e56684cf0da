"""Reviewer accounts: created from the CLI, used to sign in to the dashboard, checked again on every page.

Names are unique after NFC, case folding and collapsing spaces ("Mary  Wesley" and "mary wesley" are one
person), and a person signs in with any of those spellings. Passwords are NFC-normalised before hashing,
so a Stoney password typed with combining accents works.

Wrong passwords are counted per (name, source): after `max_failed_attempts` in a row from one source, that
source is locked out of that name for `lockout_seconds`, doubling up to `lockout_max_seconds` — a stranger
cannot lock an admin out, only themselves. Each source also has a budget of attempts per window, whatever
the names. An attempt is counted before its password is checked, in one transaction, so parallel guesses
never get more checks than the limit. Every failed sign-in gives the same message after the same work (one
password hash, the same statements) and takes at least `FAILED_SIGN_IN_SECONDS`.

A session remembers the account's `session_version`; changing the password or role, or removing the
account, changes or deletes it, and `check_session` (called on every page and before every write) then
ends the session.
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ..config import DashboardConfig
from ..errors import EvalHarnessError, InputError
from ..store import Store
from ..store import accounts as sql
from .passwords import check_strength, hash_password, verify_password

Role = Literal["reviewer", "admin"]
ROLES: tuple[str, ...] = ("reviewer", "admin")
_NAME = re.compile(r"^[^\s][^\n\r\t]{0,62}[^\s]$|^[^\s]$")
#: every failed sign-in takes at least this long, so the small differences left between paths do not show
FAILED_SIGN_IN_SECONDS = 0.4
FAILED_MESSAGE = (
    "Not signed in: that name and password did not work, or there were too many tries. Please "
    "check them and try again in a few minutes; an admin can reset a password or lift a lock."
)


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
    session_version: int = 0

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class SignInResult:
    """What the sign-in form shows. `account` is set only on success; `message` is for the person."""

    account: Account | None
    message: str


def display_name(name: str) -> str:
    """NFC, spaces collapsed: how a name is stored and credited."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def name_key(name: str) -> str:
    """What makes two names the same person: NFC, case-folded, spaces collapsed."""
    return unicodedata.normalize("NFC", display_name(name).casefold())


def _account(row: sql.AccountRow) -> Account:
    return Account(row.name, row.role, row.created_at, row.failed_attempts, row.locked_until, row.session_version)


def _role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"unknown role '{role}'", field="role", hint="use reviewer or admin")
    return role


def _strong(password: str, name: str) -> None:
    problem = check_strength(password, user_inputs=[name])
    if problem:
        raise InputError(f"password too weak: {problem}", field="password")


def add_reviewer(store: Store, name: str, role: str, password: str) -> Account:
    """Create an account. Names are what reviewers are credited by in published suites, so keep them real."""
    name = display_name(name)
    if not _NAME.match(name):
        raise InputError("a reviewer name must be 1–64 characters without tabs or line breaks", field="name")
    _role(role)
    _strong(password, name)
    taken = sql.insert(
        store, name=name, name_key=name_key(name), role=role, password_hash=hash_password(password), key=name_key
    )
    if taken is not None:
        raise InputError(
            f"a reviewer named '{taken}' already exists (names are compared ignoring case, accents' "
            "encoding and extra spaces)",
            field="name",
            hint="pick another name, or see `evalharness reviewers list`",
        )
    return get_account(store, name)  # type: ignore[return-value]


def _must_exist(found: str | None, name: str) -> str:
    if found is None:
        raise InputError(f"no reviewer named '{name}'", field="name", hint="see `evalharness reviewers list`")
    return found


def set_password(store: Store, name: str, password: str) -> None:
    """Replace a password, lift every lock on the name, and end the account's open sessions."""
    _strong(password, name)
    _must_exist(sql.update(store, name_key(name), name_key, password_hash=hash_password(password)), name)


def set_role(store: Store, name: str, role: str) -> None:
    """Make an account a reviewer or an admin; its open sessions end (they sign in again with the new role)."""
    _must_exist(sql.update(store, name_key(name), name_key, role=_role(role)), name)


def remove_reviewer(store: Store, name: str) -> str:
    """Delete an account; its open sessions end at their next page or write. What it wrote stays."""
    return _must_exist(sql.remove(store, name_key(name), name_key), name)


def unlock(store: Store, name: str) -> int:
    """Lift every wrong-password lock on a name (from every source). Works for names without an account too."""
    return sql.unlock(store, name_key(name))


def get_account(store: Store, name: str) -> Account | None:
    row = sql.find(store, name_key(name), name_key)
    return _account(row) if row else None


def list_accounts(store: Store) -> list[Account]:
    return [_account(r) for r in sql.list_all(store, name_key)]


def lock_length(failed_attempts: int, settings: DashboardConfig) -> float:
    """Seconds to lock after this many consecutive wrong passwords (0 below the threshold)."""
    over = failed_attempts - settings.max_failed_attempts
    if over < 0:
        return 0.0
    return float(min(settings.lockout_seconds * 2 ** min(over, 30), settings.lockout_max_seconds))


def sign_in(
    store: Store, name: str, password: str, settings: DashboardConfig, *, source: str = "unknown"
) -> SignInResult:
    """Check a password. The attempt is counted first (atomically); the password is checked only when the
    name is not locked for this source and the source is within its budget — and then exactly once, against
    the account's hash or a stand-in, so every failure costs the same."""
    started = time.monotonic()
    key = name_key(name)
    attempt = sql.begin_attempt(
        store,
        key,
        source,
        name_key,
        lock_seconds=lambda failed: lock_length(failed, settings),
        source_max_attempts=settings.source_max_attempts,
        source_window_seconds=settings.source_window_seconds,
    )
    right = verify_password(password, attempt.password_hash if attempt.check else None)
    if right and attempt.check and attempt.name is not None and attempt.role is not None:
        sql.attempt_succeeded(store, key, source)
        return SignInResult(
            Account(name=attempt.name, role=attempt.role, session_version=attempt.session_version),
            f"Signed in as {attempt.name}.",
        )
    time.sleep(max(0.0, FAILED_SIGN_IN_SECONDS - (time.monotonic() - started)))
    return SignInResult(None, FAILED_MESSAGE)


def check_session(store: Store, account: Account) -> Account | None:
    """The signed-in account as it is now; None when it was removed, its role changed or its password was
    reset since the session began (the person signs in again)."""
    now = sql.session_account(store, account.name)
    if now is None or now[1] != account.role or now[2] != account.session_version:
        return None
    return account


def require_role(store: Store, name: str, role: str) -> Account:
    """Re-read the account from the database before a write, so a removed or demoted account cannot write."""
    account = get_account(store, name)
    if account is None:
        raise PermissionDenied(f"no reviewer account named '{name}'; sign in again")
    if role == "admin" and not account.is_admin:
        raise PermissionDenied(f"'{account.name}' is a reviewer; only an admin can do this")
    return account
