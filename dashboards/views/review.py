"""Review: signed-in reviewers mark answers right or wrong, rate them, and correct them in writing or aloud.

Each answer goes to reviewers until `[dashboard] ratings_per_answer` people have rated it; a reviewer does not
see what the others said until they have given their own rating (blind). Answers most likely to be wrong come
first. A save that fails (for instance while a test run is writing the results file) is reported beside the
Save button, and the reviewer's words — and recording — are kept: nothing typed or said is lost.
"""

from __future__ import annotations

import streamlit as st

import ui_common as ui
from evalharness.community import audio, reviews
from evalharness.community.voices import others_after_mine
from evalharness.errors import EvalHarnessError, StoreError

NOT_SAID, RIGHT, WRONG = "Not said", "Right", "Wrong"
NOT_RATED = "Not rated"
CAS_WORDS = {1: "1 — not authentic", 2: "2", 3: "3 — partly", 4: "4", 5: "5 — fully authentic"}
FIELDS = ("verdict", "cas", "text", "note", "audio")


def _keys(run_id: str, item_id: str) -> dict[str, str]:
    return {k: f"rv_{k}_{run_id}_{item_id}" for k in FIELDS}


def _criterion_key(run_id: str, item_id: str, criterion: str) -> str:
    return f"rv_crit_{criterion}_{run_id}_{item_id}"


def _remember(run_id: str, item_id: str) -> None:
    """Keep a copy of what was typed outside the widgets, so leaving the page does not lose it."""
    keys = _keys(run_id, item_id)
    draft = st.session_state.setdefault("review_drafts", {}).setdefault((run_id, item_id), {})
    for name, key in keys.items():
        if name != "audio":
            draft[name] = st.session_state.get(key)
    for cid, _ in ui.rubric_criteria():
        draft[f"crit:{cid}"] = st.session_state.get(_criterion_key(run_id, item_id, cid))


def _recording(run_id: str, item_id: str) -> audio.AudioClip | None:
    """The recording just made in the widget, else one kept from a save that did not go through."""
    uploaded = st.session_state.get(_keys(run_id, item_id)["audio"])
    if uploaded is not None:
        limit = int(ui.settings().dashboard.max_recording_mb * 1e6)
        return audio.clip(uploaded.getvalue(), uploaded.type, max_bytes=limit)
    return st.session_state.get("review_drafts", {}).get((run_id, item_id), {}).get("audio")


def _flash(kind: str, text: str, item_id: str) -> None:
    st.session_state["review_flash"] = (kind, text)


def _save(run_id: str, item_id: str) -> None:
    keys = _keys(run_id, item_id)
    _remember(run_id, item_id)
    verdict = {RIGHT: "right", WRONG: "wrong"}.get(st.session_state.get(keys["verdict"]))
    cas = st.session_state.get(keys["cas"])
    text = st.session_state.get(keys["text"]) or ""
    note = st.session_state.get(keys["note"]) or ""
    grades = {cid: st.session_state.get(_criterion_key(run_id, item_id, cid)) for cid, _ in ui.rubric_criteria()}
    grades = {cid: int(g) for cid, g in grades.items() if g not in (None, NOT_RATED)}
    recording = None
    try:
        recording = _recording(run_id, item_id)
        account = ui.require_account("reviewer")  # removed, demoted or reset since sign-in: not saved
        # The whole save (reading the answer, then writing) waits at most write_timeout_seconds for the file.
        target = reviews.target(ui.store(write=True), run_id, item_id)
        if target is None:
            raise EvalHarnessError("this answer is no longer in the results file")
        saved = reviews.save_review(
            ui.store(write=True), account.name, target, verdict=verdict,
            cas_rating=None if cas in (None, NOT_RATED) else int(cas), narrative=text, note=note, criteria=grades,
            audio=recording, session_version=account.session_version)
    except StoreError:
        if recording is not None:
            st.session_state["review_drafts"][(run_id, item_id)]["audio"] = recording
        _flash("error", "Not saved yet: the results file is busy (a test run is writing to it). Your words and "
                        "your recording are kept — press Save again in a moment.", item_id)
        return
    except EvalHarnessError as exc:
        if recording is not None:
            st.session_state["review_drafts"][(run_id, item_id)]["audio"] = recording
        _flash("error", f"Not saved: {ui.escape(exc)}. Your words are still in the boxes.", item_id)
        return
    for key in keys.values():
        st.session_state.pop(key, None)
    for cid, _ in ui.rubric_criteria():
        st.session_state.pop(_criterion_key(run_id, item_id, cid), None)
    st.session_state.get("review_drafts", {}).pop((run_id, item_id), None)
    parts = [p for p, done in (("your rating", saved.rating_id),
                               ("your spoken correction" if recording is not None else "your correction",
                                saved.correction_id)) if done]
    message = f"Saved {' and '.join(parts)} at {ui.when(saved.saved_at, with_date=False)}. Thank you!"
    _flash("success", message, item_id)
    st.toast(message)


def _run_label(run) -> str:
    return f"{run['checkpoint_name']} — {run['suite_name']} {run['suite_version']} (tested {ui.when(run['started_at'])})"


def _others(who: str, run, row) -> None:
    """Blind first: what the other reviewers said appears only once this reviewer has rated the answer."""
    others = others_after_mine(ui.store(), who, str(run["suite_hash"]), row.item_id, row.answer)
    if others is None:
        if row.voices:
            st.caption(f"{row.voices} other reviewer(s) have rated this answer. You will see what they said after "
                       "you give your own rating.")
        return
    with st.expander(f"What other reviewers said ({len(others)})"):
        if not others:
            st.write("Nobody else has rated this answer yet.")
        for v in others:
            verdict = {"right": "right", "wrong": "wrong"}.get(v.verdict or "", "did not say right or wrong")
            line = f"**{ui.escape(v.rater)}**: {verdict}; authenticity {v.cas_rating or 'not rated'}"
            st.markdown(line + (f" — {ui.escape(v.note)}" if v.note else ""))


def render() -> None:
    st.title("Review answers")
    db = ui.page_start()
    who = ui.account()
    if who is None:
        st.info("Please sign in below to review answers. Anyone can look at the other pages; saving a review "
                "needs an account so that your name goes with your words.")
        ui.sign_in_form()
        st.stop()
    settings = ui.settings().dashboard
    voices = settings.ratings_per_answer

    with ui.friendly_errors():
        runs = ui.reviewable_runs(db)
        if runs.empty:
            st.info("There are no answers to review yet.")
            st.stop()
        runs = runs.assign(shown=[_run_label(r) for _, r in runs.iterrows()])
        run_label = st.selectbox("Which model's answers", list(runs["shown"]), key="rv_run",
                                 help="Each test run is one model answering one test set.")
        run = runs[runs["shown"] == run_label].iloc[0]
        run_id = str(run["run_id"])
        metric = reviews.queue_metric(ui.store(), run_id, settings.queue_metric)
        counts = reviews.queue_counts(ui.store(), run_id, who.name, voices=voices)
        include_done = st.checkbox("Also show answers I have already reviewed", key="rv_include_done")
        queue = reviews.review_queue(ui.store(), run_id, who.name, metric=metric or settings.queue_metric,
                                     limit=settings.page_size, include_done=include_done, voices=voices)
        st.progress(counts.done / counts.answers if counts.answers else 0.0,
                    text=f"You have reviewed {counts.done} of {counts.answers} answers of this model. "
                         f"{counts.waiting} still wait for you.")
        if counts.no_answer:
            st.caption(f"{counts.no_answer} question(s) got no answer from this model; there is nothing to rate for "
                       "those.")

        flash = st.session_state.get("review_flash")
        if not queue:
            if flash:
                getattr(st, flash[0])(flash[1])
                st.session_state.pop("review_flash", None)
            st.success(f"Every answer of this model has been reviewed by you or by {voices} people. Thank you!")
            ui.next_step("see how the reviewing is going, or pick another model above.", "progress",
                         "See our progress", key="rv_next_progress")
            st.stop()

        labels = [f"{n}. {r.prompt[:70]}" + (" (you reviewed this)" if r.done else "")
                  for n, r in enumerate(queue, start=1)]
        pick = st.selectbox("Answer to review", labels, key=f"rv_pick_{run_id}_{counts.done}_{include_done}",
                            help="The answers most likely to be wrong come first.")
        row = queue[labels.index(pick)]
        item_id = row.item_id
        keys = _keys(run_id, item_id)
        draft = st.session_state.get("review_drafts", {}).get((run_id, item_id), {})
        for name, value in draft.items():
            key = (_criterion_key(run_id, item_id, name.split(":", 1)[1]) if name.startswith("crit:")
                   else keys.get(name))
            if key and name != "audio" and key not in st.session_state and value is not None:
                st.session_state[key] = value  # bring back what was typed before leaving the page

        ui.show_text("Question", row.prompt)
        if row.disallowed is not None:
            ui.show_text("A flawed answer (what the model should not say)", row.disallowed)
            ui.show_text("The right answer, with its story", row.narrative or row.reference)
        else:
            ui.show_text("Expected answer (from the test set)", row.reference)
        ui.show_text(f"The model ({run['checkpoint_name']}) answered", row.answer, empty="(an empty answer)")
        why = []
        if row.unstable:
            why.append("the AI judge gave different verdicts on different tries")
        if row.score is None:
            why.append("no score could be measured for this answer")
        elif metric:
            why.append(f"{ui.metric_label(metric)} score {row.score:.1f} of 100 — "
                       f"{ui.plain.metric_words(metric)}")
        with st.expander("Why this answer is here"):
            st.write("; ".join(why).capitalize() + "." if why else "It is next in the queue.")
        if row.done:
            previous = reviews.my_reviews(ui.store(), who.name, run_id, item_id)
            with st.expander(f"What you said before about this answer ({len(previous)})"):
                for p in previous.itertuples():
                    if p.kind == "rating":
                        st.write(f"{ui.when(p.created_at)}: {p.verdict or 'no verdict'}, "
                                 f"authenticity {p.cas_rating or 'not rated'}")
                    else:
                        st.markdown(f"{ui.when(p.created_at)} (correction): {ui.escape(p.narrative)}")
        _others(who.name, run, row)

        st.subheader("Your review")
        st.radio("Is the model's answer right?", [NOT_SAID, RIGHT, WRONG], key=keys["verdict"], horizontal=True,
                 on_change=_remember, args=(run_id, item_id))
        st.radio("Cultural authenticity (1 = not authentic, 5 = fully authentic)", [NOT_RATED, 1, 2, 3, 4, 5],
                 key=keys["cas"], horizontal=True, format_func=lambda v: CAS_WORDS.get(v, v),
                 on_change=_remember, args=(run_id, item_id),
                 help="Does it sound like the Stoney language and respect the culture it speaks about?")
        criteria = ui.rubric_criteria()
        if criteria:
            with st.expander("Rate each part (optional)"):
                for cid, name in criteria:
                    st.radio(name, [NOT_RATED, 1, 2, 3, 4, 5], key=_criterion_key(run_id, item_id, cid),
                             horizontal=True, on_change=_remember, args=(run_id, item_id))
        st.text_input("A note about your rating (optional)", key=keys["note"], on_change=_remember,
                      args=(run_id, item_id))
        ui.palette(keys["note"])
        st.text_area("Correction: write the right answer, with its story or context (optional)", key=keys["text"],
                     height=160, on_change=_remember, args=(run_id, item_id),
                     help="An admin reads every correction. Accepted ones become new test items and training examples.")
        ui.palette(keys["text"])
        st.audio_input("Or say the correction out loud (optional)", key=keys["audio"], sample_rate=16000,
                       help="Press the microphone, speak, press stop. The recording stays on this server with your "
                            "correction; it is never sent to any outside service.")
        kept = draft.get("audio")
        if kept is not None and st.session_state.get(keys["audio"]) is None:
            st.caption("Your recording from before is kept and will be saved with this review:")
            st.audio(kept.data, format=kept.mime)
        st.button("Save", type="primary", key=f"rv_save_{run_id}_{item_id}", on_click=_save, args=(run_id, item_id))
        if flash:  # right under the button the reviewer just pressed
            getattr(st, flash[0])(flash[1])
            st.session_state.pop("review_flash", None)
