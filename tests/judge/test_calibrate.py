"""Human ratings and judge–human agreement, checked against a hand-worked example."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from evalharness.checkpoints import load_checkpoint
from evalharness.cli import app
from evalharness.errors import InputError
from evalharness.judge.calibrate import (agreement_stats, calibrate, kappa_batch, round_half_up, spearman_batch)
from evalharness.judge.ratings import import_ratings, read_ratings, stored_ratings
from evalharness.runner import Runner
from evalharness.suites import load_suite

from .conftest import judge_config, write_replay, write_suite
from .fakes import Recorded, verdict_json

# The hand-worked example: five answers, one rater.
#   human  h = 1 2 3 4 5
#   judge  j = 1 3 3 4 4
# Quadratic weights w(a,b) = (a-b)^2 / (5-1)^2 = (a-b)^2 / 16.
# Observed disagreement: (0 + 1/16 + 0 + 0 + 1/16) / 5 = 0.025.
# Expected (chance) disagreement from the marginals: human 1..5 each 0.2; judge P(1)=.2, P(3)=.4, P(4)=.4.
#   For each human grade i, E[(i-j)^2] = .2(i-1)^2 + .4(i-3)^2 + .4(i-4)^2 = 5.2, 2.2, 1.2, 2.2, 5.2 (i = 1..5);
#   sum 16.0 × 0.2 = 3.2, / 16 = 0.2.
# κ = 1 - 0.025 / 0.2 = 0.875.
# Spearman: ranks of h = 1 2 3 4 5; ranks of j (ties averaged) = 1 2.5 2.5 4.5 4.5; both means 3;
#   deviations h: -2 -1 0 1 2, j: -2 -.5 -.5 1.5 1.5; Σ dh·dj = 4 + .5 + 0 + 1.5 + 3 = 9;
#   Σ dh² = 10, Σ dj² = 9 → ρ = 9 / √90 = 3/√10 = 0.948683.
# Bias = mean(j) - mean(h) = 3.0 - 3.0 = 0. Exact matches 3/5, all within one point.
HUMAN = [1, 2, 3, 4, 5]
JUDGE = [1, 3, 3, 4, 4]
KAPPA = 0.875
RHO = 3 / math.sqrt(10)


def test_hand_worked_kappa_and_rho() -> None:
    stats = agreement_stats(HUMAN, JUDGE, n_resamples=200, seed=7)
    assert stats["kappa"] == pytest.approx(KAPPA) and stats["rho"] == pytest.approx(RHO)
    assert stats["bias"] == 0 and stats["exact"] == pytest.approx(0.6) and stats["within_one"] == 1.0
    # the libraries agree with the hand computation
    assert cohen_kappa_score(HUMAN, JUDGE, weights="quadratic") == pytest.approx(KAPPA)
    assert spearmanr(HUMAN, JUDGE).statistic == pytest.approx(RHO)
    lo, hi = stats["kappa_ci"].low, stats["kappa_ci"].high
    assert lo is not None and hi is not None and lo <= KAPPA <= hi <= 1.0
    # the same seed gives the same interval; another seed another
    again = agreement_stats(HUMAN, JUDGE, n_resamples=200, seed=7)
    assert again["rho_ci"] == stats["rho_ci"]


def test_batch_statistics_equal_the_libraries_on_resamples() -> None:
    rng = np.random.default_rng(3)
    human = rng.integers(1, 6, 40)
    judge = np.clip(human + rng.integers(-2, 3, 40), 1, 5) + rng.choice([0.0, 1 / 3, 2 / 3], 40)
    judge = np.clip(judge, 1, 5)
    weights = rng.multinomial(40, np.full(40, 1 / 40), size=25).astype(float)
    kb, sb = kappa_batch(human, round_half_up(judge), weights), spearman_batch(human, judge, weights)
    for b in range(25):
        idx = np.repeat(np.arange(40), weights[b].astype(int))
        assert kb[b] == pytest.approx(cohen_kappa_score(human[idx], round_half_up(judge[idx]), weights="quadratic",
                                                        labels=[1, 2, 3, 4, 5]))
        assert sb[b] == pytest.approx(spearmanr(human[idx], judge[idx]).statistic)


def test_round_half_up_and_undefined_statistics() -> None:
    assert list(round_half_up(np.array([1.0, 2.5, 3.49, 3.5, 4.6667]))) == [1, 3, 3, 4, 5]
    flat = agreement_stats([3, 3, 3], [3, 3, 3], n_resamples=50)
    assert flat["rho"] is None and flat["kappa"] is None and flat["rho_ci"].undefined_resamples == 50


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_ratings_files_are_validated_whole_before_anything_is_written(tmp_path: Path, store) -> None:
    good = _write(tmp_path / "r.csv", "item,candidate,rating,rater\nq1,hayis,4,elder-a\nq2,\"a, b\",5,elder-b\n")
    rows = read_ratings(good)
    assert [(r.item_id, r.candidate, r.rating) for r in rows] == [("q1", "hayis", 4), ("q2", "a, b", 5)]
    bad = _write(tmp_path / "bad.csv", "item_id,candidate,rating,rater\nq1,x,4,a\nq2,y,6,b\n")
    with pytest.raises(InputError) as err:
        read_ratings(bad)
    assert "bad.csv:3" in str(err.value) and "field 'rating'" in str(err.value)
    for text, field in [('{"item_id": "q1", "candidate": "x", "rating": 4.5, "rater": "a"}\n', "rating"),
                        ('{"item_id": "q1", "candidate": "x", "rating": 4}\n', "rater"),
                        ('{"item_id": "q1", "candidate": "x", "rating": 4, "rater": "a", "stars": 2}\n', "stars")]:
        with pytest.raises(InputError, match=f"field '{field}'"):
            read_ratings(_write(tmp_path / "bad.jsonl", text))
    assert not store.exists()
    # importing is idempotent; a changed grade from the same rater replaces the old one
    assert import_ratings(store, rows, source="import:r.csv") == 2
    import_ratings(store, rows, source="import:r.csv")
    changed = read_ratings(_write(tmp_path / "r2.jsonl", '{"item": "q1", "candidate_text": "hayis", '
                                                        '"cas_rating": 2, "rater": "elder-a"}\n'))
    import_ratings(store, changed, source="import:r2.jsonl")
    assert sorted((r.item_id, r.rating) for r in stored_ratings(store)) == [("q1", 2), ("q2", 5)]


def _judged_store(tmp_path: Path, store, fake_server):
    """Five answers judged 1 3 3 4 4 (the hand-worked example), by a fake judge grading by answer text."""
    rows = [{"id": f"i{n}", "prompt": f"question {n}", "reference": f"reference {n}"} for n in range(1, 6)]
    suite = load_suite(write_suite(tmp_path / "s", rows))
    replies = {f"i{n}": f"answer {n}" for n in range(1, 6)}
    grades = {f"answer {n}": g for n, g in zip(range(1, 6), JUDGE)}

    def script(rec: Recorded) -> str:
        return verdict_json(next(g for text, g in grades.items() if f">>>\n{text}\n<<<END CANDIDATE" in rec.user))

    server = fake_server(script)
    result = Runner(judge_config(server, samples=2), store).run(load_checkpoint(write_replay(tmp_path / "c", replies)),
                                                                 suite)
    return result, replies


def test_calibration_against_stored_verdicts(tmp_path: Path, store, fake_server) -> None:
    result, replies = _judged_store(tmp_path, store, fake_server)
    lines = ["item_id,candidate,rating,rater"] + [f"i{n},{replies[f'i{n}']},{h},elder-a"
                                                  for n, h in zip(range(1, 6), HUMAN)]
    lines.append("i9,an answer nobody judged,3,elder-a")
    import_ratings(store, read_ratings(_write(tmp_path / "h.csv", "\n".join(lines) + "\n")), source="test")
    report = calibrate(store, stored_ratings(store), n_resamples=300, seed=1)
    assert report.n_ratings == 6 and len(report.agreements) == 1
    a = report.agreements[0]
    assert a.kappa == pytest.approx(KAPPA) and a.rho == pytest.approx(RHO) and a.bias == 0
    assert (a.n_ratings, a.n_answers, a.n_items, a.n_raters) == (5, 5, 5, 1)
    assert a.judge_model == "judge-model" and a.rubric_version == "1.0.0" and a.rubric_name == "cultural_authenticity"
    assert list(report.unmatched.values()) == [1]
    assert any("wide intervals" in note for note in a.notes)
    # a second rater on the same answers: 10 ratings, still 5 answers (the bootstrap resamples answers)
    second = [f"i{n},{replies[f'i{n}']},{h},teacher-b" for n, h in zip(range(1, 6), HUMAN)]
    import_ratings(store, read_ratings(_write(tmp_path / "h2.csv", "item_id,candidate,rating,rater\n"
                                              + "\n".join(second) + "\n")), source="test")
    a2 = calibrate(store, stored_ratings(store), n_resamples=100, seed=1).agreements[0]
    assert (a2.n_ratings, a2.n_answers, a2.n_raters) == (10, 5, 2) and a2.kappa == pytest.approx(KAPPA)


def test_dashboard_ratings_are_read_from_the_ratings_table(tmp_path: Path, store, fake_server) -> None:
    result, replies = _judged_store(tmp_path, store, fake_server)
    with store.transaction() as con:
        for n, h in zip(range(1, 6), HUMAN):
            con.execute("INSERT INTO ratings (rating_id, run_id, item_id, candidate_text, verdict, cas_rating, rater)"
                        " VALUES (?, ?, ?, ?, 'right', ?, 'speaker')", [f"d{n}", result.run_id, f"i{n}",
                                                                        replies[f"i{n}"], h])
        con.execute("INSERT INTO ratings (rating_id, item_id, candidate_text, verdict, rater) "
                    "VALUES ('d9', 'i1', 'answer 1', 'wrong', 'other')")  # no CAS grade: not a CAS rating
    human = stored_ratings(store)
    assert len(human) == 5
    assert calibrate(store, human, n_resamples=50).agreements[0].kappa == pytest.approx(KAPPA)


def test_cli_calibrate_unstable_and_rubric(tmp_path: Path, fake_server) -> None:
    db = tmp_path / "cli.duckdb"
    from evalharness.store import Store

    store = Store(db)
    result, replies = _judged_store(tmp_path, store, fake_server)
    ratings = _write(tmp_path / "h.jsonl", "".join(
        json.dumps({"item_id": f"i{n}", "candidate": replies[f"i{n}"], "rating": h, "rater": "elder-a"}) + "\n"
        for n, h in zip(range(1, 6), HUMAN)))
    cli = CliRunner()
    out = cli.invoke(app, ["judge", "calibrate", "--ratings", str(ratings), "--resamples", "100", "--json",
                           "--db", str(db)])
    assert out.exit_code == 0, out.output
    agreement = json.loads(out.output)["agreements"][0]
    assert agreement["kappa"] == pytest.approx(KAPPA) and agreement["n_ratings"] == 5
    table = cli.invoke(app, ["judge", "calibrate", "--db", str(db)])
    assert table.exit_code == 0 and "0.875" in table.output and "judge-model" in table.output
    unstable = cli.invoke(app, ["judge", "unstable", result.run_id, "--json", "--db", str(db)])
    assert unstable.exit_code == 0 and json.loads(unstable.output) == []
    missing = cli.invoke(app, ["judge", "unstable", "run-nope", "--db", str(db)])
    assert _exit_code(missing) == 2 and "no run 'run-nope'" in _text(missing)
    rubric = cli.invoke(app, ["judge", "rubric", "--json"])
    assert rubric.exit_code == 0 and len(json.loads(rubric.output)["sha256"]) == 64
    bad = _write(tmp_path / "bad.csv", "item_id,candidate,rating,rater\ni1,x,9,a\n")
    refused = cli.invoke(app, ["judge", "calibrate", "--ratings", str(bad), "--db", str(db)])
    assert _exit_code(refused) == 2 and "bad.csv:2" in _text(refused)


def _exit_code(result) -> int:
    """The code `evalharness` exits with (the CLI's entry point maps typed errors to their exit codes)."""
    from evalharness.errors import EvalHarnessError

    return result.exception.exit_code if isinstance(result.exception, EvalHarnessError) else result.exit_code


def _text(result) -> str:
    return result.output + str(result.exception or "")


def test_several_voices_become_one_grade_per_answer_and_an_admin_settles(tmp_path: Path, store, fake_server) -> None:
    """Two raters: their mean is the answer's grade; a settled answer takes the admin's grade instead."""
    from evalharness.community import voices
    from evalharness.community.accounts import add_reviewer

    result, replies = _judged_store(tmp_path, store, fake_server)
    lines = ["item_id,candidate,rating,rater"]
    lines += [f"i{n},{replies[f'i{n}']},{h},elder-a" for n, h in zip(range(1, 6), HUMAN)]
    lines += [f"i{n},{replies[f'i{n}']},{h},teacher-b" for n, h in zip(range(1, 6), [1, 4, 3, 4, 5])]  # i2: 4
    import_ratings(store, read_ratings(_write(tmp_path / "two.csv", "\n".join(lines) + "\n")), source="test")
    report = calibrate(store, stored_ratings(store), n_resamples=100, seed=1)
    a = report.agreements[0]
    assert (report.n_answers, report.n_multi_voice, report.n_settled) == (5, 5, 0)
    assert (a.n_ratings, a.n_answers, a.n_raters, a.n_multi_voice) == (10, 5, 2, 5)
    # i2: consensus (2 + 4) / 2 = 3 = the judge's grade; every other answer as in the hand-worked example
    consensus = [1, 3, 3, 4, 5]
    assert a.kappa == pytest.approx(cohen_kappa_score(consensus, JUDGE, weights="quadratic", labels=[1, 2, 3, 4, 5]))
    assert a.exact == pytest.approx(0.8)
    # An admin settles i2 at 2: calibration uses the settled grade, and says so.
    add_reviewer(store, "Elder Admin", "admin", "hûji-ethen-2026-long")
    [disagreement] = voices.open_disagreements(store)
    assert disagreement.item_id == "i2"
    voices.settle(store, "Elder Admin", disagreement, verdict=None, cas_rating=2)
    settled = calibrate(store, stored_ratings(store), n_resamples=100, seed=1)
    assert settled.n_settled == 1 and settled.agreements[0].n_settled == 1
    assert settled.agreements[0].kappa == pytest.approx(KAPPA)
    cli = CliRunner().invoke(app, ["judge", "calibrate", "--resamples", "100"])
    assert cli.exit_code == 0, cli.output
    assert "5 of 5 answers had more than one voice" in cli.output and "1 were settled by an admin" in cli.output
