"""The store: forward migrations, all-or-nothing transactions, and sharing the file between processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from evalharness.store import Store
from evalharness.store.migrations import apply_migrations, schema_version


def test_migrations_apply_once_and_in_order(tmp_path: Path) -> None:
    store = Store(tmp_path / "m.duckdb")
    with store.connect() as con:
        version = schema_version(con)
        assert version >= 1
        assert apply_migrations(con) == []  # already applied: nothing happens twice
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"runs", "generations", "item_scores", "run_metrics", "decisions", "corrections"} <= tables


def test_an_old_database_migrates_forward(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                "applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)")
    con.close()
    with Store(path).connect() as con:  # an empty, version-0 file gets every migration
        assert schema_version(con) >= 1
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (0,)


def test_transaction_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError):
        with store.transaction() as con:
            con.execute("INSERT INTO ratings (rating_id, item_id, candidate_text, rater) VALUES ('r1', 'i', 't', 'x')")
            raise RuntimeError("crash mid-write")
    assert store.query("SELECT count(*) FROM ratings") == [(0,)]


WRITER = textwrap.dedent("""
    import sys, time
    from evalharness.store import Store
    store = Store(sys.argv[1])
    for i in range(int(sys.argv[3])):
        with store.transaction() as con:
            con.execute("INSERT INTO ratings (rating_id, item_id, candidate_text, rater) VALUES (?, 'i', 't', ?)",
                        [f"{sys.argv[2]}-{i}", sys.argv[2]])
            time.sleep(0.005)  # hold the lock a little, as a real write does
""")


def test_two_processes_share_the_file_without_losing_a_write(tmp_path: Path) -> None:
    path = tmp_path / "shared.duckdb"
    Store(path).query("SELECT 1")  # create and migrate once
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, "40"], stderr=subprocess.PIPE, text=True)
             for name in ("a", "b")]
    reader = Store(path)
    seen = 0
    while any(p.poll() is None for p in procs):
        seen = max(seen, reader.query("SELECT count(*) FROM ratings")[0][0])  # reads between the writes
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read()
    assert reader.query("SELECT rater, count(*) FROM ratings GROUP BY rater ORDER BY rater") == [("a", 40), ("b", 40)]


def test_stores_on_one_file_share_one_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two `Store`s on one file (another spelling of its path included) wait for each other in one process."""
    import threading

    monkeypatch.chdir(tmp_path)
    (tmp_path / "link").symlink_to(tmp_path)
    first, second = Store(tmp_path / "one.duckdb"), Store(Path("link") / "one.duckdb")
    other = Store(tmp_path / "two.duckdb")
    assert first._thread_lock is second._thread_lock and first._thread_lock is not other._thread_lock
    entered = threading.Event()

    def use_second() -> None:
        with second.connect():
            entered.set()

    with first.connect():
        thread = threading.Thread(target=use_second)
        thread.start()
        assert not entered.wait(0.3)  # held out while the first Store works on the file
    thread.join(timeout=60)
    assert entered.is_set()
