"""Monitor: is the deployed model still the one that was tested? Canary checks over time, alarms, retirement."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

import ui_common as ui

CONDITION_WORDS = {
    "drift": "The model's answers changed since the baseline (the deployed model may have been swapped)",
    "endpoint_gone": "The model is gone: the provider no longer knows it",
    "errors": "Many test questions got no answer",
    "retirement": "The model will be shut down soon",
}


def render() -> None:
    st.title("Monitoring the model in use")
    st.write("A few held-out test questions (the *canary*) are asked again on a schedule. If the answers change, or "
             "the provider is about to shut the model down, this page says so.")
    db = ui.page_start()

    with ui.friendly_errors():
        views = ui.monitor_views(db)
        if not views:
            st.info("No monitor has run a check yet. Declare one in the config and run `evalharness monitor check` "
                    "(see docs/monitor.md).")
            st.stop()
        names = [v.name for v in views]
        name = st.selectbox("Monitor", names, key="monitor_pick") if len(names) > 1 else names[0]
        view = views[names.index(name)]
        last = view.last

        st.header(f"Monitor {ui.escape(name)}")
        st.caption(ui.escape(f"Endpoint {view.endpoint}, model {view.model}"))
        left, middle, right = st.columns(3)
        left.metric("Last check", f"{last.started_at:%Y-%m-%d %H:%M}", help=f"check {last.seq}: {last.status}")
        middle.metric("Alarm", "ON" if any(s.condition != "retirement" for s in view.active) else "none")
        if view.days_left is not None:
            right.metric("Days until retirement", view.days_left,
                         help=view.retirement or "announced by the provider's models endpoint")
        else:
            right.metric("Days until retirement", "not announced", help=view.retirement or "")
        for state in view.active:
            text = f"{CONDITION_WORDS.get(state.condition, state.condition)} — since {state.since:%Y-%m-%d}. " \
                   f"{ui.escape(state.detail)}"
            (st.warning if state.condition == "retirement" else st.error)(text)
        if not view.active:
            st.success("Everything is as tested: no alarm is on.")

        series = view.series
        st.subheader("Canary score over time")
        scored = series[series["score"].notna()]
        if view.primary and not scored.empty:
            base = alt.Chart(scored).encode(x=alt.X("check:Q", title="Check", axis=alt.Axis(tickMinStep=1, format="d")))
            line = base.mark_line(point=True).encode(
                y=alt.Y("score:Q", title=f"{view.primary} on the canary"),
                tooltip=["check", alt.Tooltip("time:T", format="%Y-%m-%d %H:%M"), alt.Tooltip("score:Q", format=".1f"),
                         alt.Tooltip("changed:Q", format=".0%", title="answers changed")])
            marks = base.transform_filter(alt.datum.alarm).mark_point(
                shape="triangle-up", size=160, color="#c0392b", filled=True).encode(y="score:Q")
            st.altair_chart(line + marks, width="stretch")
            st.caption("Red triangles: checks while the drift alarm was on.")
        else:
            st.info("No canary score yet.")
        changed = series[series["changed"].notna()]
        if not changed.empty:
            st.subheader("Share of answers that changed since the baseline")
            chart = alt.Chart(changed).mark_bar().encode(
                x=alt.X("check:O", title="Check"), y=alt.Y("changed:Q", title="answers changed", axis=alt.Axis(format="%")),
                color=alt.condition(alt.datum.alarm, alt.value("#c0392b"), alt.value("#4c78a8")))
            st.altair_chart(chart, width="stretch")
        wealth = series[series["wealth"].notna()]
        if not wealth.empty:
            st.subheader("Evidence of a change (the alarm's test)")
            threshold = float(wealth["threshold"].dropna().iloc[-1]) if wealth["threshold"].notna().any() else 20.0
            w = alt.Chart(wealth).mark_line(point=True).encode(
                x=alt.X("check:Q", title="Check", axis=alt.Axis(tickMinStep=1, format="d")),
                y=alt.Y("wealth:Q", title="evidence (log scale)",
                                                           scale=alt.Scale(type="log")))
            rule = alt.Chart(pd.DataFrame({"y": [threshold]})).mark_rule(color="#c0392b", strokeDash=[4, 4]).encode(y="y:Q")
            st.altair_chart(w + rule, width="stretch")
            st.caption(f"The alarm sounds when the evidence reaches {threshold:g} (dashed line). However many checks "
                       "run, a model that has not changed reaches it by chance only rarely (at most α of the time).")

        st.subheader("Last check")
        rows = [{"metric": m["metric"], "canary score": m["score"], "baseline": m["baseline_score"],
                 "this check": m["check_score"], "paired items": m["n_paired"], "note": m.get("reason") or ""}
                for m in last.summary.get("comparison") or []]
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True)
        tokens = "unknown" if last.prompt_tokens is None or last.completion_tokens is None else \
            f"{last.prompt_tokens + last.completion_tokens:,}"
        cost = "unknown" if last.cost_usd is None else f"${last.cost_usd:.4f}"
        st.markdown(f"{last.n_ok} of {last.n_items} questions answered · {tokens} tokens · cost {cost}")
        full = last.summary.get("full_run")
        if full and full.get("prompt_tokens") is not None and full.get("completion_tokens") is not None:
            st.caption(f"A full test run: {full['items']} items, {full['prompt_tokens'] + full['completion_tokens']:,} "
                       f"tokens ({ui.escape(full['source'])}).")

        st.subheader("Live answers from the app, as reviewers rated them")
        live = pd.DataFrame([{"day": q.day or "undated", "answers": q.answers, "rated": q.rated, "right": q.right,
                              "wrong": q.wrong, "mean authenticity (1–5)": q.mean_cas} for q in view.live])
        if live.empty:
            st.info("No live answers imported yet (`evalharness monitor import-log`).")
        else:
            rated = live[(live["right"] + live["wrong"]) > 0].assign(
                share_right=lambda d: d["right"] / (d["right"] + d["wrong"]))
            if not rated.empty:
                st.altair_chart(alt.Chart(rated).mark_line(point=True).encode(
                    x=alt.X("day:O", title="Day"), y=alt.Y("share_right:Q", title="rated right",
                                                            axis=alt.Axis(format="%"))), width="stretch")
            st.dataframe(live, hide_index=True)
