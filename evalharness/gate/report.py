"""The gate's reports: JSON (everything, machine-readable) and Markdown (fit for a CI job summary).

Both are built from the same `GateResult`; the Markdown is also stored with the decision so the
dashboard and the reviewer chat show exactly what CI showed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import GateConfig
from .compare import Comparison, MetricComparison
from .decide import Decision, num
from .stats import mde_factor

ICON = {"pass": "✅", "fail": "❌", "incomplete": "⚠️", "note": "ℹ️"}
HEADLINE = {"advance": "ADVANCE", "converged": "ADVANCE (converged)", "revert": "REVERT", "incomplete": "INCOMPLETE"}


@dataclass(frozen=True)
class Side:
    name: str
    identity: str


@dataclass(frozen=True)
class GateResult:
    candidate: Side
    champion: Side | None
    comparison: Comparison
    decision: Decision
    policy: GateConfig
    decision_id: str | None = None
    recorded: bool = False  # the champion moved to the candidate
    record_note: str = ""  # what happened to the champion, in words
    #: warnings beside the decision (a checkpoint's model retires soon or is gone), from the monitor's lookups
    notices: tuple[str, ...] = ()


def _clean(value: Any) -> Any:
    """JSON-safe: NaN/inf become None (JSON has no NaN), tuples become lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def stats_dict(comparison: Comparison, decision: Decision) -> dict[str, Any]:
    """What goes into `decisions.stats_json`: every statistic the decision rests on."""
    return _clean(
        {
            "suites": [dataclasses.asdict(s) for s in comparison.suites],
            "metrics": [dataclasses.asdict(m) for m in comparison.metrics],
            "relapses": dataclasses.asdict(comparison.relapses) if comparison.relapses else None,
            "seed": comparison.seed,
            "resamples": comparison.resamples,
            "alpha": comparison.alpha,
            "power": comparison.power,
            "mde_factor": mde_factor(comparison.alpha, comparison.power),
            "primary_gains": decision.primary_gains,
            "converged": decision.converged,
            "checks": [dataclasses.asdict(c) for c in decision.checks],
        }
    )


WITHHELD = "[withheld: the suite does not allow publication]"


def to_json(result: GateResult, *, publishable: Collection[str] = frozenset()) -> dict[str, Any]:
    """The JSON report. A report is meant to be published (a CI artefact, a job summary), so a model's reply
    stays in it only for suites named in `publishable` (those whose governance allows `publication`); for
    every other suite the reply is replaced by a note. The stored decision keeps everything."""
    d = result.decision
    report = _clean(
        {
            "decision": d.outcome,
            "exit_code": d.exit_code,
            "reasons": d.reasons,
            "candidate": dataclasses.asdict(result.candidate),
            "champion": dataclasses.asdict(result.champion) if result.champion else None,
            "decision_id": result.decision_id,
            "recorded": result.recorded,
            "record_note": result.record_note,
            "notices": list(result.notices),
            "policy": result.policy.model_dump(),
            **stats_dict(result.comparison, d),
        }
    )
    relapses = report.get("relapses") or {}
    for item in relapses.get("relapsed") or ():
        if item.get("suite") not in publishable:
            item["candidate_reply"] = WITHHELD
    return report


def _role(name: str, policy: GateConfig) -> str:
    roles = []
    if name in policy.primary:
        roles.append(f"primary (> {policy.primary[name]:g})")
    if name in policy.guards:
        roles.append(f"guard (−{policy.guards[name]:g})")
    if name in policy.floors:
        roles.append(f"floor {policy.floors[name]:g}")
    if name in policy.required and name not in policy.primary:
        roles.append("required")
    return ", ".join(roles) or "—"


def _score(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.3f}" if abs(value) < 10 else f"{value:.2f}"


def _p(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.4f}"


def _metric_row(m: MetricComparison, policy: GateConfig) -> str:
    arrow = "" if m.higher_is_better is None or m.higher_is_better else " ↓"
    name = f"{m.metric}{arrow}"
    e = m.estimate
    if e is None:
        # The full reason is in "Left out of the pairing"; the table keeps to its first clause.
        status = (m.reason or m.status).split(" (")[0]
        return (
            f"| {name} | {_role(m.metric, policy)} | {_score(m.champion_corpus)} | {_score(m.candidate_corpus)} "
            f"| — | — | — | — | — | — | {m.n_paired}/{m.n_items} | {status} |"
        )
    mde = "—" if e.mde is None else f"{e.mde:.3g}" + ("*" if e.mde_basis != "paired" else "")
    return (
        f"| {name} | {_role(m.metric, policy)} | {_score(e.champion_score)} | {_score(e.candidate_score)} "
        f"| {num(e.delta)} | {num(e.ci_low)} to {num(e.ci_high)} | {_p(e.p_value)} | {_p(m.p_holm)} "
        f"| {holm_interval(m)} | {mde} | {m.n_paired}/{m.n_items} | compared |"
    )


def holm_interval(m: MetricComparison) -> str:
    """The Holm-adjusted interval with its level, e.g. `+0.12 to +0.95 (97.5%)`; — outside the family."""
    if m.holm_ci_low is None or m.holm_ci_high is None or m.holm_level is None:
        return "—"
    return f"{num(m.holm_ci_low)} to {num(m.holm_ci_high)} ({m.holm_level * 100:.4g}%)"


def to_markdown(result: GateResult) -> str:
    c, d, policy = result.comparison, result.decision, result.policy
    versus = f"champion `{result.champion.name}`" if result.champion else "no champion"
    lines = [f"## Gate: `{result.candidate.name}` vs {versus} — **{HEADLINE[d.outcome]}** (exit {d.exit_code})", ""]
    order = {"incomplete": 0, "fail": 1, "pass": 2, "note": 3}
    for check in sorted(d.checks, key=lambda x: order[x.verdict]):
        lines.append(f"- {ICON[check.verdict]} {check.message}")
    if result.record_note:
        lines += ["", result.record_note]
    if result.notices:
        lines += [""] + [f"- ⚠️ {notice}" for notice in result.notices]
    level = f"{(1 - c.alpha) * 100:g}%"
    lines += [
        "",
        f"### Metrics — paired bootstrap, {c.resamples} resamples, seed {c.seed}, {level} CI",
        "",
        "| metric | role | champion | candidate | Δ (cand − champ) | gain CI | p | Holm p | Holm CI | MDE | paired "
        "| status |",
        "|---|---|---:|---:|---:|---|---:|---:|---|---:|---:|---|",
    ]
    lines += [_metric_row(m, policy) for m in c.metrics]
    lines += [
        "",
        f"Scores are over the paired items (both runs scored them). Gain is oriented so that positive is "
        f"better (↓: lower is better). The gain CI ({level}) and p come from the same resampled gains: p ≤ "
        f"{c.alpha:g} exactly when the CI excludes 0. Holm p is adjusted across the "
        f"{sum(1 for m in c.metrics if m.p_holm is not None)} metric(s) of the Holm family "
        f"({'every metric compared' if policy.holm_family == 'all' else 'the primary metrics'}) and comes "
        f"with its own Holm-adjusted CI (level in brackets), which excludes 0 exactly when Holm p ≤ "
        f"{c.alpha:g}; the primary checks use these. MDE is the "
        f"minimum detectable gain at α = {c.alpha:g} with {c.power:.0%} power: "
        f"{mde_factor(c.alpha, c.power):.2f} × the bootstrap standard error of the gain"
        " (* from the champion's own spread, when the two systems are identical).",
    ]
    lines += _drops_section(c)
    lines += _relapse_section(c)
    lines += _suite_section(c)
    lines += _crosscheck_section(c)
    lines += [
        "",
        "### Runs",
        "",
        "| suite | version | suite hash | candidate run | champion run |",
        "|---|---|---|---|---|",
    ]
    for s in c.suites:
        lines.append(
            f"| {s.suite} | {s.version} | `{s.suite_hash[:12]}` | {s.candidate_run} ({s.candidate_status}) | "
            + (f"{s.champion_run} ({s.champion_status}) |" if s.champion_run else "— |")
        )
    if result.decision_id:
        lines += ["", f"Decision `{result.decision_id}` is stored in the evalharness DuckDB file."]
    return "\n".join(lines) + "\n"


def _drops_section(c: Comparison) -> list[str]:
    rows = [(m.metric, x) for m in c.metrics for x in m.drops]
    if not rows:
        return []
    out = [
        "",
        "### Left out of the pairing",
        "",
        "| metric | side | suite | status | items | reason | item ids |",
        "|---|---|---|---|---:|---|---|",
    ]
    for metric, x in rows:
        ids = ", ".join(x.item_ids[:8]) + (f" … (+{len(x.item_ids) - 8})" if len(x.item_ids) > 8 else "")
        out.append(f"| {metric} | {x.side} | {x.suite} | {x.status} | {x.count} | {x.reason} | {ids} |")
    return out


def _relapse_section(c: Comparison) -> list[str]:
    r = c.relapses
    if r is None:
        return []
    out = [
        "",
        "### Narrative corrections",
        "",
        f"{r.n_checked} correction item(s) checked: {len(r.relapsed)} relapse(s), {len(r.fixed)} fixed, "
        f"{len(r.persisting)} still closer to the disallowed reply in both checkpoints.",
    ]
    if r.relapsed:
        out += [
            "",
            "| suite | item | candidate: chrF++ to disallowed / narrative | champion: to disallowed / narrative |",
            "|---|---|---|---|",
        ]
        for x in r.relapsed:
            out.append(
                f"| {x.suite} | {x.item_id} | {x.candidate.to_disallowed:.1f} / {x.candidate.to_narrative:.1f} | "
                f"{x.champion.to_disallowed:.1f} / {x.champion.to_narrative:.1f} |"
            )
    if r.persisting:
        out += ["", "Still closer to the disallowed reply in both: " + ", ".join(r.persisting[:20])]
    return out


def _suite_section(c: Comparison) -> list[str]:
    if len(c.suites) < 2:
        return []
    out = [
        "",
        "### By suite (descriptive; the decision uses the pooled numbers)",
        "",
        "| metric | suite | champion | candidate | gain | gain CI | paired |",
        "|---|---|---:|---:|---:|---|---:|",
    ]
    for m in c.metrics:
        for suite, e in m.per_suite:
            out.append(
                f"| {m.metric} | {suite} | {_score(e.champion_score)} | {_score(e.candidate_score)} | "
                f"{num(e.gain)} | {num(e.ci_low)} to {num(e.ci_high)} | {e.n_paired} |"
            )
    return out


def _crosscheck_section(c: Comparison) -> list[str]:
    rows = [x for m in c.metrics for x in m.crosscheck]
    if not rows:
        return []
    out = [
        "",
        "### Cross-check: sacrebleu's own paired bootstrap on the texts",
        "",
        "Same texts, same seed: the scores must equal the stored statistics', and sacrebleu's p-value formula "
        "applied to our resamples must give sacrebleu's p (our draws are its draws). That formula is not the "
        "gate's p-value (see docs/gate.md).",
        "",
        "| metric | suite | seed | ours: champion / candidate / sacrebleu-formula p | sacrebleu: champion / "
        "candidate / p | agrees |",
        "|---|---|---:|---|---|---|",
    ]
    for x in rows:
        agrees = "yes" if x.scores_agree and x.p_agrees else ("scores only" if x.scores_agree else "NO")
        agrees += f" ({x.note})" if x.note else ""
        out.append(
            f"| {x.metric} | {x.suite} | {x.seed} | {x.ours_champion:.3f} / {x.ours_candidate:.3f} / "
            f"{x.ours_p:.4f} | {x.sacrebleu_champion:.3f} / {x.sacrebleu_candidate:.3f} / {x.sacrebleu_p:.4f} "
            f"| {agrees} |"
        )
    return out


def _clip(text: str, limit: int = 150) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short_verdict(results: Sequence[GateResult], *, reports: Sequence[str] = ()) -> list[str]:
    """A few lines to end a gate with, whatever else scrolled by: each round's decision and its main reason,
    what happened to the champion, and where the full reports are."""
    lines = ["Gate verdict:"]
    order = {"incomplete": 0, "fail": 1, "pass": 2, "note": 3}
    for number, r in enumerate(results, start=1):
        d = r.decision
        versus = f" vs {r.champion.name}" if r.champion else " (no champion to compare with)"
        checks = sorted(d.checks, key=lambda c: order[c.verdict])
        if d.advances:
            main = next((c for c in checks if c.kind == "primary" and c.verdict == "pass"), None)
        else:
            main = next((c for c in checks if c.verdict in ("incomplete", "fail")), None)
        why = f" — {_clip(main.message)}" if main else ""
        more = sum(1 for c in checks if c.verdict in ("incomplete", "fail")) - (0 if d.advances or not main else 1)
        lines.append(
            f"  {number}. {r.candidate.name}{versus}: {HEADLINE[d.outcome]}{why}"
            + (f" (+{more} more)" if more > 0 else "")
        )
    if results:
        lines.append(f"  {results[-1].record_note}")
    if reports:
        lines.append(f"Full report: {', '.join(reports)}")
    return lines
