"""Ask about the project — the Gemini reviewer, with its opening assessment streaming in as the page opens.

Reached only through app.py (sign-in-to-view applies, as to every page). Settings come from the
environment, never `st.secrets`:
EVALHARNESS_CONFIG (config file, default ./evalharness.toml), EVALHARNESS_DB (store), GOOGLE_API_KEY or
GEMINI_API_KEY (without one: retrieval only), GOOGLE_GEMINI_BASE_URL (another endpoint, read by the SDK).
The page only calls `evalharness.reviewer`; all logic lives there. Everything the model or the documents
wrote is shown escaped: an answer cannot make the browser load an image or show a link.
"""

from __future__ import annotations

import os

import streamlit as st

import ui_common as ui
from evalharness.errors import EvalHarnessError

_STATE = "ask_reviewer"


def _start() -> dict:
    """One conversation per browser session, kept in session state (the SDK client lives inside it)."""
    if _STATE not in st.session_state:
        from evalharness.config import load_config
        from evalharness.reviewer import open_session

        config = load_config(os.environ.get("EVALHARNESS_CONFIG") or None)
        st.session_state[_STATE] = {"session": open_session(config), "messages": []}
    return st.session_state[_STATE]


def _show_sources(answer) -> None:
    if answer.status == "retrieval_only":
        return  # the retrieval-only text lists its passages itself
    title = "Sources cited" if answer.cited else "Passages given to the model (none cited explicitly)"
    with st.expander(f"{title} ({len(answer.sources)})"):
        scores = {r.passage.label: r.score for r in answer.passages}
        for source in answer.sources:
            score = f" — similarity {scores[source]:.2f}" if source in scores else ""
            st.markdown(f"- {ui.escape(source)}{score}")
    if answer.note:
        st.caption(ui.escape(answer.note))


def _reply(state: dict, reply, question: str | None) -> None:
    with st.chat_message("assistant"):
        st.write_stream(ui.escape(chunk) for chunk in reply)
        answer = reply.result()
        _show_sources(answer)
    state["messages"].append({"question": question, "answer": answer})


def _history(state: dict) -> None:
    for message in state["messages"]:
        if message["question"] is not None:
            with st.chat_message("user"):
                st.markdown(ui.escape(message["question"]))
        with st.chat_message("assistant"):
            st.markdown(ui.escape(message["answer"].text))
            _show_sources(message["answer"])


def render() -> None:
    ui.viewing_allowed()
    st.title("Ask about the project")
    st.caption("The reviewer has read this project's documents and its latest run and gate reports, and cites "
               "where each answer comes from. Suite items are never sent — only suite metadata and reports.")

    try:
        state = _start()
    except EvalHarnessError as exc:
        st.error(ui.escape(exc))
        st.stop()
    session = state["session"]
    if not session.has_model:
        st.info("No GOOGLE_API_KEY or GEMINI_API_KEY is set: retrieval only — the passages below are what the "
                "reviewer would read; no model answers.")

    _history(state)
    try:
        if not state["messages"]:
            _reply(state, session.assess(), None)
        question = st.chat_input("Ask a follow-up question")
        if question:
            with st.chat_message("user"):
                st.markdown(ui.escape(question))
            _reply(state, session.ask(question), question)
    except EvalHarnessError as exc:
        st.error(ui.escape(exc))
