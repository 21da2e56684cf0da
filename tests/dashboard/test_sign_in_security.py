"""Sign-in under attack: parallel guesses, uniform failures, names and passwords in Unicode, per-source locks,
and sessions that end when their account changes."""

from __future__ import annotations

import threading
import unicodedata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evalharness.cli import app as cli
from evalharness.community import accounts, reviews
from evalharness.community.accounts import PermissionDenied
from evalharness.config import DashboardConfig
from evalharness.errors import InputError
from evalharness.store import Store

from . import demo_db
from .conftest import goto, sign_in, texts

GOOD = "îyethka wîcha broom 7"
SETTINGS = DashboardConfig(max_failed_attempts=5, lockout_seconds=60, lockout_max_seconds=3600)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "accounts.duckdb")
    accounts.add_reviewer(store, "Elder Admin", "admin", GOOD)
    return store


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Every password check sign_in makes, with the hash it checked against (None: a stand-in)."""
    seen: list[str | None] = []
    real = accounts.verify_password

    def spy(password: str, stored: str | None) -> bool:
        seen.append(stored)
        return real(password, stored)

    monkeypatch.setattr(accounts, "verify_password", spy)
    monkeypatch.setattr(accounts, "FAILED_SIGN_IN_SECONDS", 0.0)  # the floor is measured, not tested
    return seen


def _parallel(n: int, fn) -> list:
    barrier, results = threading.Barrier(n), [None] * n

    def run(i: int) -> None:
        barrier.wait()
        results[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_parallel_guesses_get_no_more_checks_than_the_limit(store: Store, checks: list) -> None:
    results = _parallel(40, lambda i: accounts.sign_in(store, "Elder Admin", f"guess number {i}", SETTINGS,
                                                       source="203.0.113.9"))
    assert all(r.account is None for r in results)
    assert sum(stored is not None for stored in checks) == SETTINGS.max_failed_attempts  # 5 real checks, not 40
    assert accounts.get_account(store, "Elder Admin").failed_attempts == SETTINGS.max_failed_attempts
    # … and the right password from the same source is now refused unchecked.
    assert accounts.sign_in(store, "Elder Admin", GOOD, SETTINGS, source="203.0.113.9").account is None


def test_a_stranger_cannot_lock_an_admin_out(store: Store) -> None:
    for i in range(8):
        accounts.sign_in(store, "Elder Admin", f"wrong {i}", SETTINGS, source="198.51.100.7")
    assert accounts.sign_in(store, "Elder Admin", GOOD, SETTINGS, source="198.51.100.7").account is None
    # The admin, elsewhere, signs in; and the operator can lift the attacker's lock as well.
    assert accounts.sign_in(store, "Elder Admin", GOOD, SETTINGS, source="192.0.2.44").account is not None
    result = CliRunner().invoke(cli, ["reviewers", "unlock", "elder admin", "--db", str(store.path)])
    assert result.exit_code == 0, result.output
    assert accounts.sign_in(store, "Elder Admin", GOOD, SETTINGS, source="198.51.100.7").account is not None


def test_a_source_has_a_budget_of_attempts_whatever_the_names(store: Store) -> None:
    settings = DashboardConfig(source_max_attempts=6, source_window_seconds=600)
    for i in range(6):
        accounts.sign_in(store, f"name {i}", "whatever it is", settings, source="203.0.113.50")
    assert accounts.sign_in(store, "Elder Admin", GOOD, settings, source="203.0.113.50").account is None
    assert accounts.sign_in(store, "Elder Admin", GOOD, settings, source="192.0.2.1").account is not None


def test_every_failed_sign_in_says_and_does_the_same(store: Store, checks: list, monkeypatch) -> None:
    """Unknown name, wrong password, locked name: one message, one password hash, the same transactions —
    so the answer and its timing do not tell them apart (the timing itself is measured in benchmarks/)."""
    transactions: list[int] = [0]
    real = Store.transaction

    def counting(self):
        transactions[-1] += 1
        return real(self)

    monkeypatch.setattr(Store, "transaction", counting)
    settings = DashboardConfig(max_failed_attempts=2)
    accounts.sign_in(store, "Elder Admin", "wrong one", settings)
    accounts.sign_in(store, "Elder Admin", "wrong two", settings)  # now locked for this source
    outcomes = {}
    for case, name, password in (("unknown", "Nobody Here", "a guess"), ("wrong", "Someone Else", "x"),
                                 ("locked", "Elder Admin", GOOD)):
        if case == "wrong":
            accounts.add_reviewer(store, "Someone Else", "reviewer", GOOD)
        checks.clear()
        transactions.append(0)
        result = accounts.sign_in(store, name, password, settings)
        outcomes[case] = (result.account, result.message, len(checks), transactions[-1])
    assert outcomes["unknown"] == outcomes["wrong"] == outcomes["locked"] == \
        (None, accounts.FAILED_MESSAGE, 1, 1)


def test_names_are_one_person_after_nfc_case_and_spaces(store: Store) -> None:
    decomposed = unicodedata.normalize("NFD", "ÎJADAṮẖE  Wesley")
    accounts.add_reviewer(store, "îjadaṯẖe Wesley", "reviewer", GOOD)
    with pytest.raises(InputError, match="already exists"):
        accounts.add_reviewer(store, decomposed, "reviewer", GOOD)
    signed = accounts.sign_in(store, "  " + decomposed.lower() + " ", GOOD, SETTINGS)
    assert signed.account is not None and signed.account.name == "îjadaṯẖe Wesley"


def test_a_stoney_password_typed_decomposed_signs_in(store: Store) -> None:
    composed = "mâkoce îyethka wîcha 2026"
    accounts.add_reviewer(store, "Lucy", "reviewer", composed)
    typed = unicodedata.normalize("NFD", composed)
    assert typed != composed
    assert accounts.sign_in(store, "Lucy", typed, SETTINGS).account is not None


@pytest.mark.parametrize("password, why", [
    ("short words", "at least 12"),
    ("123qweasdzxc", "most common passwords"),   # 12 characters, and on the common-password list
    ("passwordpassword", "too easy to guess"),
    ("Elder Admin 1", "too easy to guess"),       # the name itself
])
def test_weak_passwords_are_refused(store: Store, password: str, why: str) -> None:
    with pytest.raises(InputError, match=why):
        accounts.set_password(store, "Elder Admin", password)


# -- sessions -------------------------------------------------------------------------------------

@pytest.mark.parametrize("change", ["password", "role", "remove"])
def test_an_open_session_ends_when_its_account_changes(app, db: Path, demo, change: str) -> None:
    store = Store(db)
    at = app().run()
    sign_in(at, demo_db.ADMIN, demo_db.ADMIN_PASSWORD)
    goto(at, "corrections").run()
    assert [t.value for t in at.title] == ["Corrections"]
    session = at.session_state["account"]
    if change == "password":
        accounts.set_password(store, demo_db.ADMIN, "a brand new îyethka phrase")
    elif change == "role":
        accounts.set_role(store, demo_db.ADMIN, "reviewer")
    else:
        accounts.remove_reviewer(store, demo_db.ADMIN)
    # A write prepared by the old session is refused by the library itself …
    target = reviews.target(store, demo.run_ids[("stoney-base", "stoney-narrative-mini")], "nc-01")
    with pytest.raises(PermissionDenied):
        reviews.save_review(store, session.name, target, narrative="x", session_version=session.session_version)
    # … and the next page the browser asks for is drawn signed out.
    goto(at, "corrections").run()
    assert "account" not in at.session_state
    assert "Corrections" not in [t.value for t in at.title]
    assert "Please sign in again" in texts(at)


def test_an_idle_session_is_signed_out(app, config_file: Path) -> None:
    at = app().run()
    sign_in(at, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD)
    assert at.session_state["account"].name == demo_db.REVIEWER
    at.session_state["last_seen"] = at.session_state["last_seen"] - 31 * 60  # 30 minutes by default
    at.run()
    assert "account" not in at.session_state and "without activity" in texts(at)


def test_reviewers_role_and_remove_commands(store: Store) -> None:
    runner = CliRunner()
    accounts.add_reviewer(store, "Mary Wesley", "reviewer", GOOD)
    result = runner.invoke(cli, ["reviewers", "role", "mary wesley", "admin", "--db", str(store.path)])
    assert result.exit_code == 0, result.output
    assert accounts.get_account(store, "Mary Wesley").role == "admin"
    assert runner.invoke(cli, ["reviewers", "role", "Mary Wesley", "owner", "--db", str(store.path)]).exit_code == 2
    result = runner.invoke(cli, ["reviewers", "remove", "Mary Wesley", "--db", str(store.path)])
    assert result.exit_code == 0 and accounts.get_account(store, "Mary Wesley") is None
    assert runner.invoke(cli, ["reviewers", "remove", "Mary Wesley", "--db", str(store.path)]).exit_code == 2


def test_an_admin_unlocks_a_name_from_the_dashboard(app, db: Path) -> None:
    store = Store(db)
    for i in range(3):  # max_failed_attempts = 3 in the test config
        accounts.sign_in(store, demo_db.REVIEWER, f"wrong {i}", DashboardConfig(max_failed_attempts=3),
                         source="198.51.100.7")
    assert accounts.get_account(store, demo_db.REVIEWER).locked_until is not None
    reviewer = app().run()
    sign_in(reviewer, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD)
    goto(reviewer, "accounts").run()
    assert "Accounts" not in [t.value for t in reviewer.title]  # not a reviewer's page
    at = app().run()
    sign_in(at, demo_db.ADMIN, demo_db.ADMIN_PASSWORD)
    goto(at, "accounts").run()
    at.button(key=f"acct_unlock_{demo_db.REVIEWER}").click().run()
    assert not at.exception
    assert accounts.get_account(store, demo_db.REVIEWER).locked_until is None
