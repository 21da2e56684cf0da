"""Progress: what each reviewer did this week, what is waiting, and a thank-you. Admins also see how big and
how old the queue is."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui_common as ui
from evalharness.community.progress import progress


def render() -> None:
    st.title("Our progress")
    ui.page_start()
    who = ui.account()
    if who is None:
        st.info("Please sign in on the left to see your progress.")
        st.stop()
    settings = ui.settings().dashboard
    with ui.friendly_errors():
        p = progress(ui.store(), who.name, voices_needed=settings.ratings_per_answer, zone=ui.zone(),
                     spread=settings.disagreement_spread)
        if p.mine:
            st.success(f"Thank you, {ui.escape(who.name)}! This week you reviewed {p.mine} answer(s).")
        else:
            st.info(f"Welcome, {ui.escape(who.name)}. You have not reviewed any answers this week yet.")
        if p.waiting.for_reviewer:
            ui.next_step(f"{p.waiting.for_reviewer} answer(s) are waiting for you.", "review", "Review answers",
                         key="pg_next_review")
        else:
            st.write("Nothing is waiting for you right now. Thank you!")

        st.header("This week")
        st.caption(f"Since Monday, {ui.when(p.week_start)}.")
        if p.team:
            st.dataframe(pd.DataFrame(p.team, columns=["Reviewer", "Answers reviewed"]), hide_index=True)
        else:
            st.write("No answers have been reviewed this week yet.")

        if who.is_admin:
            st.header("The queue")
            c1, c2, c3 = st.columns(3)
            c1.metric("Answers needing reviewers", p.waiting.answers,
                      help=f"Answers rated by fewer than {settings.ratings_per_answer} people.")
            c2.metric("Corrections to decide", p.corrections_waiting)
            c3.metric("Disagreements to settle", p.disagreements)
            lines = []
            if p.waiting.answers:
                lines.append(f"The oldest answer in the queue has waited {ui.ago(p.waiting.oldest)} "
                             f"(since {ui.when(p.waiting.oldest)}).")
            if p.corrections_waiting:
                lines.append(f"The oldest correction has waited {ui.ago(p.oldest_correction)}.")
            for line in lines:
                st.write(line)
