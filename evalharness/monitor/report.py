"""A check in words: Markdown for the CI job summary and `monitor status`, and plain facts for the terminal.

Aggregates only (scores, shares, counts, tokens, dates): a report never quotes the canary's items.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..store import monitor as db
from ..store import monitor_alerts as alerts_db
from .check import CheckResult, FullRunCost

ICON = {"complete": "✅", "failed": "❌", "gone": "❌"}


def _num(value: float | None, fmt: str = ".2f") -> str:
    return "—" if value is None else format(value, fmt)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def _tokens(prompt: int | None, completion: int | None) -> str:
    if prompt is None or completion is None:
        return "unknown"
    return f"{prompt + completion:,} ({prompt:,} prompt + {completion:,} completion)"


def _usd(value: float | None, reason: str | None = None) -> str:
    if value is None:
        return f"unknown ({reason})" if reason else "unknown"
    return f"${value:.4f}"


def cost_lines(check: db.CheckRow, full: FullRunCost | None) -> list[str]:
    """The check's tokens and cost next to a full run's (from stored runs, or estimated and marked so)."""
    lines = [
        f"This check: {check.n_items} items, {_tokens(check.prompt_tokens, check.completion_tokens)} tokens, "
        f"cost {_usd(check.cost_usd, check.cost_reason)}"
    ]
    if full is not None:
        share = ""
        if (
            full.prompt_tokens
            and full.completion_tokens
            and check.prompt_tokens is not None
            and check.completion_tokens is not None
        ):
            ratio = (check.prompt_tokens + check.completion_tokens) / (full.prompt_tokens + full.completion_tokens)
            share = f" — the check costs {100 * ratio:.1f}% of it"
        lines.append(
            f"A full run: {full.items} items, {_tokens(full.prompt_tokens, full.completion_tokens)} tokens, "
            f"cost {_usd(full.cost_usd)} ({full.source}){share}"
        )
    return lines


def check_markdown(result: CheckResult) -> str:
    c, monitor = result.check, result.target.monitor
    cp = result.target.checkpoint
    alarm = "drift ALARM" if c.alarm else "no drift alarm"
    lines = [
        f"## Monitor `{c.monitor}`: check {c.seq} — {ICON.get(c.status, '')} {c.status}, {alarm}",
        "",
        f"Endpoint `{cp.name}` ({cp.backend} model `{cp.model}`), {c.started_at:%Y-%m-%d %H:%M} UTC. "
        f"Canary: {c.n_items} held-out items (seed {result.target.canary.seed}).",
        "",
    ]
    if result.retirement is not None:
        r = result.retirement
        warn = r.within(monitor.thresholds.retirement_horizon_days) or r.gone is not None
        lines.append(
            f"- {'⚠️' if warn else 'ℹ️'} Retirement: {r.describe()}"
            + (" — gate a replacement." if r.within(monitor.thresholds.retirement_horizon_days) else "")
        )
    lines.append(
        f"- Answers: {c.n_ok} of {c.n_items} (error rate {_pct(c.error_rate)}); latency mean "
        f"{_num(c.latency_mean_s, '.2f')} s, p95 {_num(c.latency_p95_s, '.2f')} s"
    )
    lines += [f"- {line}" for line in cost_lines(c, result.full_run)]
    if result.baseline is not None:
        b = result.baseline
        source = ", ".join(b.source_runs) if b.kind == "champion" else f"check {b.source_check}"
        lines.append(f"- Baseline: {b.kind.replace('_', ' ')} ({source})")
    if result.changes is not None and result.changes.compared:
        ch = result.changes
        text = f"- Changed answers: {ch.changed} of {ch.compared} ({_pct(ch.share)}) differ verbatim from the baseline"
        dc = result.drift_changes
        if dc is not None and dc.compared:
            text += f"; {dc.changed} ({_pct(dc.share)}) from the established answers"
            if dc.logprob_share is not None:
                text += f", {dc.logprob_changed} ({_pct(dc.logprob_share)}) counting log-probabilities"
        if not c.summary.get("deterministic"):
            text += " — decoding is not at temperature 0, so changed texts are expected and not watched"
        lines.append(text)
    d = result.drift
    if d is not None:
        streams = ", ".join(f"{p.spec.name} {p.wealth[-1]:.3g}" for p in d.path.streams)
        lines.append(
            f"- Sequential test (anytime-valid, α = {d.path.alpha:g}): wealth {d.path.last:.3g} of "
            f"{d.path.threshold:g} needed for an alarm, over {len(d.path.combined)} check(s) since check "
            f"{d.test_start} ({streams})"
        )
    for note in result.notes:
        lines.append(f"- Note: {note}")
    lines += [
        "",
        "| metric | canary score | baseline (paired) | check (paired) | Δ gain | gain CI | p | paired |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for m in result.metrics:
        e = m.estimate or {}
        if e:
            lines.append(
                f"| {m.metric} | {_num(m.score)} | {_num(m.baseline_score)} | {_num(m.check_score)} | "
                f"{_num(e.get('gain'), '+.2f')} | {_num(e.get('ci_low'), '+.2f')} to "
                f"{_num(e.get('ci_high'), '+.2f')} | {_num(e.get('p_value'), '.4f')} | {m.n_paired} |"
            )
        else:
            lines.append(f"| {m.metric} | {_num(m.score)} | — | — | — | — | — | {m.reason or '—'} |")
    lines += [
        "",
        "Per-check p-values describe this check alone (the gate's paired bootstrap on the canary items); "
        "the alarm is the sequential test, whose false-alarm probability stays below α over all checks.",
    ]
    if result.alerts:
        lines += [
            "",
            "Alerts: "
            + "; ".join(f"{a.kind} {a.condition} → {a.sink}: {'sent' if a.ok else a.error}" for a in result.alerts),
        ]
    return "\n".join(lines) + "\n"


def series_markdown(monitor: str, checks: Sequence[db.CheckRow], states: Sequence[alerts_db.AlertStateRow]) -> str:
    """`monitor status`: the recent checks of one monitor and which conditions are on."""
    lines = [f"## Monitor `{monitor}`", ""]
    on = [s for s in states if s.active]
    lines.append(
        "Active: "
        + (
            ", ".join(f"**{s.condition}** since {s.since:%Y-%m-%d} ({s.detail})" for s in on)
            if on
            else "nothing — every condition is clear"
        )
    )
    lines += [
        "",
        "| check | time | status | ok | changed | drop | wealth | alarm | tokens | cost |",
        "|---:|---|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for c in checks:
        tokens = (
            "—"
            if c.prompt_tokens is None or c.completion_tokens is None
            else f"{c.prompt_tokens + c.completion_tokens:,}"
        )
        lines.append(
            f"| {c.seq} | {c.started_at:%Y-%m-%d %H:%M} | {c.status} | {c.n_ok}/{c.n_items} | "
            f"{_pct(c.drift_share)} | "
            f"{_num(c.score_drop, '+.2f')} | {_num(c.wealth, '.3g')} | {'yes' if c.alarm else ''} | "
            f"{tokens} | {_usd(c.cost_usd) if c.cost_usd is not None else '—'} |"
        )
    return "\n".join(lines) + "\n"
