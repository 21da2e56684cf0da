"""Item: one question in full — the expected answer, every model's answer, all scores, the judge's reasons."""

from __future__ import annotations

import streamlit as st

import ui_common as ui
from evalharness.community.items import score_table


def render() -> None:
    st.title("One item in full")
    db = ui.page_start()

    with ui.friendly_errors():
        suites = ui.suites(db)
        if not suites:
            st.info("No test sets have been recorded yet.")
            st.stop()
        ref = st.session_state.get("item_ref")
        params = st.query_params
        if params.get("suite") and params.get("item"):
            match = [s.suite_hash for s in suites if s.suite_hash.startswith(params["suite"])]
            if match:
                ref = (match[0], params["item"])
        labels = [f"{s.name} {s.version}" for s in suites]
        hashes = [s.suite_hash for s in suites]
        col1, col2 = st.columns([1, 2])
        suite_index = hashes.index(ref[0]) if ref and ref[0] in hashes else 0
        suite_label = col1.selectbox("Test set", labels, index=suite_index, key="item_suite")
        suite_hash = hashes[labels.index(suite_label)]
        search = col2.text_input("Search the questions and answers (optional)", key="item_search")
        found = ui.find_items(db, suite_hash, search)
        if not found:
            st.info("No item matches that search.")
            st.stop()
        ids = [i for i, _ in found]
        prompts = dict(found)
        item_index = ids.index(ref[1]) if ref and ref[0] == suite_hash and ref[1] in ids else 0
        item_id = st.selectbox("Item", ids, index=item_index, format_func=lambda i: f"{i} — {prompts[i][:80]}",
                               key="item_pick")
        st.session_state["item_ref"] = (suite_hash, item_id)
        st.query_params.update({"suite": suite_hash[:12], "item": item_id})

        detail = ui.item_detail(db, suite_hash, item_id)
        if detail is None:
            st.warning("That item is not in this test set.")
            st.stop()
        item = detail.item
        st.caption(ui.escape(f"{item.suite_name} {item.suite_version} · item {item.item_id} · direction "
                             f"{item.direction}" + (f" · tags: {', '.join(item.tags)}" if item.tags else "")))
        if item.system:
            with st.expander("Instructions the model was given"):
                st.markdown(ui.escape(item.system))
        ui.show_text("Question", item.prompt)
        if item.disallowed is not None:
            ui.show_text("A flawed answer (what the model should not say)", item.disallowed)
            ui.show_text("The right answer, with its story", item.narrative)
        else:
            ui.show_text("Expected answer", item.reference)

        st.header("What each model answered")
        if not detail.answers:
            st.info("No model has been tested on this item yet.")
        for answer in detail.answers:
            with st.container(border=True):
                st.markdown(f"**{ui.escape(answer.checkpoint_name)}** · tested {answer.started_at:%Y-%m-%d %H:%M}")
                if answer.text is not None:
                    st.markdown(ui.escape(answer.text) or "_(an empty answer)_")
                else:
                    st.markdown(f"_No answer: {ui.escape(answer.error or answer.status)}_")

        st.header("Scores")
        table = score_table(detail.scores)
        if table.empty:
            st.info("No scores were recorded for this item.")
        else:
            st.dataframe(table)
            st.caption("Scores are 0–100 and higher is better, except bits_per_char and token_perplexity (lower is "
                       "better). “not measured” means the model could not give that number — it is never counted "
                       "as zero.")

        if detail.judge is not None:  # only when the judge's table exists in this results file
            st.header("The judge's reasons")
            if not detail.judge:
                st.info("The judge has not looked at this item yet.")
            for verdict in detail.judge:
                with st.container(border=True):
                    head = " · ".join(f"{k}: {v}" for k, v in verdict.items() if k != "rationale" and v is not None)
                    if head:
                        st.caption(ui.escape(head))
                    st.markdown(ui.escape(str(verdict.get("rationale") or "")))
