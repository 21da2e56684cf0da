"""A real process kill part-way through a run loses nothing finished; the re-run completes identically."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evalharness.store import Store
from evalharness.suites import load_suite, make_suite, save_suite

pytestmark = pytest.mark.slow

N_ITEMS = 48
CONFIG = '[run]\nbatch_size = 4\n[metrics]\nenabled = ["chrf++", "exact_match", "bits_per_char"]\nrequired = ["chrf++"]\n'


def _command(repo: Path, suite: Path, config: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "evalharness", "run", "-c", str(repo / "checkpoints" / "stoney-base.toml"),
            "-s", str(suite), "--config", str(config), "--db", str(db), "--json"]


def _scores(db: Path) -> list[tuple]:
    return Store(db).query("SELECT s.item_id, s.metric, s.status, round(s.score, 9) FROM item_scores s "
                           "ORDER BY s.item_id, s.metric")


def test_killed_run_resumes_to_the_same_result(repo_root: Path, tmp_path: Path) -> None:
    full = load_suite(repo_root / "suites" / "stoney-dictionary-qa")
    suite_dir = save_suite(make_suite(full.meta.model_copy(update={"name": "kill-test"}), full.items[:N_ITEMS]),
                           tmp_path / "kill-test")
    config = tmp_path / "c.toml"
    config.write_text(CONFIG)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.pop("EVALHARNESS_DB", None)

    killed_db = tmp_path / "killed.duckdb"
    proc = subprocess.Popen(_command(repo_root, suite_dir, config, killed_db), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = Store(killed_db)
    done_before_kill = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if killed_db.exists():
            try:
                done_before_kill = store.query("SELECT count(*) FROM generations")[0][0]
            except Exception:  # the file may be mid-creation; the next poll will see it
                done_before_kill = 0
        if done_before_kill >= 8:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed part-way"
    kept = store.query("SELECT count(*) FROM generations")[0][0]
    assert 8 <= kept < N_ITEMS
    assert store.query("SELECT status FROM runs") == [("running",)]

    resumed = subprocess.run(_command(repo_root, suite_dir, config, killed_db), env=env, capture_output=True,
                             text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    clean_db = tmp_path / "clean.duckdb"
    clean = subprocess.run(_command(repo_root, suite_dir, config, clean_db), env=env, capture_output=True, text=True,
                           timeout=600)
    assert clean.returncode == 0, clean.stderr

    assert store.query("SELECT count(*), min(status) FROM runs") == [(1, "complete")]
    assert store.query("SELECT count(*) FROM generations") == [(N_ITEMS,)]
    assert store.query("SELECT count(*), count(DISTINCT item_id) FROM run_items") == [(N_ITEMS, N_ITEMS)]
    assert _scores(killed_db) == _scores(clean_db)
