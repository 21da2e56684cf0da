"""Compare: a candidate model against the champion, item by item, biggest drops first."""

from __future__ import annotations

import math

import streamlit as st

import ui_common as ui
from evalharness.community.compare import CompareFilters, count

SHOW_WORDS = {"all": "All items", "worse": "Got worse", "better": "Got better", "same": "No change",
              "unscored": "Could not be compared"}


def render() -> None:
    st.title("Compare answers")
    st.write("Pick a model to check against the champion (or any other model). Items are listed with the biggest "
             "drop in score first, so the answers that got worse are at the top.")
    db = ui.page_start()

    with ui.friendly_errors():
        choices = ui.checkpoints(db)
        if len(choices) < 2:
            st.info("Comparing needs test runs of at least two models.")
            st.stop()
        labels = [c.label for c in choices]
        champ = ui.champion(db)
        champ_index = next(
            (i for i, c in enumerate(choices) if champ and c.identity == champ.checkpoint_identity), None)
        if champ_index is None:
            st.info("No champion is recorded yet (`evalharness gate --record` or `evalharness champion set` records "
                    "one), so pick the two models to compare.")
        cand_index = next(i for i in range(len(choices)) if i != (champ_index or 0))
        col1, col2 = st.columns(2)
        cand_label = col1.selectbox("Model to check (candidate)", labels, index=cand_index, key="cmp_candidate")
        champ_label = col2.selectbox(
            "Against" + (" (the champion by default)" if champ_index is not None else ""), labels,
            index=champ_index or 0, key="cmp_champion",
            help="The recorded champion is chosen by the release check (`evalharness gate --record`).")
        candidate = choices[labels.index(cand_label)]
        champion = choices[labels.index(champ_label)]
        if candidate.identity == champion.identity:
            st.warning("Pick two different models.")
            st.stop()
        pairs = ui.run_pairs(db, candidate.identity, champion.identity)
        if not pairs:
            st.info(f"{ui.escape(candidate.name)} and {ui.escape(champion.name)} were never tested on the same version of a test set, "
                    "so their answers cannot be compared item by item.")
            st.stop()
        metrics, (directions, tags) = ui.compare_options(db, pairs)
        if not metrics:
            st.info("No score was measured for both models.")
            st.stop()
        metric_names = [m for m, _ in metrics]
        default_metric = ui.settings().dashboard.queue_metric

        f1, f2, f3, f4, f5 = st.columns(5)
        suite_labels = ["All test sets"] + [p.label for p in pairs]
        suite_label = f1.selectbox("Test set", suite_labels, key="cmp_suite")
        metric = f2.selectbox("Score", metric_names, key="cmp_metric", format_func=ui.metric_label,
                              index=metric_names.index(default_metric) if default_metric in metric_names else 0)
        direction = f3.selectbox("Direction", ["All"] + directions, key="cmp_direction",
                                 help="en-sto: English to Stoney · sto-en: Stoney to English · explain: explanations")
        tag = f4.selectbox("Tag", ["All"] + tags, key="cmp_tag")
        show = f5.selectbox("Show", list(SHOW_WORDS), format_func=SHOW_WORDS.get, key="cmp_show")
        higher = dict(metrics)[metric]
        filters = CompareFilters(
            metric=metric, suite_hash=None if suite_label == suite_labels[0] else pairs[suite_labels.index(suite_label) - 1].suite_hash,
            direction=None if direction == "All" else direction, tag=None if tag == "All" else tag, show=show)

        summary = ui.compare_summary(db, pairs, filters, higher)
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("Got worse", summary.worse)
        m2.metric("Got better", summary.better)
        m3.metric("No change", summary.same)
        m4.metric("Could not be compared", summary.unscored,
                  help="One of the two models gave no answer, or the score could not be measured.")
        if summary.mean_change is not None:
            st.caption(f"Average change in {ui.escape(ui.metric_label(metric))} per item: {summary.mean_change:+.1f} "
                       f"({'higher' if higher else 'lower'} is better; a minus sign means worse).")

        size = ui.settings().dashboard.page_size
        total = count(summary, show)
        pages = max(1, math.ceil(total / size))
        page_no = st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1, step=1,
                                  key="cmp_page") if pages > 1 else 1
        rows = ui.compare_page(db, pairs, filters, higher, size, (int(page_no) - 1) * size)
        if rows.empty:
            st.info("No items match these choices.")
            st.stop()
        st.caption(f"Items {(int(page_no) - 1) * size + 1}–{(int(page_no) - 1) * size + len(rows)} of {total}")
        table = rows.assign(tags=rows["tags"].map(", ".join))[
            ["item_id", "change", "champion_score", "candidate_score", "prompt", "champion_answer", "candidate_answer",
             "suite", "direction", "tags"]]
        st.dataframe(table, hide_index=True, column_config={
            "item_id": "Item", "suite": "Test set", "direction": "Direction", "prompt": "Question",
            "champion_answer": f"{champion.name} answered", "candidate_answer": f"{candidate.name} answered",
            "champion_score": st.column_config.NumberColumn(f"{champion.name}", format="%.1f"),
            "candidate_score": st.column_config.NumberColumn(f"{candidate.name}", format="%.1f"),
            "change": st.column_config.NumberColumn("Change (− is worse)", format="%+.1f"), "tags": "Tags"})

        options = [f"{r.item_id} — {r.prompt[:70]}" for r in rows.itertuples()]
        pick = st.selectbox("Look at one item in full", options, key="cmp_open_item")
        if st.button("Open this item", key="cmp_open"):
            chosen = rows.iloc[options.index(pick)]
            st.session_state["item_ref"] = (chosen["suite_hash"], chosen["item_id"])
            ui.switch_to("item")
