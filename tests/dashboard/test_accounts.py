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


GOOD = "îyethka wîcha broom 7"      # 12+ characters, not common, zxcvbn score ≥ 3
OTHER = "rhumnâ by the river 2026"
SETTINGS = DashboardConfig(max_failed_attempts=3, lockout_seconds=60, lockout_max_seconds=200)


def test_add_reviewer_checks_name_role_password_and_duplicates(store: Store) -> None:
    acct = accounts.add_reviewer(store, "Mary Wesley", "reviewer", GOOD)
    assert acct.role == "reviewer" and acct.created_at is not None
    stored = store.query("SELECT password_hash FROM reviewers")[0][0]
    assert stored.startswith("scrypt$") and "broom" not in stored
    with pytest.raises(InputError, match="already exists"):
        accounts.add_reviewer(store, "Mary Wesley", "admin", OTHER)
    with pytest.raises(InputError, match="role"):
        accounts.add_reviewer(store, "Someone", "owner", GOOD)
    with pytest.raises(InputError, match="too weak"):
        accounts.add_reviewer(store, "Someone", "reviewer", "short")
    with pytest.raises(InputError, match="name"):
        accounts.add_reviewer(store, "x" * 65, "reviewer", GOOD)
    assert [a.name for a in accounts.list_accounts(store)] == ["Mary Wesley"]


def _expire_lock(store: Store, name: str) -> None:
    """Move the lock into the past instead of sleeping through it."""
    with store.transaction() as con:
        con.execute("UPDATE sign_in_failures SET locked_until = current_timestamp::TIMESTAMP - INTERVAL '1 second' "
                    "WHERE name_key = ?", [accounts.name_key(name)])


def _lock_seconds(store: Store, name: str, source: str = "unknown") -> float:
    return float(store.query("SELECT extract(epoch FROM locked_until) - extract(epoch FROM current_timestamp::TIMESTAMP) "
                             "FROM sign_in_failures WHERE name_key = ? AND source = ?",
                             [accounts.name_key(name), source])[0][0])


def test_sign_in_counts_failures_locks_and_doubles_the_lock(store: Store) -> None:
    accounts.add_reviewer(store, demo_db.REVIEWER, "reviewer", demo_db.REVIEWER_PASSWORD)

    ok = accounts.sign_in(store, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD, SETTINGS)
    assert ok.account is not None and ok.account.name == demo_db.REVIEWER and ok.account.role == "reviewer"

    for attempt in (1, 2, 3):
        result = accounts.sign_in(store, demo_db.REVIEWER, "wrong", SETTINGS)
        assert result.account is None and result.message == accounts.FAILED_MESSAGE
        assert accounts.get_account(store, demo_db.REVIEWER).failed_attempts == attempt
    assert 55 <= _lock_seconds(store, demo_db.REVIEWER) <= 60

    # While locked even the right password is refused (without being checked), and nothing more is counted.
    refused = accounts.sign_in(store, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD, SETTINGS)
    assert refused.account is None and refused.message == accounts.FAILED_MESSAGE
    assert accounts.get_account(store, demo_db.REVIEWER).failed_attempts == 3

    _expire_lock(store, demo_db.REVIEWER)
    accounts.sign_in(store, demo_db.REVIEWER, "wrong again", SETTINGS)
    assert 115 <= _lock_seconds(store, demo_db.REVIEWER) <= 120  # doubled
    _expire_lock(store, demo_db.REVIEWER)
    accounts.sign_in(store, demo_db.REVIEWER, "wrong again", SETTINGS)
    assert 195 <= _lock_seconds(store, demo_db.REVIEWER) <= 200  # capped at the maximum

    _expire_lock(store, demo_db.REVIEWER)
    back = accounts.sign_in(store, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD, SETTINGS)
    assert back.account is not None
    acct = accounts.get_account(store, demo_db.REVIEWER)
    assert acct.failed_attempts == 0 and acct.locked_until is None


def test_set_password_lifts_the_lock(store: Store) -> None:
    accounts.add_reviewer(store, "Known", "reviewer", GOOD)
    settings = DashboardConfig(max_failed_attempts=1)
    accounts.sign_in(store, "Known", "bad", settings)
    assert accounts.get_account(store, "Known").locked_until is not None
    accounts.set_password(store, "Known", OTHER)
    assert accounts.sign_in(store, "Known", OTHER, settings).account is not None


def test_lock_length_grows_and_caps() -> None:
    s = DashboardConfig(max_failed_attempts=5, lockout_seconds=30, lockout_max_seconds=100)
    assert [accounts.lock_length(n, s) for n in (4, 5, 6, 7, 50)] == [0.0, 30.0, 60.0, 100.0, 100.0]
