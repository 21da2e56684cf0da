"""Staying signed in across reloads and new tabs: a signed, expiring token in a browser cookie.

Streamlit keeps a session only as long as one browser tab's connection: a reload or a new tab used to
sign the reviewer out. After signing in, the browser now keeps a token (cookie `evalharness_session`):

    base64url({"t": token id, "n": account name, "v": session version, "e": expiry}) . base64url(HMAC-SHA256)

signed with a key kept in the store (made on first use) or given in `EVALHARNESS_SESSION_SECRET`. A token is
honoured only when the signature is right, it has not expired (`[dashboard] stay_signed_in_hours`), its
row in the store says it was not signed out and was used within `idle_timeout_minutes`, and the account
still exists with the same session version (so a new password, a new role or a removal ends it) — and
then the session is re-checked against the account on every page and before every write, as any session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from ..store import Store
from ..store import tokens as sql
from .accounts import Account, get_account

COOKIE = "evalharness_session"
SECRET_VARIABLE = "EVALHARNESS_SESSION_SECRET"


@dataclass(frozen=True)
class Token:
    value: str  # what the browser keeps
    token_id: str
    expires_at: datetime  # database time (UTC)
    max_age_seconds: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(store: Store) -> bytes:
    given = os.environ.get(SECRET_VARIABLE, "")
    return (given or sql.signing_secret(store)).encode("utf-8")


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


def issue(store: Store, account: Account, *, hours: float) -> Token:
    """A token for a session that just signed in."""
    token_id = secrets.token_hex(16)
    seconds = int(hours * 3600)
    expires_at = sql.issue(
        store, token_id=token_id, name=account.name, session_version=account.session_version, lifetime_seconds=seconds
    )
    body = {"t": token_id, "n": account.name, "v": account.session_version, "e": int(time.time()) + seconds}
    payload = _b64(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return Token(f"{payload}.{_sign(_key(store), payload)}", token_id, expires_at, seconds)


def _claims(store: Store, value: str) -> dict | None:
    payload, _, signature = value.partition(".")
    if not payload or not signature or not hmac.compare_digest(_sign(_key(store), payload), signature):
        return None
    try:
        body = json.loads(_unb64(payload))
    except ValueError:
        return None
    if not isinstance(body, dict) or not {"t", "n", "v", "e"} <= set(body) or float(body["e"]) < time.time():
        return None
    return body


def verify(store: Store, value: str | None, *, idle_minutes: float) -> tuple[Account, str] | None:
    """The account a browser's token stands for, checked against the store now; None if it no longer does."""
    if not value:
        return None
    body = _claims(store, value)
    if body is None:
        return None
    row = sql.find(store, str(body["t"]))
    if row is None or row.revoked_at is not None or row.expires_at <= row.now:
        return None
    if (row.now - row.last_seen).total_seconds() > idle_minutes * 60:
        return None
    account = get_account(store, row.name)
    if account is None or row.name != body["n"] or account.session_version != row.session_version:
        return None
    if int(body["v"]) != account.session_version:
        return None
    sql.touch(store, row.token_id)
    return Account(account.name, account.role, session_version=account.session_version), row.token_id


def token_id_of(value: str | None) -> str | None:
    """The id inside a token (unverified: only used to end it)."""
    if not value:
        return None
    try:
        body = json.loads(_unb64(value.partition(".")[0]))
    except ValueError:
        return None
    return str(body.get("t")) if isinstance(body, dict) and body.get("t") else None


def touch(store: Store, token_id: str) -> None:
    sql.touch(store, token_id)


def revoke(store: Store, token_id: str) -> None:
    """Signing out: the token stops working, whatever the browser still holds."""
    sql.revoke(store, token_id)
