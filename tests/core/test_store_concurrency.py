"""Many writers at once, on both engines: migrations started together, the same run started twice, reviewer
saves from several processes while a run writes, and a champion moved while a gate compared."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from evalharness.store import Store
from evalharness.store import reviews as review_rows
from evalharness.store import runs as run_rows
from evalharness.store.migrations import _migration_files

from .conftest import write_replay, write_suite

pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _go_when(flag: Path) -> str:
    """Python that waits for `flag` to exist: processes started one by one then begin their work together."""
    return f"import os, time\nwhile not os.path.exists({str(flag)!r}): time.sleep(0.005)\n"


def _wait_all(procs: list[subprocess.Popen], timeout: float = 300) -> list[str]:
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=timeout)
        assert p.returncode == 0, err[-3000:]
        outs.append(out)
    return outs


def test_processes_starting_together_apply_each_migration_once(store_url: str, tmp_path: Path) -> None:
    flag = tmp_path / "go"
    code = _go_when(flag) + textwrap.dedent("""
        import sys
        from evalharness.store import Store
        print(Store(sys.argv[1]).query("SELECT count(*) FROM runs")[0][0])
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code, store_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=_env()) for _ in range(4)]
    time.sleep(0.5)
    flag.touch()
    assert [o.strip() for o in _wait_all(procs)] == ["0"] * 4
    versions = Store(store_url).query("SELECT version FROM schema_migrations ORDER BY version")
    assert [v for (v,) in versions] == [n for n, _, _ in _migration_files()]


def _items(n: int) -> list[dict]:
    return [{"id": f"i{k:04d}", "prompt": f"What is word {k}?", "reference": f"Word {k} means thing {k}.",
             "direction": "sto-en"} for k in range(n)]


def test_two_identical_runs_started_together_make_one_run(store_url: str, tmp_path: Path) -> None:
    items = _items(300)
    suite = write_suite(tmp_path / "suites" / "twice", items, name="twice")
    manifest = write_replay(tmp_path / "ck", {i["id"]: i["reference"] for i in items})
    config = tmp_path / "c.toml"
    config.write_text('[metrics]\nenabled = ["chrf++", "exact_match"]\nrequired = ["chrf++"]\n')
    flag = tmp_path / "go"
    code = _go_when(flag) + textwrap.dedent("""
        import sys
        from evalharness.cli import main
        sys.argv = ["evalharness", *sys.argv[1:]]
        main()
    """)
    args = ["run", "-c", str(manifest), "-s", str(suite), "--config", str(config), "--db", store_url, "--json"]
    procs = [subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=_env()) for _ in range(2)]
    time.sleep(0.5)
    flag.touch()
    results = [json.loads(out)["runs"][0] for out in _wait_all(procs)]
    store = Store(store_url)
    assert len(run_rows.list_runs(store)) == 1 and results[0]["run_id"] == results[1]["run_id"]
    # one process generated every item; the other waited and reused that run
    assert sorted(r["generated"] for r in results) == [0, len(items)]
    assert store.query("SELECT count(*) FROM generations")[0][0] == len(items)
    assert store.query("SELECT count(*) FROM run_claims")[0][0] == 0  # both claims released


SAVER = textwrap.dedent("""
    import json, sys, threading
    from evalharness.community import reviews
    from evalharness.errors import StoreError
    from evalharness.store import Store
    url, run_id, reviewer, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    # as the dashboard does: one Store for reads, another for writes, used by two threads at once
    reads, writes = Store(url, lock_timeout_s=15), Store(url, lock_timeout_s=120)
    stop = threading.Event()
    def keep_reading():
        while not stop.is_set():
            try:
                reviews.review_queue(reads, run_id, reviewer, limit=20)
            except StoreError:  # a read that waited too long for the file: the page says "busy" and goes on
                pass
    reader = threading.Thread(target=keep_reading)
    reader.start()
    items = [r[0] for r in writes.query("SELECT item_id FROM run_items WHERE run_id = ? AND status = 'ok' "
                                       "ORDER BY item_id", [run_id])]
    try:
        for k in range(n):
            target = reviews.target(writes, run_id, items[k % len(items)])
            saved = reviews.save_review(writes, reviewer, target, verdict="wrong", cas_rating=1 + k % 5,
                                        narrative=f"correction {k} by {reviewer}")
            print(json.dumps([saved.rating_id, saved.correction_id]), flush=True)
    finally:
        stop.set()
        reader.join()
""")


def test_every_reported_save_is_in_the_store(store_url: str, tmp_path: Path) -> None:
    """Several processes save ratings and corrections with no pause while another process runs an evaluation;
    every save that returned is counted in the store afterwards. Bounded: 4 × 40 saves, one 400-item run."""
    from evalharness.checkpoints import load_checkpoint
    from evalharness.community.accounts import add_reviewer
    from evalharness.config import Config, MetricsConfig
    from evalharness.runner import Runner
    from evalharness.suites import load_suite

    items = _items(60)
    suite = write_suite(tmp_path / "suites" / "base", items, name="base")
    manifest = write_replay(tmp_path / "ck", {i["id"]: i["reference"] for i in items[:50]})
    store = Store(store_url)
    run = Runner(Config(metrics=MetricsConfig(enabled=["chrf++"], required=[])), store).run(
        load_checkpoint(manifest), load_suite(suite))
    reviewers = [f"Reviewer {k}" for k in range(4)]
    for name in reviewers:
        add_reviewer(store, name, "reviewer", "îjadaṯẖe-broom-7-long")
    # the run that writes meanwhile: another checkpoint on a bigger suite
    big = _items(400)
    big_suite = write_suite(tmp_path / "suites" / "big", big, name="big")
    big_manifest = write_replay(tmp_path / "ck2", {i["id"]: i["reference"] + " x" for i in big}, name="other")
    config = tmp_path / "c.toml"
    config.write_text('[run]\nbatch_size = 8\n[metrics]\nenabled = ["chrf++", "chrf", "exact_match"]\n'
                      'required = ["chrf++"]\n')
    writer = subprocess.Popen([sys.executable, "-m", "evalharness", "run", "-c", str(big_manifest), "-s",
                               str(big_suite), "--config", str(config), "--db", store_url, "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    savers = [subprocess.Popen([sys.executable, "-c", SAVER, store_url, run.run_id, name, "40"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
              for name in reviewers]
    outs = _wait_all(savers + [writer])[:len(reviewers)]
    reported = [json.loads(line) for out in outs for line in out.splitlines() if line.strip()]
    assert len(reported) == 40 * len(reviewers)
    ratings = {r.rating_id for r in review_rows.list_ratings(store)}
    corrections = {c.correction_id for c in review_rows.list_corrections(store, limit=10_000)}
    lost = [pair for pair in reported if pair[0] not in ratings or pair[1] not in corrections]
    assert lost == [] and len(ratings) == len(corrections) == len(reported)
