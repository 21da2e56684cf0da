"""The reviewing pages through AppTest: blind second opinions, agreement and settling, progress, spoken
corrections on the Corrections page, the letter palette beside every Stoney field."""

from __future__ import annotations

from pathlib import Path

from evalharness.community import audio, reviews
from evalharness.community.accounts import add_reviewer
from evalharness.store import Store

from . import demo_db
from .conftest import goto, sign_in, texts
from .test_spoken import tone

THIRD, THIRD_PASSWORD = "Teacher Three", "wîcha-kiyâ-three-33"


def _open(app, page: str, who: tuple[str, str]):
    at = app().run()
    sign_in(at, *who)
    goto(at, page).run()
    assert not at.exception, at.exception
    return at


def _save(at):
    next(b for b in at.button if b.key.startswith("rv_save_")).click().run()
    assert not at.exception, at.exception
    return at


def _palettes(at) -> set[str]:
    """The fields that have a letter palette beside them (each palette's key is `palette_<field key>`)."""
    found: set[str] = set()

    def walk(node) -> None:
        children = getattr(node, "children", None)
        for child in children.values() if isinstance(children, dict) else ():
            proto = getattr(child, "proto", None)
            if getattr(child, "type", None) == "bidi_component" and "evalharness_palette" in str(proto):
                found.add(proto.id.split("-palette_", 1)[1])
            walk(child)

    walk(at._tree)
    return found


def test_a_second_reviewer_rates_blind_then_sees_the_first(app, db: Path) -> None:
    add_reviewer(Store(db), THIRD, "reviewer", THIRD_PASSWORD)
    first = _open(app, "review", (demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD))
    question = next(s for s in first.selectbox if s.key.startswith("rv_pick_")).value
    first.radio[0].set_value("Wrong")
    first.radio[1].set_value(2)
    first.text_input(key=next(t.key for t in first.text_input if t.key.startswith("rv_note_"))).input(
        "SECRET-FIRST-NOTE")
    _save(first)

    second = _open(app, "review", (THIRD, THIRD_PASSWORD))
    assert next(s for s in second.selectbox if s.key.startswith("rv_pick_")).value == question  # it needs a voice
    shown = texts(second)
    assert "1 other reviewer(s) have rated this answer" in shown
    assert "SECRET-FIRST-NOTE" not in shown and "What other reviewers said" not in shown  # blind
    second.radio[0].set_value("Right")
    second.radio[1].set_value(5)
    _save(second)
    # After rating it, the answer (shown again with "Also show answers I have already reviewed") shows the others.
    second.checkbox(key="rv_include_done").check().run()
    picker = next(s for s in second.selectbox if s.key.startswith("rv_pick_"))
    picker.select(next(o for o in picker.options if o.endswith("(you reviewed this)"))).run()
    assert "SECRET-FIRST-NOTE" in texts(second)
    assert [e.label for e in second.expander if e.label.startswith("What other reviewers said")] == [
        "What other reviewers said (1)"]


def test_agreement_page_in_words_and_numbers_and_an_admin_settles(app, db: Path, demo) -> None:
    store = Store(db)
    add_reviewer(store, THIRD, "reviewer", THIRD_PASSWORD)
    run_id = demo.run_ids[("stoney-v2", "stoney-dictionary-mini")]
    for item, (a, b) in {"dq-01": (5, 5), "dq-03": (2, 2), "dq-05": (4, 4), "dq-07": (1, 5)}.items():
        target = reviews.target(store, run_id, item)
        reviews.save_review(store, demo_db.REVIEWER, target, cas_rating=a, verdict="right" if a > 2 else "wrong")
        reviews.save_review(store, THIRD, target, cas_rating=b, verdict="right" if b > 2 else "wrong")
    visitor = app().run()
    goto(visitor, "agreement").run()
    assert not visitor.exception
    shown = texts(visitor)
    assert "Do reviewers agree?" in shown and "Cultural authenticity (1–5)" in shown
    assert "From 4 answers rated by two or more of 2 reviewers" in shown
    assert "Answers to settle" not in shown  # the ratings behind a disagreement are for admins
    numbers = visitor.dataframe[0].value
    assert list(numbers["what"])[:2] == ["Right or wrong", "Cultural authenticity (1–5)"]
    admin = _open(app, "agreement", (demo_db.ADMIN, demo_db.ADMIN_PASSWORD))
    assert "Answers to settle" in texts(admin) and "Some said right, some said wrong" in texts(admin)
    admin.radio(key="ag_verdict_0").set_value("Wrong")
    admin.radio(key="ag_cas_0").set_value(2)
    admin.button(key="ag_settle_0").click().run()
    assert not admin.exception
    assert "No answer is waiting to be settled." in texts(admin)
    assert store.query("SELECT item_id, verdict, cas_rating, settled_by FROM rating_settlements") == [
        ("dq-07", "wrong", 2, demo_db.ADMIN)]


def test_progress_thanks_the_reviewer_and_shows_admins_the_queue(app, db: Path, demo) -> None:
    store = Store(db)
    run_id = demo.run_ids[("stoney-v2", "stoney-dictionary-mini")]
    for item in ("dq-01", "dq-02"):
        reviews.save_review(store, demo_db.REVIEWER, reviews.target(store, run_id, item), cas_rating=4)
    at = _open(app, "progress", (demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD))
    shown = texts(at)
    assert f"Thank you, {demo_db.REVIEWER}! This week you reviewed 2 answer(s)." in shown
    assert "are waiting for you" in shown and "Answers needing reviewers" not in shown
    assert at.dataframe[0].value.values.tolist() == [[demo_db.REVIEWER, 2]]
    admin = _open(app, "progress", (demo_db.ADMIN, demo_db.ADMIN_PASSWORD))
    metrics = {m.label: m.value for m in admin.metric}
    assert int(metrics["Answers needing reviewers"]) > 0 and metrics["Disagreements to settle"] == "0"
    assert "The oldest answer in the queue has waited" in texts(admin)


def test_corrections_page_plays_a_spoken_correction_and_takes_its_transcript(app, db: Path, demo) -> None:
    store = Store(db)
    target = reviews.target(store, demo.run_ids[("stoney-base", "stoney-narrative-mini")], "nc-02")
    saved = reviews.save_review(store, demo_db.REVIEWER, target, audio=audio.clip(tone(1.0), "audio/wav"))
    at = _open(app, "corrections", (demo_db.ADMIN, demo_db.ADMIN_PASSWORD))
    shown = texts(at)
    assert "The reviewer said" in shown and saved.correction_id not in shown  # no internal ids
    [player] = at.get("audio")
    assert player.proto.url  # the recording is served to the browser for playback
    at.button(key=f"cr_accept_{saved.correction_id}").click().run()
    assert "once its words are written down" in texts(at)
    at.text_area(key=f"cr_transcript_{saved.correction_id}").input("The word is îjadaṯẖe.")
    at.button(key=f"cr_save_transcript_{saved.correction_id}").click().run()
    at.button(key=f"cr_accept_{saved.correction_id}").click().run()
    assert not at.exception
    [accepted] = reviews.list_corrections(store, "accepted")
    assert accepted.narrative == "The word is îjadaṯẖe." and accepted.reviewed_by == demo_db.ADMIN
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download triplets (zip, with recordings)" in labels


def test_every_field_where_stoney_is_written_has_the_palette(app, db: Path, demo) -> None:
    store = Store(db)
    target = reviews.target(store, demo.run_ids[("stoney-base", "stoney-narrative-mini")], "nc-02")
    reviews.save_review(store, demo_db.REVIEWER, target, narrative="a correction to decide on")
    review = _open(app, "review", (demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD))
    fields = {k for k in (t.key for t in [*review.text_area, *review.text_input]) if k.startswith("rv_")}
    assert fields and fields <= _palettes(review), (fields, _palettes(review))
    corrections = _open(app, "corrections", (demo_db.ADMIN, demo_db.ADMIN_PASSWORD))
    notes = {t.key for t in corrections.text_input if t.key.startswith("cr_note_")}
    assert notes and notes <= _palettes(corrections)
    item = app().run()
    goto(item, "item").run()
    assert "item_search" in _palettes(item)
