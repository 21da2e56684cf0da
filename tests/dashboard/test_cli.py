"""`evalharness reviewers …` and `evalharness corrections …` (the dashboard command is run by the browser test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evalharness.cli import app
from evalharness.community import reviews
from evalharness.community.accounts import PermissionDenied
from evalharness.store import Store
from evalharness.suites import load_suite

from . import demo_db
from .conftest import ROOT

runner = CliRunner()


def test_reviewers_add_prompts_twice_and_hashes(db: Path) -> None:
    result = runner.invoke(app, ["reviewers", "add", "Lucy Twoyoungmen", "--role", "admin", "--db", str(db)],
                           input="a long îyethka password\na long îyethka password\n")
    assert result.exit_code == 0, result.output
    assert "added admin 'Lucy Twoyoungmen'" in result.output
    listed = runner.invoke(app, ["reviewers", "list", "--json", "--db", str(db)])
    rows = {r["name"]: r for r in json.loads(listed.output)}
    assert rows["Lucy Twoyoungmen"]["role"] == "admin" and "password_hash" not in rows["Lucy Twoyoungmen"]
    stored = Store(db).query("SELECT password_hash FROM reviewers WHERE name = 'Lucy Twoyoungmen'")[0][0]
    assert stored.startswith("scrypt$n=16384,r=8,p=1$") and "password" not in stored


def test_reviewers_add_refuses_weak_passwords_and_bad_roles(db: Path) -> None:
    weak = runner.invoke(app, ["reviewers", "add", "X", "--password-stdin", "--db", str(db)], input="short\n")
    assert weak.exit_code == 2 and "error:" in weak.output
    role = runner.invoke(app, ["reviewers", "add", "X", "--role", "owner", "--password-stdin", "--db", str(db)],
                         input="a long îyethka password\n")
    assert role.exit_code == 2 and "--role" in role.output
    assert Store(db).query("SELECT count(*) FROM reviewers WHERE name = 'X'")[0][0] == 0


def test_reviewers_password_resets_a_locked_account(db: Path) -> None:
    from evalharness.community.accounts import get_account, name_key

    with Store(db).transaction() as con:
        con.execute("INSERT INTO sign_in_failures (name_key, source, failed_attempts, locked_until) "
                    "VALUES (?, '198.51.100.7', 9, '2999-01-01')", [name_key(demo_db.REVIEWER)])
    assert get_account(Store(db), demo_db.REVIEWER).locked_until is not None
    result = runner.invoke(app, ["reviewers", "password", demo_db.REVIEWER, "--password-stdin", "--db", str(db)],
                           input="a fresh îyethka password\n")
    assert result.exit_code == 0, result.output
    account = get_account(Store(db), demo_db.REVIEWER)
    assert account.failed_attempts == 0 and account.locked_until is None


def test_corrections_list_export_publish(db: Path, demo, tmp_path: Path) -> None:
    store = Store(db)
    target = reviews.target(store, demo.run_ids[("stoney-base", "stoney-narrative-mini")], "nc-02")
    saved = reviews.save_review(store, demo_db.REVIEWER, target, narrative="The word is îjadaṯẖe.")
    empty = runner.invoke(app, ["corrections", "export", "-o", str(tmp_path / "none.jsonl"), "--db", str(db)])
    assert empty.exit_code == 2 and not (tmp_path / "none.jsonl").exists()
    reviews.review_correction(store, demo_db.ADMIN, saved.correction_id, "accepted")

    listed = runner.invoke(app, ["corrections", "list", "--status", "accepted", "--json", "--db", str(db)])
    [row] = json.loads(listed.output)
    assert row["narrative"] == "The word is îjadaṯẖe." and row["reviewed_by"] == demo_db.ADMIN

    for fmt, key in (("triplets", "disallowed"), ("openai-chat", "messages"), ("preference", "chosen")):
        out = tmp_path / f"{fmt}.jsonl"
        result = runner.invoke(app, ["corrections", "export", "-f", fmt, "-o", str(out), "--db", str(db)])
        assert result.exit_code == 0, result.output
        assert key in json.loads(out.read_text(encoding="utf-8"))

    denied = runner.invoke(app, ["corrections", "publish", "--by", demo_db.REVIEWER, "-o", str(tmp_path / "s"),
                                 "--db", str(db)])
    assert denied.exit_code == PermissionDenied.exit_code and not (tmp_path / "s").exists()
    published = runner.invoke(app, ["corrections", "publish", "--by", demo_db.ADMIN, "-o", str(tmp_path / "s"),
                                    "--name", "stoney-narrative-corrections", "--json", "--db", str(db)])
    assert published.exit_code == 0, published.output
    info = json.loads(published.output)
    assert info["version"] == "1.0.0" and info["items"] == 1 and info["changed"]
    assert load_suite(tmp_path / "s").content_hash == info["content_hash"]


def test_errors_exit_with_the_documented_codes(db: Path) -> None:
    """Through the real entry point: a denied publish is exit code 2 with a readable message."""
    result = subprocess.run([sys.executable, "-m", "evalharness", "corrections", "publish", "--by", "nobody",
                             "--db", str(db)], capture_output=True, text=True, cwd=ROOT, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 2 and "no reviewer account named 'nobody'" in result.stderr


@pytest.mark.parametrize("args", [["reviewers", "--help"], ["corrections", "--help"], ["dashboard", "--help"]])
def test_commands_are_registered(args: list[str]) -> None:
    assert runner.invoke(app, args).exit_code == 0
