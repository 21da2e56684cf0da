"""Policy + comparison → advance, revert or incomplete, with every reason.

Order of precedence: anything that makes the evidence incomplete (an incomplete run, a required metric
not compared, statistics that do not reproduce) → `incomplete` (exit 3); else any failed check →
`revert` (exit 1); else `advance` (exit 0), reported as `converged` when this and the previous
N − 1 recorded advances each gained less than epsilon on every primary metric.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..config import GateConfig
from .compare import Comparison

Verdict = Literal["pass", "fail", "incomplete", "note"]
EXIT_CODES = {"advance": 0, "converged": 0, "revert": 1, "incomplete": 3}


@dataclass(frozen=True)
class Check:
    kind: str  # run | required | primary | guard | floor | relapse | crosscheck | pairing | champion
    metric: str | None
    verdict: Verdict
    message: str


@dataclass(frozen=True)
class Decision:
    outcome: str  # advance | revert | incomplete | converged
    exit_code: int
    checks: tuple[Check, ...]
    primary_gains: dict[str, float]  # point estimates, for convergence bookkeeping
    converged: bool

    @property
    def reasons(self) -> list[str]:
        order = {"incomplete": 0, "fail": 1, "pass": 2, "note": 3}
        return [c.message for c in sorted(self.checks, key=lambda c: order[c.verdict])]

    @property
    def advances(self) -> bool:
        return self.outcome in ("advance", "converged")


def num(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.2f}" if abs(value) >= 1 else f"{value:+.3f}"


def _run_checks(comparison: Comparison) -> list[Check]:
    checks = []
    for s in comparison.suites:
        for side, run, status, failed in (
            ("candidate", s.candidate_run, s.candidate_status, s.candidate_failed),
            ("champion", s.champion_run, s.champion_status, s.champion_failed),
        ):
            if run is None:
                continue
            if status != "complete":
                checks.append(
                    Check(
                        "run",
                        None,
                        "incomplete",
                        f"{side} run {run} on {s.suite} is {status} ({failed or 0} failed item(s)); "
                        "re-run `evalharness gate` to retry what failed",
                    )
                )
    return checks


def _required(policy: GateConfig, comparison: Comparison, has_champion: bool) -> list[Check]:
    checks = []
    for name in dict.fromkeys([*policy.primary, *policy.required]):
        m = comparison.metric(name)
        ok = m is not None and (m.status == "compared" if has_champion else m.candidate_corpus is not None)
        if not ok:
            why = "not scored in these runs" if m is None else (m.reason or m.status)
            checks.append(Check("required", name, "incomplete", f"required metric {name} could not be compared: {why}"))
    return checks


def _primary(policy: GateConfig, comparison: Comparison) -> list[Check]:
    """Must improve: the Holm-adjusted interval's lower bound above the minimum gain, and Holm p ≤ α.

    The interval shown is the one that belongs to the p shown (Holm-adjusted with Holm p), so the two can
    never contradict each other; with one primary metric it is the plain 1 − α interval.
    """
    checks = []
    for name, min_gain in policy.primary.items():
        m = comparison.metric(name)
        if m is None or m.estimate is None:
            continue  # reported by the required check
        e = m.estimate
        holm_p = "n/a" if m.p_holm is None else f"{m.p_holm:.4f}"
        if m.holm_ci_low is not None and m.holm_ci_high is not None and m.holm_level is not None:
            low, high = m.holm_ci_low, m.holm_ci_high
            level = f"Holm-adjusted {m.holm_level * 100:.4g}% CI"
            significant = bool(m.holm_rejected)
        else:
            low, high = e.ci_low, e.ci_high
            level = f"{(1 - comparison.alpha) * 100:g}% CI"
            significant = m.p_holm is not None and m.p_holm <= comparison.alpha
        text = f"{name} (primary): gain {num(e.gain)} ({level} {num(low)} to {num(high)}, Holm p = {holm_p})"
        if low > min_gain and significant:
            checks.append(
                Check("primary", name, "pass", f"{text} — improved by more than the minimum gain {min_gain:g}")
            )
        elif low <= min_gain:
            checks.append(
                Check(
                    "primary",
                    name,
                    "fail",
                    f"{text} — no significant gain: the CI lower bound is not above the minimum gain {min_gain:g}",
                )
            )
        else:
            checks.append(
                Check(
                    "primary",
                    name,
                    "fail",
                    f"{text} — not significant after Holm correction (α = {comparison.alpha:g})",
                )
            )
    return checks


def _guards(policy: GateConfig, comparison: Comparison) -> list[Check]:
    checks = []
    for name, margin in policy.guards.items():
        m = comparison.metric(name)
        if m is None or m.estimate is None:
            if name not in policy.required:
                why = "not scored in these runs" if m is None else (m.reason or m.status)
                checks.append(Check("guard", name, "note", f"{name} (guard) not checked: {why}"))
            continue
        e = m.estimate
        text = f"{name} (guard, margin {margin:g}): gain {num(e.gain)}, CI lower bound {num(e.ci_low)}"
        if e.ci_low >= -margin:
            checks.append(Check("guard", name, "pass", f"{text} — within the non-inferiority margin"))
        else:
            checks.append(Check("guard", name, "fail", f"{text} — regressed beyond the margin of {margin:g}"))
    return checks


def _floors(policy: GateConfig, comparison: Comparison) -> list[Check]:
    checks = []
    for name, floor in policy.floors.items():
        m = comparison.metric(name)
        if m is None or m.candidate_corpus is None:
            checks.append(
                Check(
                    "floor",
                    name,
                    "incomplete",
                    f"{name} floor {floor:g} cannot be checked: the candidate has no score for it",
                )
            )
            continue
        value, higher = m.candidate_corpus, bool(m.higher_is_better)
        ok = value >= floor if higher else value <= floor
        word = "at least" if higher else "at most"
        checks.append(
            Check(
                "floor",
                name,
                "pass" if ok else "fail",
                f"{name} floor: candidate scores {value:.3f}, must be {word} {floor:g}"
                + ("" if ok else " — below the floor" if higher else " — above the ceiling"),
            )
        )
    return checks


def _relapses(policy: GateConfig, comparison: Comparison) -> list[Check]:
    r = comparison.relapses
    if r is None:
        return []
    checks = []
    n = len(r.relapsed)
    items = ", ".join(f"{x.suite}/{x.item_id}" for x in r.relapsed)
    if n > policy.max_relapses:
        checks.append(
            Check(
                "relapse",
                None,
                "fail",
                f"{n} relapse(s) on narrative corrections (allowed {policy.max_relapses}): {items}",
            )
        )
    else:
        checks.append(
            Check(
                "relapse",
                None,
                "pass",
                f"{n} relapse(s) on {r.n_checked} narrative corrections "
                f"(allowed {policy.max_relapses})" + (f": {items}" if n else ""),
            )
        )
    if r.not_judged:
        checks.append(
            Check(
                "relapse",
                None,
                "note",
                f"{len(r.not_judged)} correction item(s) not judged for relapse: "
                + ", ".join(f"{s}/{i} ({why})" for s, i, why in r.not_judged[:10]),
            )
        )
    return checks


def _crosschecks(comparison: Comparison) -> list[Check]:
    checks = []
    for m in comparison.metrics:
        for c in m.crosscheck:
            if not c.scores_agree:
                checks.append(
                    Check(
                        "crosscheck",
                        m.metric,
                        "incomplete",
                        f"{m.metric} on {c.suite}: the stored statistics give {c.ours_candidate:.4f} / "
                        f"{c.ours_champion:.4f} but sacrebleu on the texts gives {c.sacrebleu_candidate:.4f}"
                        f" / {c.sacrebleu_champion:.4f}; re-score with `evalharness run --rescore`",
                    )
                )
            elif not c.p_agrees:
                checks.append(
                    Check(
                        "crosscheck",
                        m.metric,
                        "note",
                        f"{m.metric} on {c.suite}: sacrebleu's p-value formula on our resamples gives "
                        f"{c.ours_p:.4f}, sacrebleu's own paired bootstrap {c.sacrebleu_p:.4f} — the "
                        "resamples differ from sacrebleu's",
                    )
                )
    return checks


def _pairing_notes(comparison: Comparison) -> list[Check]:
    checks = []
    for m in comparison.metrics:
        if m.status == "compared" and m.n_paired < m.n_items:
            parts = "; ".join(f"{d.side} {d.status} on {d.suite}: {d.count} ({d.reason})" for d in m.drops[:4])
            checks.append(
                Check(
                    "pairing",
                    m.metric,
                    "note",
                    f"{m.metric}: {m.n_items - m.n_paired} of {m.n_items} item(s) left out of the pairing — {parts}",
                )
            )
    return checks


def decide(
    policy: GateConfig,
    comparison: Comparison,
    *,
    has_champion: bool,
    previous_advance_gains: Sequence[dict[str, float]] = (),
) -> Decision:
    """`previous_advance_gains`: primary gains of the most recent recorded advances, newest first."""
    checks = _run_checks(comparison) + _required(policy, comparison, has_champion) + _floors(policy, comparison)
    if has_champion:
        checks += _primary(policy, comparison) + _guards(policy, comparison) + _relapses(policy, comparison)
        checks += _crosschecks(comparison) + _pairing_notes(comparison)
    else:
        checks.append(
            Check(
                "champion",
                None,
                "note",
                "no champion recorded yet — nothing to compare with; the "
                "candidate passes on completeness and floors alone",
            )
        )
    verdicts = {c.verdict for c in checks}
    outcome = "incomplete" if "incomplete" in verdicts else "revert" if "fail" in verdicts else "advance"
    gains = {
        name: m.estimate.gain
        for name in policy.primary
        if (m := comparison.metric(name)) is not None and m.estimate is not None
    }
    converged = False
    if outcome == "advance" and has_champion and gains:
        rounds = policy.convergence_rounds
        history = list(previous_advance_gains)[: rounds - 1]

        def small(g: dict[str, float]) -> bool:
            return bool(g) and all(abs(v) < policy.convergence_epsilon for k, v in g.items() if k in policy.primary)

        if small(gains) and len(history) == rounds - 1 and all(small(g) for g in history):
            converged = True
            outcome = "converged"
            checks.append(
                Check(
                    "convergence",
                    None,
                    "note",
                    f"converged: this and the previous {rounds - 1} advance(s) each gained less than "
                    f"{policy.convergence_epsilon:g} on every primary metric — further rounds are unlikely "
                    "to help",
                )
            )
    return Decision(
        outcome=outcome, exit_code=EXIT_CODES[outcome], checks=tuple(checks), primary_gains=gains, converged=converged
    )
