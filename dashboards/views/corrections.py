"""Corrections (admins): accept or reject reviewers' corrections, export them, publish them as a test set."""

from __future__ import annotations

import streamlit as st

import ui_common as ui
from evalharness.community import exports, reviews
from evalharness.community.publish import publish_corrections
from evalharness.errors import EvalHarnessError, GovernanceError, StoreError

STATUS_WORDS = {"pending": "Waiting for a decision", "accepted": "Accepted", "rejected": "Rejected"}


def _decide(correction_id: str, status: str) -> None:
    note = st.session_state.get(f"cr_note_{correction_id}") or None
    try:
        who = ui.require_account("admin")  # the account as it is now, not as it was when the page was drawn
        reviews.review_correction(ui.store(write=True), who.name, correction_id, status, note,
                                  session_version=who.session_version)
    except StoreError:
        st.session_state["cr_flash"] = ("error", "Not saved: the results file is busy (a test run is writing). "
                                                 "Nothing changed — press the button again in a moment.")
        return
    except EvalHarnessError as exc:
        st.session_state["cr_flash"] = ("error", f"Not saved: {ui.escape(exc)}")
        return
    st.session_state.pop(f"cr_note_{correction_id}", None)
    st.session_state["cr_flash"] = ("success", f"Correction {ui.escape(correction_id)}: "
                                               f"{STATUS_WORDS[status].lower()}.")


def render() -> None:
    st.title("Corrections")
    ui.page_start()
    who = ui.account()
    if who is None or not who.is_admin:
        st.info("Only an admin can accept or reject corrections. Please sign in as an admin.")
        st.stop()

    with ui.friendly_errors():
        flash = st.session_state.pop("cr_flash", None)
        if flash:
            getattr(st, flash[0])(flash[1])
        counts = reviews.correction_counts(ui.store())
        c1, c2, c3 = st.columns(3)
        c1.metric("Waiting", counts["pending"])
        c2.metric("Accepted", counts["accepted"])
        c3.metric("Rejected", counts["rejected"])

        status = st.radio("Show", list(STATUS_WORDS), format_func=STATUS_WORDS.get, horizontal=True, key="cr_status")
        size = ui.settings().dashboard.page_size
        shown = reviews.list_corrections(ui.store(), status, limit=size)
        if not shown:
            st.info("Nothing here.")
        if counts[status] > len(shown):
            st.caption(f"Showing the oldest {len(shown)} of {counts[status]}.")
        for c in shown:
            with st.container(border=True):
                st.caption(ui.escape(f"{c.correction_id} · item {c.item_id} · written by {c.author} on "
                                     f"{c.created_at:%Y-%m-%d %H:%M}")
                           + (ui.escape(f" · {c.status} by {c.reviewed_by} on {c.reviewed_at:%Y-%m-%d %H:%M}")
                              if c.reviewed_by else ""))
                ui.show_text("Question", c.prompt)
                ui.show_text("The model answered (to be replaced)", c.disallowed)
                ui.show_text("The reviewer's correction", c.narrative)
                if c.note:
                    st.caption(f"Note: {ui.escape(c.note)}")
                st.text_input("Note (optional, e.g. why it was rejected)", key=f"cr_note_{c.correction_id}")
                b1, b2, b3 = st.columns(3)
                if c.status != "accepted":
                    b1.button("Accept", key=f"cr_accept_{c.correction_id}", type="primary", on_click=_decide,
                              args=(c.correction_id, "accepted"))
                if c.status != "rejected":
                    b2.button("Reject", key=f"cr_reject_{c.correction_id}", on_click=_decide,
                              args=(c.correction_id, "rejected"))
                if c.status != "pending":
                    b3.button("Back to waiting", key=f"cr_pending_{c.correction_id}", on_click=_decide,
                              args=(c.correction_id, "pending"))

        st.header("Use the accepted corrections")
        if counts["accepted"] == 0:
            st.info("Accept some corrections first; then they can be downloaded and published here.")
            st.stop()
        st.write(f"{counts['accepted']} accepted correction(s).")
        try:
            ui.require_account("admin")  # checked again before anything is exported
            downloads = {fmt: exports.export_text(ui.store(), fmt, search_dirs=ui.suite_dirs())
                         for fmt in ("triplets", "openai-chat", "preference")}
        except GovernanceError as exc:
            st.warning("The downloads are training data, and not every test set they come from allows that: "
                       + ui.escape(exc))
        else:
            d1, d2, d3 = st.columns(3)
            d1.download_button("Download triplets (JSONL)", downloads["triplets"],
                               file_name="corrections-triplets.jsonl", mime="application/jsonl", key="cr_dl_triplets",
                               help="prompt, disallowed answer, narrative — also a valid test-set file")
            d2.download_button("Download chat fine-tuning file", downloads["openai-chat"],
                               file_name="corrections-openai-chat.jsonl", mime="application/jsonl", key="cr_dl_chat",
                               help="OpenAI chat format: the question and the corrected answer")
            d3.download_button("Download preference pairs", downloads["preference"],
                               file_name="corrections-preference.jsonl", mime="application/jsonl", key="cr_dl_pref",
                               help="chosen = the correction, rejected = the model's answer")

        st.subheader("Publish as a new version of the corrections test set")
        config = ui.settings()
        # Name and folder come from the server's config only: a browser never chooses where files are written.
        name = config.dashboard.corrections_suite
        folder = config.resolve(config.dashboard.corrections_suite_dir)
        st.write(f"Test set **{ui.escape(name)}**, written to the folder the server's settings name for it.")
        if st.button("Publish a new version", key="cr_publish"):
            try:
                admin = ui.require_account("admin")
                result = publish_corrections(ui.store(write=True), folder, name=name, published_by=admin.name,
                                             search_dirs=ui.suite_dirs())
            except StoreError:
                st.error("Not published: the results file is busy. Nothing was written; try again in a moment.")
            except EvalHarnessError as exc:
                st.error(f"Not published: {ui.escape(exc)}")
            else:
                ui.clear_caches()
                if result.changed:
                    st.success(ui.escape(f"Published {result.suite.name} version {result.suite.meta.version} with "
                                         f"{result.n_items} items ({result.n_added} new, {result.n_removed} removed); "
                                         "allowed uses: "
                                         f"{', '.join(result.suite.meta.governance.allowed_uses) or 'none'}."))
                else:
                    st.info(ui.escape(f"Nothing new: version {result.previous_version} already holds every "
                                      "accepted correction."))
