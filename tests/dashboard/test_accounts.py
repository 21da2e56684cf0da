"""Accounts: scrypt hashes with their own parameters and salt, sign-in, and the growing lockout."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from evalharness.community import accounts
from evalharness.community.passwords import hash_password, parse_hash, verify_password
from evalharness.config import DashboardConfig
from evalharness.errors import InputError
from evalharness.store import Store

from . import demo_db


def test_hash_carries_parameters_and_salt_and_matches_hashlib_scrypt() -> None:
    stored = hash_password("hûji ethen, slowly")
    scheme, params, salt, key = stored.split("$")
    assert scheme == "scrypt" and params == "n=16384,r=8,p=1"
    expected = hashlib.scrypt("hûji ethen, slowly".encode(), salt=base64.b64decode(salt), n=16384, r=8, p=1,
                              maxmem=64 * 1024 * 1024, dklen=32)
    assert base64.b64decode(key) == expected
    assert verify_password("hûji ethen, slowly", stored)
    assert not verify_password("huji ethen, slowly", stored)  # a diacritic is part of the password


def test_same_password_gets_a_different_salt_each_time() -> None:
    a, b = hash_password("same password"), hash_password("same password")
    assert a != b and parse_hash(a)[1] != parse_hash(b)[1]


def test_old_parameters_keep_verifying() -> None:
    from evalharness.community.passwords import ScryptParams

    cheap = hash_password("legacy-pass", ScryptParams(2**10, 8, 1))
    assert "n=1024" in cheap and verify_password("legacy-pass", cheap)


def test_garbage_hash_never_verifies() -> None:
    assert not verify_password("x", "md5$abc")
    assert not verify_password("x", "not a hash")


def test_add_reviewer_checks_name_role_password_and_duplicates(store: Store) -> None:
    acct = accounts.add_reviewer(store, "Mary Wesley", "reviewer", "long enough 1")
    assert acct.role == "reviewer" and acct.created_at is not None
    stored = store.query("SELECT password_hash FROM reviewers")[0][0]
    assert stored.startswith("scrypt$") and "long enough" not in stored
    with pytest.raises(InputError, match="already exists"):
        accounts.add_reviewer(store, "Mary Wesley", "admin", "another pass 2")
    with pytest.raises(InputError, match="role"):
        accounts.add_reviewer(store, "Someone", "owner", "long enough 1")
    with pytest.raises(InputError, match="too weak"):
        accounts.add_reviewer(store, "Someone", "reviewer", "short")
    with pytest.raises(InputError, match="name"):
        accounts.add_reviewer(store, "two\nlines", "reviewer", "long enough 1")
    assert [a.name for a in accounts.list_accounts(store)] == ["Mary Wesley"]


def _expire_lock(store: Store, name: str) -> None:
    """Move the lock into the past instead of sleeping through it."""
    with store.transaction() as con:
        con.execute("UPDATE reviewers SET locked_until = current_timestamp::TIMESTAMP - INTERVAL '1 second' "
                    "WHERE name = ?", [name])


def _lock_seconds(store: Store, name: str) -> float:
    return store.query("SELECT locked_until - current_timestamp::TIMESTAMP FROM reviewers "
                       "WHERE name = ?", [name])[0][0].total_seconds()


def test_sign_in_counts_failures_locks_and_doubles_the_lock(store: Store) -> None:
    accounts.add_reviewer(store, demo_db.REVIEWER, "reviewer", demo_db.REVIEWER_PASSWORD)
    settings = DashboardConfig(max_failed_attempts=3, lockout_seconds=60, lockout_max_seconds=200)

    ok = accounts.sign_in(store, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD, settings)
    assert ok.account is not None and ok.account.name == demo_db.REVIEWER and ok.account.role == "reviewer"

    for attempt in (1, 2):
        result = accounts.sign_in(store, demo_db.REVIEWER, "wrong", settings)
        assert result.account is None and result.locked_until is None
        assert accounts.get_account(store, demo_db.REVIEWER).failed_attempts == attempt
    third = accounts.sign_in(store, demo_db.REVIEWER, "wrong", settings)
    assert third.locked_until is not None and "locked" in third.message
    assert 55 <= _lock_seconds(store, demo_db.REVIEWER) <= 60

    # While locked even the right password is refused, and nothing is counted.
    refused = accounts.sign_in(store, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD, settings)
    assert refused.account is None and "locked" in refused.message
    assert accounts.get_account(store, demo_db.REVIEWER).failed_attempts == 3

    _expire_lock(store, demo_db.REVIEWER)
    accounts.sign_in(store, demo_db.REVIEWER, "wrong again", settings)
    assert 115 <= _lock_seconds(store, demo_db.REVIEWER) <= 120  # doubled
    _expire_lock(store, demo_db.REVIEWER)
    accounts.sign_in(store, demo_db.REVIEWER, "wrong again", settings)
    assert 195 <= _lock_seconds(store, demo_db.REVIEWER) <= 200  # capped at the maximum

    _expire_lock(store, demo_db.REVIEWER)
    back = accounts.sign_in(store, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD, settings)
    assert back.account is not None
    acct = accounts.get_account(store, demo_db.REVIEWER)
    assert acct.failed_attempts == 0 and acct.locked_until is None


def test_unknown_name_and_wrong_password_get_the_same_message(store: Store) -> None:
    accounts.add_reviewer(store, "Known", "reviewer", "a good password")
    settings = DashboardConfig()
    assert accounts.sign_in(store, "Unknown", "x", settings).message == \
        accounts.sign_in(store, "Known", "x", settings).message


def test_set_password_lifts_the_lock(store: Store) -> None:
    accounts.add_reviewer(store, "Known", "reviewer", "a good password")
    settings = DashboardConfig(max_failed_attempts=1)
    assert accounts.sign_in(store, "Known", "bad", settings).locked_until is not None
    accounts.set_password(store, "Known", "a new password")
    assert accounts.sign_in(store, "Known", "a new password", settings).account is not None


def test_lock_length_grows_and_caps() -> None:
    s = DashboardConfig(max_failed_attempts=5, lockout_seconds=30, lockout_max_seconds=100)
    assert [accounts.lock_length(n, s) for n in (4, 5, 6, 7, 50)] == [0.0, 30.0, 60.0, 100.0, 100.0]
