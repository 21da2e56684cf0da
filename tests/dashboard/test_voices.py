"""Several voices per answer: the queue by voices, blind review, Krippendorff's α with its interval, settling."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from evalharness.community import reviews, voices
from evalharness.community.accounts import PermissionDenied, add_reviewer
from evalharness.store import Store
from evalharness.store.voices import Voice

from . import demo_db

THIRD, THIRD_PASSWORD = "Teacher Three", "wîcha-kiyâ-three-33"

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four observers, twelve units,
# values 1–5, missing marked None. Published: nominal α = 0.743, ordinal α = 0.815.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def _voice(rater: str, item: str, *, cas: int | None = None, verdict: str | None = None,
           criteria: dict[str, int] | None = None) -> Voice:
    return Voice(rating_id=f"{rater}-{item}", suite_hash="s", item_id=item, candidate_text=f"answer {item}",
                 rater=rater, verdict=verdict, cas_rating=cas, note=None, created_at=None, run_id=None,
                 checkpoint_name=None, prompt=None, criteria=criteria or {})


def _published_example(criterion: str = "cas") -> list[Voice]:
    found = []
    for r, row in enumerate(KRIPPENDORFF_2011):
        for u, value in enumerate(row):
            if value is not None:
                found.append(_voice(f"rater-{r}", f"unit-{u}", cas=value if criterion == "cas" else None,
                                    criteria={criterion: value} if criterion != "cas" else None))
    return found


def test_alpha_reproduces_krippendorffs_published_example() -> None:
    ordinal = voices.agreement(_published_example(), voices.AUTHENTICITY, n_resamples=200, seed=1)
    assert ordinal.alpha == pytest.approx(0.815, abs=5e-4)
    assert (ordinal.n_answers, ordinal.n_raters) == (11, 4)  # the unit with one value cannot be paired
    nominal = voices.Criterion("kind", "kind", "nominal", (1, 2, 3, 4, 5))
    assert voices.agreement(_published_example("kind"), nominal, n_resamples=0).alpha == pytest.approx(0.743, abs=5e-4)
    rubric = voices.criteria([("stoney_form", "Correct Stoney form")])[2]
    assert rubric.level == "ordinal"
    assert voices.agreement(_published_example("stoney_form"), rubric, n_resamples=0).alpha == pytest.approx(
        0.815, abs=5e-4)


def test_alpha_interval_is_seeded_and_contains_the_estimate() -> None:
    found = _published_example()
    a = voices.agreement(found, voices.AUTHENTICITY, n_resamples=300, seed=7)
    again = voices.agreement(found, voices.AUTHENTICITY, n_resamples=300, seed=7)
    other = voices.agreement(found, voices.AUTHENTICITY, n_resamples=300, seed=8)
    assert a.low is not None and a.high is not None and a.low <= a.alpha <= a.high <= 1.0
    assert (a.low, a.high) == (again.low, again.high) and (a.low, a.high) != (other.low, other.high)
    assert a.words == "Reviewers agree well"


def test_alpha_is_not_made_up_when_it_cannot_be_measured() -> None:
    one = voices.agreement([_voice("a", "x", cas=3), _voice("b", "x", cas=4)], voices.AUTHENTICITY)
    assert one.alpha is None and "fewer than two answers" in (one.reason or "")
    same = voices.agreement([_voice(r, u, cas=4) for r in "ab" for u in "xyz"], voices.AUTHENTICITY)
    assert same.alpha is None and "same value" in (same.reason or "") and same.words == "Not measured yet"
    verdicts = [_voice("a", "x", verdict="right"), _voice("b", "x", verdict="right"),
                _voice("a", "y", verdict="wrong"), _voice("b", "y", verdict="wrong")]
    perfect = voices.agreement(verdicts, voices.VERDICT, n_resamples=50)
    assert perfect.alpha == pytest.approx(1.0)


@pytest.fixture
def store(db: Path) -> Store:
    store = Store(db)
    add_reviewer(store, THIRD, "reviewer", THIRD_PASSWORD)
    return store


def _target(store: Store, demo, item: str = "dq-01", checkpoint: str = "stoney-v2"):
    return reviews.target(store, demo.run_ids[(checkpoint, "stoney-dictionary-mini")], item)


def test_an_answer_stays_in_the_queue_until_it_has_enough_voices(store: Store, demo) -> None:
    run_id = demo.run_ids[("stoney-v2", "stoney-dictionary-mini")]
    before = [r.item_id for r in reviews.review_queue(store, run_id, THIRD, voices=2)]
    reviews.save_review(store, demo_db.REVIEWER, _target(store, demo), verdict="right", cas_rating=5)
    # One voice: still in everyone else's queue — and first, so that it reaches its second voice soon.
    queue = reviews.review_queue(store, run_id, THIRD, voices=2)
    assert queue[0].item_id == "dq-01" and queue[0].voices == 1 and before[0] != "dq-01"
    assert "dq-01" not in [r.item_id for r in reviews.review_queue(store, run_id, demo_db.REVIEWER, voices=2)]
    reviews.save_review(store, demo_db.ADMIN, _target(store, demo), verdict="wrong", cas_rating=2)
    # Two voices: done for the third reviewer too, unless three are asked for.
    assert "dq-01" not in [r.item_id for r in reviews.review_queue(store, run_id, THIRD, voices=2)]
    assert "dq-01" in [r.item_id for r in reviews.review_queue(store, run_id, THIRD, voices=3)]
    counts = reviews.queue_counts(store, run_id, THIRD, voices=2)
    assert (counts.answers, counts.done, counts.waiting, counts.complete) == (12, 0, 11, 1)


def test_the_same_answer_in_another_run_counts_as_one_answer(store: Store, demo) -> None:
    """A second run of stoney-v2 gives the same answers: rated in one run, an answer is rated in both."""
    from evalharness.runner import Runner

    again = Runner(demo_db.config(), store).run(demo_db.checkpoint(demo.root, "stoney-v2", [demo.dictionary]),
                                                demo.dictionary, new=True)
    first, second = _target(store, demo, "dq-02"), reviews.target(store, again.run_id, "dq-02")
    assert first.run_id != second.run_id and first.answer == second.answer
    reviews.save_review(store, demo_db.REVIEWER, first, cas_rating=4)
    assert "dq-02" not in [r.item_id for r in reviews.review_queue(store, second.run_id, demo_db.REVIEWER)]
    assert reviews.review_queue(store, second.run_id, THIRD)[0].voices == 1


def test_others_ratings_are_hidden_until_you_rate(store: Store, demo) -> None:
    target = _target(store, demo)
    reviews.save_review(store, demo_db.REVIEWER, target, verdict="wrong", cas_rating=2, note="missing ṯ")
    assert voices.others_after_mine(store, THIRD, target.suite_hash, "dq-01", target.answer) is None
    reviews.save_review(store, THIRD, target, verdict="right", cas_rating=4)
    [other] = voices.others_after_mine(store, THIRD, target.suite_hash, "dq-01", target.answer)
    assert (other.rater, other.verdict, other.cas_rating, other.note) == (demo_db.REVIEWER, "wrong", 2, "missing ṯ")


def test_criteria_grades_notes_and_the_newest_rating_per_person(store: Store, demo) -> None:
    target = _target(store, demo)
    reviews.save_review(store, THIRD, target, cas_rating=2, criteria={"stoney_form": 1})
    reviews.save_review(store, THIRD, target, cas_rating=3, criteria={"stoney_form": 2, "faithful_meaning": 5},
                        note="t\u0331 as typed")  # decomposed ṯ
    [voice] = [v for v in voices.sql.voices(store) if v.rater == THIRD]
    assert voice.cas_rating == 3 and dict(voice.criteria) == {"stoney_form": 2, "faithful_meaning": 5}
    assert voice.note == "ṯ as typed" and voice.prompt == "What is the Stoney word for 'broom'?"
    with pytest.raises(Exception, match="from 1 to 5"):
        reviews.save_review(store, THIRD, target, criteria={"stoney_form": 7})
    with pytest.raises(Exception, match="a note goes with a rating"):
        reviews.save_review(store, THIRD, target, note="only a note")


def test_disagreements_are_listed_settled_by_an_admin_and_then_gone(store: Store, demo) -> None:
    target = _target(store, demo)
    reviews.save_review(store, demo_db.REVIEWER, target, verdict="right", cas_rating=5)
    reviews.save_review(store, THIRD, target, verdict="wrong", cas_rating=2)
    agreeing = _target(store, demo, "dq-03")
    reviews.save_review(store, demo_db.REVIEWER, agreeing, verdict="right", cas_rating=4)
    reviews.save_review(store, THIRD, agreeing, verdict="right", cas_rating=5)
    [d] = voices.open_disagreements(store)
    assert d.item_id == "dq-01" and "some said right, some said wrong" in d.why and "from 2 to 5" in d.why
    with pytest.raises(PermissionDenied):
        voices.settle(store, THIRD, d, verdict="wrong", cas_rating=2)
    voices.settle(store, demo_db.ADMIN, d, verdict="wrong", cas_rating=2, note="ṯ is missing")
    assert voices.open_disagreements(store) == []
    [settled] = voices.sql.settlements(store)
    assert (settled.cas_rating, settled.settled_by, settled.candidate_sha256) == (2, demo_db.ADMIN,
                                                                                   voices.answer_sha256(target.answer))


def test_agreement_over_the_store(store: Store, demo) -> None:
    for item, (a, b) in {"dq-01": (5, 5), "dq-03": (2, 2), "dq-05": (4, 3), "dq-07": (1, 1)}.items():
        target = _target(store, demo, item)
        reviews.save_review(store, demo_db.REVIEWER, target, cas_rating=a, verdict="right" if a > 2 else "wrong")
        reviews.save_review(store, THIRD, target, cas_rating=b, verdict="right" if b > 2 else "wrong")
    found = {a.criterion.key: a for a in voices.agreements(store, [("stoney_form", "Correct Stoney form")],
                                                            n_resamples=100)}
    assert set(found) == {"verdict", "cas"}  # nobody graded the rubric criterion: not listed
    assert found["cas"].n_answers == 4 and found["cas"].n_raters == 2 and found["cas"].alpha is not None
    assert found["verdict"].alpha == pytest.approx(1.0)
    assert 0.8 < found["cas"].alpha < 1.0 and math.isfinite(found["cas"].low or math.nan)
