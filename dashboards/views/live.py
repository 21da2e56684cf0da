"""Live answers: what the app in use actually said to people (imported from its logs, with consent), rated by
signed-in reviewers. Their ratings make the live quality series on the Monitor page."""

from __future__ import annotations

import streamlit as st

import ui_common as ui
from evalharness.errors import EvalHarnessError, StoreError
from evalharness.monitor import live as live_answers

NOT_SAID, RIGHT, WRONG = "Not said", "Right", "Wrong"
NOT_RATED = "Not rated"
CAS_WORDS = {1: "1 — not authentic", 2: "2", 3: "3 — partly", 4: "4", 5: "5 — fully authentic"}


def _keys(live_id: str) -> dict[str, str]:
    return {k: f"lv_{k}_{live_id}" for k in ("verdict", "cas", "text")}


def _save(live_id: str) -> None:
    keys = _keys(live_id)
    verdict = {RIGHT: "right", WRONG: "wrong"}.get(st.session_state.get(keys["verdict"]))
    cas = st.session_state.get(keys["cas"])
    try:
        account = ui.require_account("reviewer")  # removed, demoted or reset since sign-in: not saved
        saved = live_answers.save_review(ui.store(write=True), account.name, live_id, verdict=verdict,
                                         cas_rating=None if cas in (None, NOT_RATED) else int(cas),
                                         narrative=st.session_state.get(keys["text"]) or "",
                                         session_version=account.session_version)
    except StoreError:
        st.session_state["live_flash"] = ("error", "Not saved yet: the results file is busy. Your words are still in "
                                                   "the boxes below — press Save again in a moment.")
        return
    except EvalHarnessError as exc:
        st.session_state["live_flash"] = ("error", f"Not saved: {ui.escape(exc)}. Your words are still in the "
                                                   "boxes below.")
        return
    for key in keys.values():
        st.session_state.pop(key, None)
    st.session_state["live_flash"] = ("success", f"Saved at {saved:%H:%M} as {ui.escape(account.name)}. Thank you.")


def render() -> None:
    st.title("Live answers")
    st.write("Answers the app gave to real questions, taken from its logs where the person agreed. Please mark each "
             "one right or wrong, and say how authentic it sounds.")
    db = ui.page_start()
    who = ui.account()
    if who is None:
        st.info("Please sign in on the left to review live answers.")
        st.stop()

    with ui.friendly_errors():
        include_done = st.checkbox("Also show answers I have already reviewed", key="lv_include_done")
        queue, counts = live_answers.queue(ui.store(), who.name, limit=ui.settings().dashboard.page_size,
                                           include_done=include_done)
        st.progress(counts["done"] / counts["answers"] if counts["answers"] else 0.0,
                    text=f"You have reviewed {counts['done']} of {counts['answers']} live answers.")
        flash = st.session_state.pop("live_flash", None)
        if flash:
            getattr(st, flash[0])(flash[1])
        if not queue:
            st.success("No live answers are waiting for you." if counts["answers"] else
                       "No live answers have been imported yet (`evalharness monitor import-log`).")
            st.stop()
        labels = [f"{item.day or 'undated'} — {item.question[:70]}" + (" (reviewed)" if done else "")
                  for item, done in queue]
        pick = st.selectbox("Answer to review", labels, key=f"lv_pick_{counts['done']}_{include_done}")
        item, _ = queue[labels.index(pick)]
        keys = _keys(item.live_id)
        ui.show_text("Question someone asked", item.question)
        ui.show_text(f"The app ({item.endpoint_name}) answered", item.answer)
        st.caption(f"Logged {item.logged_at:%Y-%m-%d %H:%M} UTC" if item.logged_at else "Logged at an unknown time")
        st.radio("Is the answer right?", [NOT_SAID, RIGHT, WRONG], key=keys["verdict"], horizontal=True)
        st.radio("Cultural authenticity (1 = not authentic, 5 = fully authentic)", [NOT_RATED, 1, 2, 3, 4, 5],
                 key=keys["cas"], horizontal=True, format_func=lambda v: CAS_WORDS.get(v, v))
        st.text_area("Correction: the right answer, with its story or context (optional)", key=keys["text"], height=140)
        st.button("Save", type="primary", key=f"lv_save_{item.live_id}", on_click=_save, args=(item.live_id,))
