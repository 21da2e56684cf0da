"""Corrections (admins): listen to and read reviewers' corrections, write down spoken ones, accept or reject
them, export them (recordings included), publish them as a test set."""

from __future__ import annotations

import streamlit as st

import ui_common as ui
from evalharness.community import exports, reviews
from evalharness.community.publish import publish_corrections
from evalharness.errors import EvalHarnessError, GovernanceError, StoreError
from evalharness.store import audio as audio_store

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
    message = {"accepted": "Accepted.", "rejected": "Rejected.", "pending": "Back to waiting."}[status]
    st.session_state["cr_flash"] = ("success", message + " Thank you.")
    st.toast(message)


def _transcribe(correction_id: str) -> None:
    text = st.session_state.get(f"cr_transcript_{correction_id}") or ""
    try:
        who = ui.require_account("admin")
        reviews.transcribe(ui.store(write=True), who.name, correction_id, text, session_version=who.session_version)
    except StoreError:
        st.session_state["cr_flash"] = ("error", "Not saved: the results file is busy. Your words are still in the "
                                                 "box — press the button again in a moment.")
        return
    except EvalHarnessError as exc:
        st.session_state["cr_flash"] = ("error", f"Not saved: {ui.escape(exc)}")
        return
    st.session_state.pop(f"cr_transcript_{correction_id}", None)
    st.session_state["cr_flash"] = ("success", "The transcript is saved as the correction's words.")
    st.toast("Transcript saved.")


def _recording(c, spoken, transcripts) -> None:
    """A spoken correction: play it, and write down what it says."""
    info = spoken[c.correction_id]
    found = audio_store.data(ui.store(), c.correction_id)
    if found is None:
        return
    seconds = f"{info.seconds:.0f} seconds, " if info.seconds else ""
    st.markdown(f"**The reviewer said** ({seconds}recorded {ui.when(info.created_at)})")
    st.audio(found[1], format=info.mime)
    if c.correction_id in transcripts:
        written, by, at = transcripts[c.correction_id]
        st.caption(ui.escape(f"Written down by {by} on {ui.when(at)}."))
        if written:
            ui.show_text("What the reviewer had written", written)
    with st.expander("Write down what the recording says" if not c.narrative else "Edit the written words"):
        key = f"cr_transcript_{c.correction_id}"
        if key not in st.session_state:
            st.session_state[key] = c.narrative
        st.text_area("Transcript (it becomes the correction's words)", key=key,
                     placeholder="Listen, then write here what was said.", height=140)
        ui.palette(key)
        st.button("Save the transcript", key=f"cr_save_transcript_{c.correction_id}", on_click=_transcribe,
                  args=(c.correction_id,))


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
        if counts["pending"]:
            st.markdown("**Next:** read the first correction below, listen to it if it was spoken, and accept or "
                        "reject it.")

        status = st.radio("Show", list(STATUS_WORDS), format_func=STATUS_WORDS.get, horizontal=True, key="cr_status")
        size = ui.settings().dashboard.page_size
        shown = reviews.list_corrections(ui.store(), status, limit=size)
        if not shown:
            st.info("Nothing here.")
        if counts[status] > len(shown):
            st.caption(f"Showing the oldest {len(shown)} of {counts[status]}.")
        spoken = audio_store.infos(ui.store(), [c.correction_id for c in shown])
        transcripts = audio_store.transcripts(ui.store(), [c.correction_id for c in shown])
        for c in shown:
            with st.container(border=True):
                st.caption(ui.escape(f"By {c.author}, {ui.when(c.created_at)}")
                           + (ui.escape(f" · {STATUS_WORDS[c.status].lower()} by {c.reviewed_by}, "
                                        f"{ui.when(c.reviewed_at)}") if c.reviewed_by else ""))
                ui.show_text("Question", c.prompt)
                ui.show_text("The model answered (to be replaced)", c.disallowed)
                if c.narrative or c.correction_id not in spoken:
                    ui.show_text("The reviewer's correction", c.narrative)
                if c.correction_id in spoken:
                    _recording(c, spoken, transcripts)
                if c.note:
                    st.caption(f"Note: {ui.escape(c.note)}")
                st.text_input("Note (optional, e.g. why it was rejected)", key=f"cr_note_{c.correction_id}")
                ui.palette(f"cr_note_{c.correction_id}")
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
            downloads = {fmt: exports.export(ui.store(), fmt, search_dirs=ui.suite_dirs())
                         for fmt in ("triplets", "openai-chat", "preference")}
        except GovernanceError as exc:
            st.warning("The downloads are training data, and not every test set they come from allows that: "
                       + ui.escape(exc))
        else:
            spoken_count = len(downloads["triplets"].recordings)
            if spoken_count:
                st.caption(f"{spoken_count} of them were spoken: each download is a zip file with the recordings "
                           "in an audio folder beside the lines.")
            columns = st.columns(3)
            for column, (fmt, label, key, help_text) in zip(columns, (
                    ("triplets", "Download triplets", "cr_dl_triplets",
                     "prompt, disallowed answer, narrative — also a valid test-set file"),
                    ("openai-chat", "Download chat fine-tuning file", "cr_dl_chat",
                     "OpenAI chat format: the question and the corrected answer"),
                    ("preference", "Download preference pairs", "cr_dl_pref",
                     "chosen = the correction, rejected = the model's answer"))):
                done = downloads[fmt]
                if done.recordings:
                    column.download_button(label + " (zip, with recordings)",
                                           exports.export_zip(ui.store(), fmt, search_dirs=ui.suite_dirs()),
                                           file_name=f"corrections-{fmt}.zip", mime="application/zip", key=key,
                                           help=help_text)
                else:
                    column.download_button(label + " (JSONL)" if fmt == "triplets" else label, done.jsonl(),
                                           file_name=f"corrections-{fmt}.jsonl", mime="application/jsonl", key=key,
                                           help=help_text)

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
