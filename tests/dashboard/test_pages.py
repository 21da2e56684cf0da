"""Every page through Streamlit's AppTest, over the demo store: what people see, and what their clicks save."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalharness.community import reviews
from evalharness.store import Store

from . import demo_db
from .conftest import ROOT, goto, sign_in, texts, write_config


def _page(app, page: str, *, as_: tuple[str, str] | None = None):
    at = app().run()
    assert not at.exception, at.exception
    if as_:
        sign_in(at, *as_)
    if page != "overview":
        goto(at, page).run()
    assert not at.exception, at.exception
    return at


def test_overview_shows_champion_decisions_trends_and_suites(app) -> None:
    at = _page(app, "overview")
    shown = texts(at)
    assert at.metric[0].value == demo_db.CHAMPION
    assert "Held back — not better than stoney-v2" in shown  # names the model it was compared with
    assert "chrF++ fell by 9.8 (95% CI -15.2 to -3.9, p=0.004)" in shown
    assert "it became the champion" in shown
    latest = at.dataframe[0].value
    assert list(latest["checkpoint"].unique()) == ["stoney-base", "stoney-v2", "stoney-v3-lora"]
    assert set(latest["bits per char"]) == {"not measured"}  # never a zero for what was not measured
    assert "chrF++" in latest.columns  # metrics by their registry labels, as people read them
    assert "Allowed: testing models on this machine; training models on it" in shown
    assert "sending questions to outside AI services" in shown
    assert not at.error


def test_overview_changes_metric(app) -> None:
    at = _page(app, "overview")
    at.selectbox(key="overview_metric").select("bits_per_char").run()
    assert "bits per char was not measured for any model" in texts(at)
    assert "replay backend holds recorded text only" in texts(at)


def test_compare_lists_biggest_regressions_first_and_filters(app) -> None:
    at = _page(app, "compare")
    assert at.selectbox(key="cmp_candidate").value == "stoney-v3-lora"
    assert at.selectbox(key="cmp_champion").value == demo_db.CHAMPION
    table = at.dataframe[0].value
    changes = list(table["change"].dropna())
    assert changes == sorted(changes) and changes[0] < -50
    assert table.iloc[-1]["item_id"] == "dq-12"  # could not be compared: last, not a zero
    assert any("îjadaṯẖe" in a for a in table["champion_answer"].dropna())
    shown = texts(at)
    assert "Got worse 8" in shown and "Could not be compared 1" in shown
    at.selectbox(key="cmp_tag").select("noun").run()
    assert set(at.dataframe[0].value["item_id"]) == {"dq-01", "dq-02", "dq-08", "dq-09"}
    assert "Got worse 2" in texts(at) and "Got better 2" in texts(at)
    at.selectbox(key="cmp_show").select("better").run()
    assert set(at.dataframe[0].value["item_id"]) == {"dq-02", "dq-08"}
    assert (at.dataframe[0].value["change"] > 0).all()
    at.selectbox(key="cmp_show").select("same").run()
    assert "No items match these choices." in texts(at)


def test_compare_opens_an_item(app) -> None:
    at = _page(app, "compare")
    first = at.dataframe[0].value.iloc[0]["item_id"]
    at.button(key="cmp_open").click().run()
    assert not at.exception
    assert at.title[0].value == "One item in full"
    assert at.selectbox(key="item_pick").value == first


def test_item_shows_question_every_answer_and_scores(app, demo) -> None:
    at = app().run()
    at.session_state["item_ref"] = (demo.dictionary.content_hash, "dq-12")
    goto(at, "item").run()
    assert not at.exception
    shown = texts(at)
    assert "What is 'îjiktûtha' used for?" in shown
    assert "'îjiktûtha' is a numeral: fourth." in shown
    for name in ("stoney-base", "stoney-v2", "stoney-v3-lora"):
        assert name in shown
    assert "No answer: no recorded reply for this item" in shown
    scores = at.dataframe[0].value
    assert scores.loc["chrf++", "stoney-v3-lora"] == "failed"
    assert scores.loc["bits_per_char", "stoney-base"] == "not measured"
    assert "The judge's reasons" not in shown  # the judge saw none of these runs: no judge section at all


def test_item_shows_narrative_fields_and_the_judges_reasons(app, db: Path, demo) -> None:
    run_id = demo.run_ids[("stoney-v2", "stoney-narrative-mini")]
    demo_db.add_judge_verdict(Store(db), run_id, "nc-02", rationale="Names îjadaṯẖe and its use at home.",
                              grades=(4,))
    at = app().run()
    at.session_state["item_ref"] = (demo.narrative.content_hash, "nc-02")
    goto(at, "item").run()
    shown = texts(at)
    assert "A flawed answer (what the model should not say)" in shown and "The word is broom-a." in shown
    assert "The word is îjadaṯẖe. It names the broom used to sweep the home." in shown
    assert "The judge's reasons" in shown and "Names îjadaṯẖe and its use at home." in shown


def test_item_search(app) -> None:
    at = _page(app, "item")
    at.text_input(key="item_search").input("rhumnâ").run()
    assert at.selectbox(key="item_pick").options == ["dq-02 — What does 'rhumnâ' mean in English?"]


def test_review_needs_sign_in(app) -> None:
    at = _page(app, "review")
    assert "Please sign in on the left" in texts(at)
    assert not at.main.button and not at.text_area


def test_sign_in_failure_and_lockout(app) -> None:
    at = app().run()
    sign_in(at, demo_db.REVIEWER, "not my password")
    assert "that name and password did not work" in texts(at)
    assert "account" not in at.session_state
    sign_in(at, demo_db.REVIEWER, "still wrong")
    sign_in(at, demo_db.REVIEWER, "wrong a third time")  # max_failed_attempts = 3 in the test config
    sign_in(at, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD)  # even the right one, while locked
    assert "account" not in at.session_state and "too many tries" in texts(at)
    assert at.sidebar.text_input(key="sign_in_password").value == ""  # the password is never kept


def test_sign_in_and_sign_out(app) -> None:
    at = app().run()
    sign_in(at, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD)
    assert at.session_state["account"].name == demo_db.REVIEWER
    assert f"Signed in as **{demo_db.REVIEWER}** (reviewer)" in [m.value for m in at.sidebar.markdown]
    at.sidebar.button(key="sign_out").click().run()
    assert "account" not in at.session_state


def _save_button(at):
    return next(b for b in at.button if b.key.startswith("rv_save_"))


def test_review_saves_a_rating_and_a_correction_with_who_and_when(app, db: Path) -> None:
    at = _page(app, "review", as_=(demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD))
    assert "You have reviewed 0 of" in at.get("progress")[0].proto.text
    first_item = at.selectbox[1].value.split(" — ")[0]
    at.radio[0].set_value("Wrong")
    at.radio[1].set_value(2)
    at.text_area[0].input("'hûji ethen' means hurry up; it is said kindly when it is time to go.")
    _save_button(at).click().run()
    assert not at.exception
    assert any("Saved your rating and your correction" in s.value for s in at.success)
    store = Store(db)
    rating = store.query("SELECT item_id, verdict, cas_rating, rater, created_at FROM ratings")
    assert len(rating) == 1 and rating[0][:4] == (first_item, "wrong", 2, demo_db.REVIEWER) and rating[0][4]
    [correction] = reviews.list_corrections(store)
    assert correction.author == demo_db.REVIEWER and correction.item_id == first_item
    assert correction.narrative == "'hûji ethen' means hurry up; it is said kindly when it is time to go."
    # The queue moved on, and the boxes are empty for the next answer.
    assert at.selectbox[1].value.split(" — ")[0] != first_item
    assert at.text_area[0].value == ""
    assert "You have reviewed 1 of" in at.get("progress")[0].proto.text


def test_review_with_nothing_filled_in_saves_nothing(app, db: Path) -> None:
    at = _page(app, "review", as_=(demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD))
    _save_button(at).click().run()
    assert any("nothing to save" in e.value for e in at.error)
    assert Store(db).query("SELECT count(*) FROM ratings")[0][0] == 0


def test_corrections_page_is_for_admins_only(app) -> None:
    at = _page(app, "review", as_=(demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD))
    goto(at, "corrections").run()  # not even in a reviewer's navigation: the default page is shown instead
    assert "Corrections" not in [t.value for t in at.title] and not at.get("download_button")


def test_admin_accepts_exports_and_publishes(app, db: Path, demo, tmp_path: Path) -> None:
    store = Store(db)
    target = reviews.target(store, demo.run_ids[("stoney-base", "stoney-narrative-mini")], "nc-02")
    saved = reviews.save_review(store, demo_db.REVIEWER, target, narrative="The word is îjadaṯẖe: the broom.")
    at = _page(app, "corrections", as_=(demo_db.ADMIN, demo_db.ADMIN_PASSWORD))
    shown = texts(at)
    assert "The word is îjadaṯẖe: the broom." in shown and "Waiting 1" in shown
    at.text_input(key=f"cr_note_{saved.correction_id}").input("checked with an elder")
    at.button(key=f"cr_accept_{saved.correction_id}").click().run()
    assert not at.exception
    [accepted] = reviews.list_corrections(store, "accepted")
    assert accepted.reviewed_by == demo_db.ADMIN and accepted.note == "checked with an elder"
    downloads = {b.proto.label: b for b in at.get("download_button")}
    assert set(downloads) == {"Download triplets (JSONL)", "Download chat fine-tuning file",
                              "Download preference pairs"}
    at.button(key="cr_publish").click().run()
    assert not at.exception
    assert any("Published stoney-narrative-corrections version 1.0.0" in s.value.replace("\\", "")
               for s in at.success)
    from evalharness.suites import load_suite

    suite = load_suite(db.parent / "published")
    assert [i.narrative for i in suite.items] == ["The word is îjadaṯẖe: the broom."]
    assert suite.meta.provenance.reviewers == sorted([demo_db.ADMIN, demo_db.REVIEWER])


def test_viewing_can_require_sign_in(app, config_file: Path, db: Path) -> None:
    write_config(config_file, require_sign_in_to_view=True)
    at = app().run()
    assert at.title[0].value == "Please sign in" and not at.dataframe and not at.metric
    sign_in(at, demo_db.REVIEWER, demo_db.REVIEWER_PASSWORD)
    assert at.title[0].value == "Overview" and at.metric[0].value == demo_db.CHAMPION


def test_missing_results_file_is_explained(app, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EVALHARNESS_DB", str(tmp_path / "nothing-here.duckdb"))
    at = app().run()
    assert "There are no results to show yet" in texts(at)
    assert not (tmp_path / "nothing-here.duckdb").exists()  # looking never creates an empty file


def test_ask_page_is_listed_only_when_installed(app) -> None:
    at = app().run()
    titles = {info.get("page_name") or info.get("url_pathname") for info in at._registered_pages.values()}
    ask = ROOT / "dashboards" / "views" / "ask.py"
    assert ("Ask about the project" in titles) == ask.is_file()


def test_a_page_opened_first_on_a_fresh_server_still_gets_the_sidebar(fresh_app) -> None:
    """The first request for /review on a new server goes through app.py like every other."""
    at = fresh_app().run()
    goto(at, "review").run()
    assert not at.exception
    assert at.title[0].value == "Review answers"
    assert at.sidebar.text_input(key="sign_in_name")  # app.py ran: the sign-in form is there
    assert "Please sign in on the left" in texts(at)


def test_text_people_wrote_is_shown_as_typed() -> None:
    """Markdown characters in answers and corrections are escaped; Stoney letters pass through untouched."""
    import sys

    sys.path.insert(0, str(ROOT / "dashboards"))
    import ui_common

    assert ui_common.escape("*not bold* $5 <b>x</b>") == r"\*not bold\* \$5 \<b\>x\<\/b\>"
    assert ui_common.escape("îjadaṯẖe hûji ethen rhumnâ") == "îjadaṯẖe hûji ethen rhumnâ"
    assert ui_common.escape("line one\nline two") == "line one  \nline two"
