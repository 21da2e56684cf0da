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
_SHOWN_PASSAGES = 3
EXAMPLES = ("How do I review an answer?", "What does the release check decide?",
            "Who may use the test sets, and for what?")


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
        return  # shown as readable passages instead
    title = "Sources cited" if answer.cited else "Passages given to the model (none cited explicitly)"
    with st.expander(f"{title} ({len(answer.sources)})"):
        scores = {r.passage.label: r.score for r in answer.passages}
        for source in answer.sources:
            score = f" — similarity {scores[source]:.2f}" if source in scores else ""
            st.markdown(f"- {ui.escape(source)}{score}")
    if answer.note:
        st.caption(ui.escape(answer.note))


def _readable(text: str) -> str:
    """A passage as prose: table rules dropped, table cells joined, spaces collapsed."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if set(stripped) <= set("|-: ") and "-" in stripped:
            continue  # a Markdown table's rule line
        if stripped.startswith("|"):
            stripped = " · ".join(cell.strip() for cell in stripped.strip("|").split("|") if cell.strip())
        lines.append(stripped)
    return " ".join(" ".join(lines).split())


def _passages(answer, intro: str = "No assistant is switched on here, so here is what the project's guides say "
                                    "about it:") -> None:
    """Without a model: the few best passages from the guides, readable, best first — not raw search output."""
    docs = [r for r in answer.passages if r.passage.kind in ("doc", "rubric", "suite_meta")][:_SHOWN_PASSAGES]
    if not docs:
        st.write("The guides do not seem to say anything about that. Try other words.")
        return
    st.write(intro)
    for ranked in docs:
        passage = ranked.passage
        where = " › ".join(passage.heading) or passage.source
        with st.container(border=True):
            st.markdown(f"**{ui.escape(where)}**")
            text = _readable(passage.text)
            st.markdown(ui.escape(text if len(text) <= 700 else text[:700].rsplit(" ", 1)[0] + " …"))
            st.caption(ui.escape(f"From {passage.source}"))


def _model_text(reply):
    """The model's words as they stream; when no model answered, nothing here (readable passages follow)."""
    for chunk in reply:
        if chunk.startswith("**No model answered.**"):
            for _ in reply:
                pass
            return
        yield ui.escape(chunk)


def _reply(state: dict, reply, question: str | None, *, has_model: bool) -> None:
    with st.chat_message("assistant"):
        if has_model:
            st.write_stream(_model_text(reply))
            answer = reply.result()
            if answer.status == "retrieval_only":
                _passages(answer, "The assistant could not answer just now, so here is what the project's guides "
                                  "say about it:")
            _show_sources(answer)
        else:
            answer = reply.result()
            _passages(answer)
    state["messages"].append({"question": question, "answer": answer})


def _history(state: dict) -> None:
    for message in state["messages"]:
        if message["question"] is not None:
            with st.chat_message("user"):
                st.markdown(ui.escape(message["question"]))
        with st.chat_message("assistant"):
            if message["answer"].status == "retrieval_only":
                _passages(message["answer"])
            else:
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
        st.info("The assistant that writes answers is not switched on here (the server has no key for it). You can "
                "still ask: the page then shows what the project's guides say about your question.")

    _history(state)
    try:
        if not state["messages"] and session.has_model:
            _reply(state, session.assess(), None, has_model=True)
        if not state["messages"] and not session.has_model:
            st.caption("For example: " + " · ".join(EXAMPLES))
        with st.container():
            question = st.chat_input("Type your question", key="ask_question")
            ui.palette("ask_question")
        if question:
            from evalharness.jsonl import nfc

            question = nfc(question)
            with st.chat_message("user"):
                st.markdown(ui.escape(question))
            _reply(state, session.ask(question), question, has_model=session.has_model)
    except EvalHarnessError as exc:
        st.error(ui.escape(exc))
