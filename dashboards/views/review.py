"""Review: signed-in reviewers mark answers right or wrong, rate cultural authenticity, and write corrections.

Answers most likely to be wrong come first. A save that fails (for instance while a test run is writing
the results file) is reported and the reviewer's words stay in the boxes — nothing typed is lost.
"""

from __future__ import annotations

import streamlit as st

import ui_common as ui
from evalharness.community import reviews
from evalharness.errors import EvalHarnessError, StoreError

NOT_SAID, RIGHT, WRONG = "Not said", "Right", "Wrong"
NOT_RATED = "Not rated"
CAS_WORDS = {1: "1 — not authentic", 2: "2", 3: "3 — partly", 4: "4", 5: "5 — fully authentic"}


def _keys(run_id: str, item_id: str) -> dict[str, str]:
    return {k: f"rv_{k}_{run_id}_{item_id}" for k in ("verdict", "cas", "text")}


def _remember(run_id: str, item_id: str) -> None:
    """Keep a copy of what was typed outside the widgets, so leaving the page does not lose it."""
    keys = _keys(run_id, item_id)
    st.session_state.setdefault("review_drafts", {})[(run_id, item_id)] = {
        k: st.session_state.get(key) for k, key in keys.items()}


def _save(run_id: str, item_id: str) -> None:
    keys = _keys(run_id, item_id)
    _remember(run_id, item_id)
    verdict = {RIGHT: "right", WRONG: "wrong"}.get(st.session_state.get(keys["verdict"]))
    cas = st.session_state.get(keys["cas"])
    text = st.session_state.get(keys["text"]) or ""
    try:
        account = ui.require_account("reviewer")  # removed, demoted or reset since sign-in: not saved
        # The whole save (reading the answer, then writing) waits at most write_timeout_seconds for the file.
        target = reviews.target(ui.store(write=True), run_id, item_id)
        if target is None:
            raise EvalHarnessError("this answer is no longer in the results file")
        saved = reviews.save_review(ui.store(write=True), account.name, target, verdict=verdict,
                                    cas_rating=None if cas in (None, NOT_RATED) else int(cas),
                                    narrative=text, session_version=account.session_version)
    except StoreError:
        st.session_state["review_flash"] = (
            "error", "Not saved yet: the results file is busy (a test run is writing to it). Your words are still "
                     "in the boxes below — press Save again in a moment.")
        return
    except EvalHarnessError as exc:
        st.session_state["review_flash"] = ("error", f"Not saved: {ui.escape(exc)}. Your words are still in the "
                                                     "boxes below.")
        return
    for key in keys.values():
        st.session_state.pop(key, None)
    st.session_state.get("review_drafts", {}).pop((run_id, item_id), None)
    parts = [p for p, done in (("your rating", saved.rating_id), ("your correction", saved.correction_id)) if done]
    st.session_state["review_flash"] = (
        "success", f"Saved {' and '.join(parts)} at {saved.saved_at:%H:%M} as {ui.escape(account.name)}. Thank you.")


def render() -> None:
    st.title("Review answers")
    db = ui.page_start()
    who = ui.account()
    if who is None:
        st.info("Please sign in on the left to review answers. Anyone can look at the other pages; saving a review "
                "needs an account so that your name goes with your words.")
        st.stop()

    with ui.friendly_errors():
        runs = ui.reviewable_runs(db)
        if runs.empty:
            st.info("There are no answers to review yet.")
            st.stop()
        run_label = st.selectbox("Which model's answers", list(runs["label"]), key="rv_run",
                                 help="Each test run is one model answering one test set.")
        run = runs[runs["label"] == run_label].iloc[0]
        run_id = str(run["run_id"])
        preferred = ui.settings().dashboard.queue_metric
        metric = reviews.queue_metric(ui.store(), run_id, preferred)
        counts = reviews.queue_counts(ui.store(), run_id, who.name)
        include_done = st.checkbox("Also show answers I have already reviewed", key="rv_include_done")
        queue = reviews.review_queue(ui.store(), run_id, who.name, metric=metric or preferred,
                                     limit=ui.settings().dashboard.page_size, include_done=include_done)
        st.progress(counts["done"] / counts["answers"] if counts["answers"] else 0.0,
                    text=f"You have reviewed {counts['done']} of {counts['answers']} answers in this run.")
        if counts["no_answer"]:
            st.caption(f"{counts['no_answer']} item(s) got no answer from the model (it failed); there is nothing to "
                       "rate for those.")
        st.caption("Answers most likely to be wrong come first"
                   + (f" (lowest {ui.metric_label(metric)} score first)." if metric else "."))

        flash = st.session_state.pop("review_flash", None)
        if flash:
            getattr(st, flash[0])(flash[1])
        if queue.empty:
            st.success("You have reviewed every answer in this run. Thank you!")
            st.stop()

        labels = [f"{r.item_id} — {r.prompt[:70]}" + (" (reviewed)" if r.done else "") for r in queue.itertuples()]
        pick = st.selectbox("Answer to review", labels, key=f"rv_pick_{run_id}_{counts['done']}_{include_done}")
        row = queue.iloc[labels.index(pick)]
        item_id = str(row["item_id"])
        keys = _keys(run_id, item_id)
        for name, value in st.session_state.get("review_drafts", {}).get((run_id, item_id), {}).items():
            if keys[name] not in st.session_state and value is not None:
                st.session_state[keys[name]] = value  # bring back what was typed before leaving the page

        ui.show_text("Question", row["prompt"])
        ui.show_text("Expected answer (from the test set)", row["reference"])
        ui.show_text(f"The model ({run['checkpoint_name']}) answered", row["answer"], empty="(an empty answer)")
        notes = []
        if bool(row["unstable"]):
            notes.append("the judge gave different verdicts on different tries")
        if row["score"] is None or row["score"] != row["score"]:
            notes.append("no score could be measured for this answer")
        elif metric:
            notes.append(f"{ui.metric_label(metric)} score {row['score']:.1f} of 100")
        st.caption("; ".join(notes))

        previous = reviews.my_reviews(ui.store(), who.name, run_id, item_id)
        if not previous.empty:
            with st.expander(f"What you said before about this answer ({len(previous)})"):
                for p in previous.itertuples():
                    if p.kind == "rating":
                        st.write(f"{p.created_at:%Y-%m-%d %H:%M}: {p.verdict or 'no verdict'}, "
                                 f"authenticity {p.cas_rating or 'not rated'}")
                    else:
                        st.markdown(f"{p.created_at:%Y-%m-%d %H:%M} (correction, {p.status}): {ui.escape(p.narrative)}")

        st.subheader("Your review")
        st.radio("Is the model's answer right?", [NOT_SAID, RIGHT, WRONG], key=keys["verdict"], horizontal=True,
                 on_change=_remember, args=(run_id, item_id))
        st.radio("Cultural authenticity (1 = not authentic, 5 = fully authentic)", [NOT_RATED, 1, 2, 3, 4, 5],
                 key=keys["cas"], horizontal=True, format_func=lambda v: CAS_WORDS.get(v, v),
                 on_change=_remember, args=(run_id, item_id),
                 help="Does it sound like the Stoney language and respect the culture it speaks about?")
        st.text_area("Correction: write the right answer, with its story or context (optional)", key=keys["text"],
                     height=160, on_change=_remember, args=(run_id, item_id),
                     help="An admin reads every correction. Accepted ones become new test items and training examples.")
        st.button("Save", type="primary", key=f"rv_save_{run_id}_{item_id}", on_click=_save, args=(run_id, item_id))
