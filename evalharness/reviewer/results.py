"""The latest results in the store, as citable passages: one per run, per gate decision (plus its report's
sections) and one for the champion history. So "why was checkpoint X reverted?" is answered from the
gate's own reasons and report, cited as `decision:<id>`."""

from __future__ import annotations

import json
from typing import Any

from ..store.review import ChampionRow, DecisionSummary, LatestResults, RunSummary
from .chunking import chunk_markdown, split_long
from .passages import Passage


def result_passages(results: LatestResults, *, max_chars: int) -> list[Passage]:
    passages: list[Passage] = []
    if results.champions:
        passages.append(Passage("champions", (), _champions_text(results.champions), "champion"))
    for decision in results.decisions:
        passages.extend(_decision_passages(decision, max_chars))
    for run in results.runs:
        for part in split_long(_run_text(run), max_chars):
            passages.append(Passage(f"run:{run.run_id}", (), part, "run"))
    return passages


def _run_text(run: RunSummary) -> str:
    lines = [
        f"Run {run.run_id}: checkpoint {run.checkpoint_name} on suite {run.suite_name} {run.suite_version} "
        f"(suite hash {run.suite_hash[:12]}).",
        f"Status: {run.status}. Items: {run.n_items}, answered: {_n(run.n_ok)}, failed: {_n(run.n_failed)}. "
        f"Started {_t(run.started_at)}, finished {_t(run.finished_at)}.",
    ]
    if run.prompt_tokens is not None or run.completion_tokens is not None or run.cost_usd is not None:
        cost = f"{run.cost_usd:.4f} USD" if run.cost_usd is not None else "not recorded"
        lines.append(f"Tokens: prompt {_n(run.prompt_tokens)}, completion {_n(run.completion_tokens)}; cost {cost}.")
    if run.metrics:
        lines.append("Corpus scores:")
        for m in run.metrics:
            direction = "higher is better" if m["higher_is_better"] else "lower is better"
            if m["corpus_score"] is None:
                value = f"no score ({m['status']}" + (f": {m['reason']}" if m["reason"] else "") + ")"
            else:
                value = (
                    f"{m['corpus_score']:.3f} ({direction}; {m['status']}, {m['n_scored']} scored, "
                    f"{m['n_unscored']} unscored" + (f"; {m['reason']}" if m["reason"] else "") + ")"
                )
            lines.append(f"- {m['metric']}: {value} [signature {m['signature']}]")
    else:
        lines.append("No metrics recorded for this run.")
    summary = run.summary or {}
    by_direction: dict[str, dict[str, Any]] = summary.get("by_direction") or {}
    if by_direction:
        lines.append("By direction:")
        for metric, values in sorted(by_direction.items()):
            lines.append(f"- {metric}: " + ", ".join(f"{d} {_score(v)}" for d, v in sorted(values.items())))
    if summary.get("required_unscored"):
        lines.append(f"Required metrics not scored: {', '.join(summary['required_unscored'])}.")
    return "\n".join(lines)


def _decision_passages(decision: DecisionSummary, max_chars: int) -> list[Passage]:
    source = f"decision:{decision.decision_id}"
    against = f"champion {decision.champion}" if decision.champion else "no champion (first candidate)"
    lines = [
        f"Gate decision {decision.decision_id} at {_t(decision.created_at)}: candidate {decision.candidate} "
        f"against {against} → {decision.decision} (exit code {decision.exit_code}).",
        f"Candidate runs: {', '.join(decision.candidate_run_ids) or 'none'}; champion runs: "
        f"{', '.join(decision.champion_run_ids) or 'none'}.",
        "It moved the champion." if decision.recorded else "It did not move the champion.",
    ]
    if decision.reasons:
        lines.append("Reasons:")
        lines.extend(f"- {reason}" for reason in decision.reasons)
    passages = [Passage(source, (), part, "decision") for part in split_long("\n".join(lines), max_chars)]
    passages.extend(chunk_markdown(decision.report_md, source, max_chars=max_chars, kind="decision"))
    return passages


def _champions_text(champions: tuple[ChampionRow, ...]) -> str:
    current = champions[0]
    lines = [
        f"Current champion: {current.checkpoint_name} (since {_t(current.set_at)}, set by {current.set_by}"
        + (f" through decision {current.decision_id}" if current.decision_id else "")
        + f": {current.reason})."
    ]
    if len(champions) > 1:
        lines.append("Earlier champions, newest first:")
        lines.extend(f"- {c.checkpoint_name} (from {_t(c.set_at)}, {c.set_by}: {c.reason})" for c in champions[1:])
    return "\n".join(lines)


def _n(value: int | None) -> str:
    return "not recorded" if value is None else str(value)


def _t(value: Any) -> str:
    return "—" if value is None else str(value)[:19]


def _score(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else json.dumps(value)
