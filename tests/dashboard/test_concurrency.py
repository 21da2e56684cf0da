"""The dashboard while another process writes: nothing crashes, nothing is lost, a failed save keeps its text."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from evalharness.community import reviews
from evalharness.store import Store

from . import demo_db
from .conftest import ROOT, goto, sign_in, texts, write_config

HERE = Path(__file__).resolve().parent

HOLD_LOCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])      # holds DuckDB's file lock: no other process can open the file
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def _save_button(at):
    return next(b for b in at.button if b.key.startswith("rv_save_"))


def test_a_save_that_cannot_get_the_file_is_reported_and_the_text_is_kept(app, db: Path, config_file: Path) -> None:
    write_config(config_file, write_timeout_seconds=1.0)
    at = app().run()
    sign_in(at, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD)
    goto(at, "review").run()
    words = "The word is îjadaṯẖe. My grandmother swept the floor with one every morning."
    at.radio[1].set_value(5)
    at.text_area[0].input(words)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db), "3"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        _save_button(at).click().run()  # the write gives up after 1 s; the page's reads wait for the lock
    finally:
        holder.wait(timeout=30)
    assert not at.exception
    assert any("Not saved yet: the results file is busy" in e.value for e in at.error), texts(at)
    assert at.text_area[0].value == words and at.radio[1].value == 5  # nothing the reviewer typed is lost
    assert Store(db).query("SELECT count(*) FROM corrections")[0][0] == 0
    _save_button(at).click().run()  # the run is done; saving again works
    assert any("Saved your rating and your correction" in s.value for s in at.success)
    assert [c.narrative for c in reviews.list_corrections(Store(db))] == [words]
    assert Store(db).query("SELECT cas_rating FROM ratings") == [(5,)]


def test_text_survives_leaving_the_page_and_coming_back(app) -> None:
    at = app().run()
    sign_in(at, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD)
    goto(at, "review").run()
    at.text_area[0].input("half-written story about rhumnâ").run()
    goto(at, "overview").run()
    goto(at, "review").run()
    assert at.text_area[0].value == "half-written story about rhumnâ"


def test_reviewers_save_while_another_process_writes_runs(app, db: Path, demo, tmp_path: Path) -> None:
    store = Store(db)
    runs_before = store.query("SELECT count(*) FROM runs")[0][0]
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, str(HERE / "writer_proc.py"), str(db), str(tmp_path / "writer"),
                               str(stop), "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=ROOT)
    saved_texts: list[str] = []
    try:
        assert json.loads(writer.stdout.readline()) == {"started": True}
        at = app().run()
        assert not at.exception and at.metric[0].value == demo_db.CHAMPION
        sign_in(at, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD)
        goto(at, "review").run()
        for n in range(4):
            at.radio[0].set_value("Wrong")
            text = f"Correction {n}: 'hûji ethen' means hurry up."
            at.text_area[0].input(text)
            _save_button(at).click().run()
            assert not at.exception
            assert any("Saved your rating and your correction" in s.value for s in at.success), texts(at)
            saved_texts.append(text)
        goto(at, "compare").run()
        assert not at.exception and not at.error and at.dataframe, texts(at)
        goto(at, "overview").run()
        assert not at.exception and not at.error
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    finished = json.loads(out.strip().splitlines()[-1])["finished"]
    assert len(finished) >= 1
    # Nothing lost on either side.
    corrections = reviews.list_corrections(store)
    assert sorted(c.narrative for c in corrections) == sorted(saved_texts)
    known_runs = {r for r, in store.query("SELECT run_id FROM runs")}
    assert {c.run_id for c in corrections} <= known_runs
    assert store.query("SELECT count(*) FROM ratings WHERE verdict = 'wrong'")[0][0] == 4
    assert store.query("SELECT count(*) FROM runs")[0][0] == runs_before + len(finished)
    statuses = store.query("SELECT DISTINCT status FROM runs WHERE run_id = ANY(?)",
                           [finished])
    assert statuses == [("complete",)]
    per_run = store.query("SELECT count(DISTINCT run_id), min(n), max(n) FROM (SELECT run_id, count(*) AS n FROM "
                          "item_scores WHERE run_id = ANY(?) GROUP BY run_id)", [finished])
    assert per_run == [(len(finished), 12 * len(demo_db.METRICS), 12 * len(demo_db.METRICS))]
