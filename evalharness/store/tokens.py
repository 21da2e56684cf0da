"""Staying signed in: tables `sign_in_tokens` and `dashboard_secrets` (migration 0072).

The browser holds a signed token; this table holds one row per token, so that signing out, the idle timeout
and the expiry end it whatever the browser still has, and an account change (its session_version) ends it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from . import Store


@dataclass(frozen=True)
class TokenRow:
    token_id: str
    name: str
    session_version: int
    issued_at: datetime
    expires_at: datetime
    last_seen: datetime
    revoked_at: datetime | None
    now: datetime  # the database's time when the row was read


def signing_secret(store: Store, name: str = "sign_in_tokens") -> str:
    """The key tokens are signed with: made once, on first use, by whichever process gets there first."""
    with store.transaction() as con:
        con.execute(
            "INSERT INTO dashboard_secrets (name, secret) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [name, secrets.token_hex(32)],
        )
        row = con.execute("SELECT secret FROM dashboard_secrets WHERE name = ?", [name]).fetchall()
    return str(row[0][0])


def issue(store: Store, *, token_id: str, name: str, session_version: int, lifetime_seconds: float) -> datetime:
    """Record a new token; returns its expiry (database time). Tokens long expired are cleared on the way."""
    with store.transaction() as con:
        con.execute("DELETE FROM sign_in_tokens WHERE expires_at < current_timestamp::TIMESTAMP - INTERVAL '1 day'")
        con.execute(
            "INSERT INTO sign_in_tokens (token_id, name, session_version, expires_at) VALUES "
            "(?, ?, ?, current_timestamp::TIMESTAMP + ? * INTERVAL '1 second')",
            [token_id, name, session_version, int(round(lifetime_seconds))],
        )
        row = con.execute("SELECT expires_at FROM sign_in_tokens WHERE token_id = ?", [token_id]).fetchall()
    return row[0][0]


def find(store: Store, token_id: str) -> TokenRow | None:
    rows = store.query(
        "SELECT token_id, name, session_version, issued_at, expires_at, last_seen, revoked_at, "
        "current_timestamp::TIMESTAMP FROM sign_in_tokens WHERE token_id = ?",
        [token_id],
    )
    if not rows:
        return None
    r = rows[0]
    return TokenRow(r[0], r[1], int(r[2]), r[3], r[4], r[5], r[6], r[7])


def touch(store: Store, token_id: str) -> None:
    """The token's session showed a page: its idle clock starts again."""
    with store.transaction() as con:
        con.execute(
            "UPDATE sign_in_tokens SET last_seen = current_timestamp::TIMESTAMP WHERE token_id = ? "
            "AND revoked_at IS NULL",
            [token_id],
        )


def revoke(store: Store, token_id: str) -> None:
    with store.transaction() as con:
        con.execute(
            "UPDATE sign_in_tokens SET revoked_at = current_timestamp::TIMESTAMP WHERE token_id = ? "
            "AND revoked_at IS NULL",
            [token_id],
        )


def revoke_all(store: Store, name: str) -> int:
    """End every token of one account (e.g. "sign out everywhere")."""
    with store.transaction() as con:
        rows = con.execute(
            "SELECT token_id FROM sign_in_tokens WHERE name = ? AND revoked_at IS NULL", [name]
        ).fetchall()
        con.execute(
            "UPDATE sign_in_tokens SET revoked_at = current_timestamp::TIMESTAMP WHERE name = ? AND revoked_at IS NULL",
            [name],
        )
    return len(rows)
