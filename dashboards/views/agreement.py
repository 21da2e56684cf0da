"""Agreement: do reviewers agree with each other? Krippendorff's α per criterion, and (for admins) the answers
reviewers disagreed on, to settle.

Ratings are blind — nobody sees the others' before giving their own — so agreement here is real agreement.
Plain words first; the numbers (α, its 95% interval, how many answers and reviewers) one click away.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui_common as ui
from evalharness.community import voices
from evalharness.errors import EvalHarnessError, StoreError

NOT_SAID = "Not said"
VERDICTS = {NOT_SAID: None, "Right": "right", "Wrong": "wrong"}
NOT_RATED = "Not rated"


def _settle(index: int) -> None:
    found = st.session_state.get("ag_open", [])
    if index >= len(found):
        return
    disagreement = found[index]
    verdict = VERDICTS.get(st.session_state.get(f"ag_verdict_{index}") or NOT_SAID)
    grade = st.session_state.get(f"ag_cas_{index}")
    note = st.session_state.get(f"ag_note_{index}") or None
    try:
        who = ui.require_account("admin")
        voices.settle(ui.store(write=True), who.name, disagreement, verdict=verdict,
                      cas_rating=None if grade in (None, NOT_RATED) else int(grade), note=note,
                      session_version=who.session_version)
    except StoreError:
        st.session_state["ag_flash"] = ("error", "Not saved: the results file is busy; press Settle again in a moment.")
        return
    except EvalHarnessError as exc:
        st.session_state["ag_flash"] = ("error", f"Not saved: {ui.escape(exc)}")
        return
    for key in (f"ag_verdict_{index}", f"ag_cas_{index}", f"ag_note_{index}"):
        st.session_state.pop(key, None)
    ui.clear_caches()
    st.session_state["ag_flash"] = ("success", "Settled. The AI judge will be checked against your rating for "
                                               "this answer. Thank you.")
    st.toast("Settled.")


def _numbers(results: list[voices.Agreement]) -> None:
    rows = [{"what": a.criterion.label,
             "α": None if a.alpha is None else round(a.alpha, 3),
             "95% interval": "—" if a.low is None or a.high is None else f"{a.low:.2f} to {a.high:.2f}",
             "answers with 2+ reviewers": a.n_answers, "reviewers": a.n_raters, "ratings": a.n_ratings,
             "why not measured": a.reason or ""} for a in results]
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    first = results[0] if results else None
    st.caption("Krippendorff's α (the `krippendorff` package): 1 means reviewers always agree, 0 means no more "
               "than chance, below 0 means they disagree on purpose. Right/wrong is compared as categories, "
               "grades 1–5 as ordered values. The interval comes from "
               + (f"{first.n_resamples} seeded bootstrap resamples of the answers (seed {first.seed})" if first
                  else "a seeded bootstrap over the answers")
               + ". Krippendorff advises relying on α ≥ 0.8 and drawing only tentative conclusions from 0.667–0.8.")


def _disagreements(spread: int) -> None:
    st.header("Answers to settle")
    flash = st.session_state.pop("ag_flash", None)
    if flash:
        getattr(st, flash[0])(flash[1])
    found = voices.open_disagreements(ui.store(), spread=spread)
    st.session_state["ag_open"] = found
    if not found:
        st.success("No answer is waiting to be settled.")
        return
    st.markdown(f"**Next:** read the first answer below, decide, and press Settle. {len(found)} answer(s) wait.")
    for index, d in enumerate(found[:20]):
        with st.container(border=True):
            st.caption(ui.escape(d.why.capitalize()))
            if d.prompt:
                ui.show_text("Question", d.prompt)
            ui.show_text("The model answered", d.answer, empty="(an empty answer)")
            for v in d.voices:
                verdict = v.verdict or "did not say right or wrong"
                st.markdown(f"- **{ui.escape(v.rater)}** ({ui.when(v.created_at)}): {verdict}; authenticity "
                            f"{v.cas_rating or 'not rated'}" + (f" — {ui.escape(v.note)}" if v.note else ""))
            st.radio("Is it right?", list(VERDICTS), key=f"ag_verdict_{index}", horizontal=True)
            st.radio("Cultural authenticity", [NOT_RATED, 1, 2, 3, 4, 5], key=f"ag_cas_{index}", horizontal=True)
            st.text_input("Why (optional)", key=f"ag_note_{index}")
            ui.palette(f"ag_note_{index}")
            st.button("Settle", key=f"ag_settle_{index}", type="primary" if index == 0 else "secondary",
                      on_click=_settle, args=(index,))


def render() -> None:
    st.title("Do reviewers agree?")
    db = ui.page_start()
    settings = ui.settings().dashboard
    st.write(f"Each answer goes to {settings.ratings_per_answer} reviewers, and nobody sees the others' ratings "
             "before giving their own. When reviewers agree, their ratings can be trusted as the yardstick the AI "
             "judge is checked against.")
    with ui.friendly_errors():
        results = ui.agreements(db, ui.rubric_criteria(), settings.agreement_resamples)
        for a in results:
            with st.container(border=True):
                st.markdown(f"**{ui.escape(a.criterion.label)}** — {a.words}")
                if a.alpha is None:
                    st.caption(ui.escape(f"Not measured yet: {a.reason}."))
                else:
                    st.caption(f"From {a.n_answers} answers rated by two or more of {a.n_raters} reviewers "
                               f"(α = {a.alpha:.2f}).")
        with st.expander("The numbers"):
            _numbers(results)
        who = ui.account()
        if who is not None and who.is_admin:
            _disagreements(settings.disagreement_spread)
        elif who is not None:
            ui.next_step("review more answers — every second opinion makes these numbers firmer.", "review",
                         "Review answers", key="ag_next_review")
