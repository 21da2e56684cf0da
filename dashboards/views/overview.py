"""Overview: the champion, recent gate decisions with their reasons, score trends, and the suites."""

from __future__ import annotations

import altair as alt
import streamlit as st

import ui_common as ui
from evalharness.community.overview import USE_WORDS, latest_scores


def render() -> None:
    st.title("Overview")
    st.write("How the Stoney language models are doing: which one is in use now, what the release checks decided, "
             "and how test scores changed from one model to the next.")
    db = ui.page_start()

    with ui.friendly_errors():
        st.header("The model in use now (the champion)")
        champ = ui.champion(db)
        if champ is None:
            st.info("No champion has been chosen yet. The release check (`evalharness gate`) picks one.")
        else:
            st.metric("Champion", champ.checkpoint_name)
            st.write(f"In use since {champ.set_at:%Y-%m-%d %H:%M}, chosen by {ui.escape(champ.set_by)}: "
                     f"{ui.escape(champ.reason)}")

        st.header("Recent release decisions")
        recent = ui.decisions(db)
        if not recent:
            st.info("No release decisions have been recorded yet.")
        for d in recent:
            with st.container(border=True):
                against = f" against {d.champion}" if d.champion else " (there was no champion yet)"
                st.markdown(f"**{ui.escape(d.candidate)}**{ui.escape(against)} · {d.created_at:%Y-%m-%d %H:%M}  \n"
                            f"{ui.escape(ui.decision_words(d))}"
                            + (" · it became the champion" if d.recorded else ""))
                st.markdown("\n".join(f"- {ui.escape(r)}" for r in d.reasons) or "_no reasons recorded_")

        st.header("Scores across models")
        trends = ui.trends(db)
        if trends.empty:
            st.info("No test runs have been recorded yet.")
        else:
            metrics = sorted(trends["metric"].unique())
            default = ui.settings().dashboard.queue_metric
            metric = st.selectbox("Score", metrics, index=metrics.index(default) if default in metrics else 0,
                                  key="overview_metric", format_func=ui.metric_label,
                                  help="chrF++ counts matching letters and words against the expected answer (0–100).")
            chosen = trends[trends["metric"] == metric]
            measured = chosen[chosen["score"].notna()]
            lower_better = not bool(chosen["higher_is_better"].iloc[0])
            if measured.empty:
                reasons = "; ".join(sorted({r for r in chosen["reason"].dropna()})) or "no reason recorded"
                st.warning(ui.escape(f"{ui.metric_label(metric)} was not measured for any model: {reasons}"))
            else:
                order = list(dict.fromkeys(chosen.sort_values("first_run")["checkpoint"]))
                chart = alt.Chart(measured).mark_line(point=True).encode(
                    x=alt.X("checkpoint:N", sort=order, title="Model (oldest first)"),
                    y=alt.Y("score:Q", title=ui.metric_label(metric) + (" (lower is better)" if lower_better else "")),
                    color=alt.Color("suite_label:N", title="Test set"),
                    tooltip=["checkpoint", "suite_label", alt.Tooltip("score:Q", format=".1f"), "run_status"])
                st.altair_chart(chart, width="stretch")
                missing = chosen[chosen["score"].isna()]
                if not missing.empty:
                    st.caption(f"Not measured for {len(missing)} run(s) — shown as a gap, not as zero.")
            st.subheader("Latest scores")
            latest = latest_scores(trends)
            st.dataframe(latest.rename(columns={c: ui.metric_label(c) for c in latest.columns
                                                if c not in ("checkpoint", "suite")}), hide_index=True)
            st.caption("Newest test of each model on each test set. * some items could not be scored (for example the "
                       "model gave no answer); “not measured”: this model cannot give that number — never counted as "
                       "zero.")

        st.header("Test sets and who may use them")
        for s in ui.suites(db):
            with st.expander(ui.escape(f"{s.name} {s.version} — {s.n_items} items ({s.kind.replace('_', ' ')})")):
                st.write(ui.escape(s.description))
                prov = s.provenance
                lines = [f"- **Source:** {ui.escape(prov.get('source', ''))}"]
                for key, label in (("credit", "Credit"), ("authored_by", "Written by"), ("derived_by", "Prepared by"),
                                   ("notes", "Notes")):
                    if prov.get(key):
                        lines.append(f"- **{label}:** {ui.escape(str(prov[key]))}")
                if prov.get("reviewers"):
                    lines.append(f"- **Reviewers:** {ui.escape(', '.join(prov['reviewers']))}")
                lines.append(f"- **Licence:** {ui.escape(s.license)}")
                st.markdown("\n".join(lines))
                allowed = "; ".join(USE_WORDS.get(u, u) for u in s.allowed_uses) or "nothing yet"
                denied = "; ".join(USE_WORDS.get(u, u) for u in s.denied_uses) or "nothing"
                st.markdown(f"**Allowed:** {ui.escape(allowed)}  \n**Not allowed:** {ui.escape(denied)}")
                if s.contains_sensitive_content:
                    st.caption("Contains culturally sensitive content.")
                if s.review_contact:
                    st.caption(f"Questions about its use: {ui.escape(s.review_contact)}")
                st.caption(f"Version fingerprint: {s.suite_hash[:12]}")
