"""The PostgreSQL half of the store tests: skipped with a reason locally without a server, a failure under CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

USES_THE_STORE = '''
def test_uses_the_store(store):
    assert store.query("SELECT 1") == [(1,)]
'''


def _pytest_without_postgres(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess[str]:
    """The project's conftest and one store test, on a machine where no PostgreSQL programs are found."""
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_one.py").write_text(USES_THE_STORE)
    empty = tmp_path / "no-postgres"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "EVALHARNESS_TEST_PG")}
    env["EVALHARNESS_PG_BINDIR"] = str(empty)
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(tmp_path / "test_one.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )


def test_without_postgres_the_server_half_skips_saying_how_to_run_it(tmp_path: Path) -> None:
    done = _pytest_without_postgres(tmp_path, ci=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 1 skipped" in done.stdout
    assert "PostgreSQL half skipped" in done.stdout and "apt-get install postgresql" in done.stdout


def test_under_ci_a_missing_postgres_fails_the_run(tmp_path: Path) -> None:
    done = _pytest_without_postgres(tmp_path, ci=True)
    assert done.returncode != 0, done.stdout
    assert "PostgreSQL is required under CI=true" in done.stdout
    assert "1 passed" in done.stdout and "skipped" not in done.stdout
