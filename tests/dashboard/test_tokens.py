"""Staying signed in: a signed, expiring token, honoured only while the account and the token's row agree."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from evalharness.community import accounts, tokens
from evalharness.store import Store

from . import demo_db

IDLE = 30.0


@pytest.fixture
def store(db: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.delenv(tokens.SECRET_VARIABLE, raising=False)
    return Store(db)


def _signed_in(store: Store) -> accounts.Account:
    result = accounts.sign_in(store, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD,
                              accounts.DashboardConfig(), source="test")
    assert result.account is not None
    return result.account


def test_a_token_signs_the_same_account_in_again(store: Store) -> None:
    who = _signed_in(store)
    token = tokens.issue(store, who, hours=12)
    found = tokens.verify(store, token.value, idle_minutes=IDLE)
    assert found is not None and found[0].name == demo_db.REVIEWER and found[0].role == "reviewer"
    assert found[1] == token.token_id and token.max_age_seconds == 12 * 3600


def test_a_forged_or_altered_token_is_refused(store: Store) -> None:
    token = tokens.issue(store, _signed_in(store), hours=12)
    payload, signature = token.value.split(".")
    assert tokens.verify(store, payload + "." + signature[:-2] + "AA", idle_minutes=IDLE) is None
    # the same claims signed with another key (someone who does not hold the store's secret)
    import base64
    import hashlib
    import hmac

    forged = base64.urlsafe_b64encode(hmac.new(b"guess", payload.encode(), hashlib.sha256).digest()).rstrip(b"=")
    assert tokens.verify(store, payload + "." + forged.decode(), idle_minutes=IDLE) is None
    assert tokens.verify(store, "not-a-token", idle_minutes=IDLE) is None
    assert tokens.verify(store, "", idle_minutes=IDLE) is None
    assert tokens.verify(store, token.value, idle_minutes=IDLE) is not None


def test_expired_idle_and_signed_out_tokens_are_refused(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    who = _signed_in(store)
    token = tokens.issue(store, who, hours=1)
    real = time.time
    monkeypatch.setattr(tokens.time, "time", lambda: real() + 2 * 3600)  # two hours later, by the token's clock
    assert tokens.verify(store, token.value, idle_minutes=24 * 60) is None
    monkeypatch.setattr(tokens.time, "time", real)
    idle = tokens.issue(store, who, hours=12)
    with store.transaction() as con:
        con.execute("UPDATE sign_in_tokens SET last_seen = current_timestamp::TIMESTAMP - INTERVAL '2 hours' "
                    "WHERE token_id = ?", [idle.token_id])
    assert tokens.verify(store, idle.value, idle_minutes=IDLE) is None  # unused for longer than the idle limit
    out = tokens.issue(store, who, hours=12)
    tokens.revoke(store, out.token_id)
    assert tokens.verify(store, out.value, idle_minutes=IDLE) is None


def test_an_account_change_ends_its_tokens(store: Store) -> None:
    token = tokens.issue(store, _signed_in(store), hours=12)
    accounts.set_password(store, demo_db.REVIEWER, "a-brand-new-password-îjadaṯẖe")
    assert tokens.verify(store, token.value, idle_minutes=IDLE) is None
    fresh = tokens.issue(store, accounts.get_account(store, demo_db.REVIEWER), hours=12)
    accounts.set_role(store, demo_db.REVIEWER, "admin")
    assert tokens.verify(store, fresh.value, idle_minutes=IDLE) is None
    again = tokens.issue(store, accounts.get_account(store, demo_db.REVIEWER), hours=12)
    accounts.remove_reviewer(store, demo_db.REVIEWER)
    assert tokens.verify(store, again.value, idle_minutes=IDLE) is None


def test_the_signing_key_can_come_from_the_environment(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    token = tokens.issue(store, _signed_in(store), hours=12)
    monkeypatch.setenv(tokens.SECRET_VARIABLE, "another-key-entirely")
    assert tokens.verify(store, token.value, idle_minutes=IDLE) is None  # signed with the store's key
    again = tokens.issue(store, accounts.get_account(store, demo_db.REVIEWER), hours=12)
    assert tokens.verify(store, again.value, idle_minutes=IDLE) is not None
