"""Plain words for the people the dashboard is for: release decisions, scores, times.

The gate writes its reasons for engineers ("chrf++ (primary): gain −0.298 (95% CI …), Holm p …"). The
reviewers are Stoney speakers, teachers and elders: the dashboard says first, in a sentence, what happened
and why, and keeps the numbers one click away. These functions turn the statistics the gate stored
(`decisions.stats_json`) into those sentences; the engineers' reasons stay available unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

#: What each built-in score measures, for someone who has never heard of it. Metrics from plugins fall back
#: to their registry description.
METRIC_WORDS = {
    "chrf": "how closely the answers match the expected ones, letter by letter",
    "chrf++": "how closely the answers match the expected ones, letter by letter and word by word",
    "chrf_folded": "how closely the answers match, letter by letter, when spelling variants count as the same",
    "chrf++_folded": "how closely the answers match, letters and words, when spelling variants count as the same",
    "bits_per_char": "how surprised the model is by the expected answers (lower is better)",
    "token_perplexity": "how surprised the model is by the expected answers, per word piece (lower is better)",
    "embedding_cosine": "how close the meaning of the English in the answers is to the expected answers",
    "exact_match": "how many answers are exactly the expected ones",
    "word_accuracy": "how many of the expected words the answers contain",
    "edit_similarity": "how few letters would have to change to turn the answers into the expected ones",
    "cas": "how culturally authentic an AI judge found the answers, by the community's rubric",
    "invented_words": "how many made-up Stoney-looking words the answers contain (lower is better)",
}


def metric_words(name: str) -> str:
    """What a score measures, in plain words."""
    base = name.removesuffix("@extracted")
    if base in METRIC_WORDS:
        return METRIC_WORDS[base] + (" (in the part of each answer that is the answer)" if base != name else "")
    try:
        from ..registry import metric

        return metric(name).description or name
    except Exception:
        return name


def metric_label(name: str) -> str:
    """The name people read (e.g. "chrF++"), from the metric's registry entry."""
    try:
        from ..registry import metric

        return metric(name).label
    except Exception:
        return name


def _points(value: float) -> str:
    return f"{abs(value):.1f}"


def _signed(value: float) -> str:
    return f"{value:+.1f}".replace("-", "−")


def _estimate(metrics: Mapping[str, Any], name: str | None) -> Mapping[str, Any] | None:
    found = metrics.get(name or "")
    return (found or {}).get("estimate") if isinstance(found, Mapping) else None


def _check_words(check: Mapping[str, Any], metrics: Mapping[str, Any], stats: Mapping[str, Any]) -> str | None:
    kind, verdict, name = check.get("kind"), check.get("verdict"), check.get("metric")
    label = metric_label(name) if name else ""
    e = _estimate(metrics, name)
    if kind == "primary" and e:
        gain, low, high = float(e["gain"]), float(e["ci_low"]), float(e["ci_high"])
        if verdict == "pass":
            return (
                f"{label} got better: {_points(gain)} points higher than the model in use "
                f"(very likely between {_signed(low)} and {_signed(high)})."
            )
        if "Holm" in str(check.get("message", "")) and low > 0:
            return f"{label} looked a little better ({_signed(gain)} points), but not clearly enough to be sure."
        if gain < 0:
            return (
                f"{label} got worse: {_points(gain)} points lower than the model in use "
                f"(very likely between {_signed(low)} and {_signed(high)})."
            )
        return (
            f"{label} did not clearly get better: the change was {_signed(gain)} points and could be anywhere "
            f"from {_signed(low)} to {_signed(high)}."
        )
    if kind == "guard" and verdict in ("pass", "fail"):
        if verdict == "pass":
            return f"{label} did not get worse by more than allowed."
        worse = f" (about {_points(float(e['gain']))} points)" if e else ""
        return f"{label} got worse by more than allowed{worse}."
    if kind == "floor" and verdict in ("pass", "fail"):
        if verdict == "pass":
            return f"{label} reached the minimum required."
        return f"{label} is below the minimum required."
    if kind == "relapse" and verdict in ("pass", "fail"):
        relapsed = len(((stats.get("relapses") or {}).get("relapsed")) or [])
        if verdict == "fail":
            return (
                f"{relapsed} answer(s) slipped back towards a known wrong answer — one that reviewers had already "
                "corrected."
            )
        return "No answer slipped back towards a known wrong answer that reviewers had corrected."
    if kind == "run" and verdict == "incomplete":
        return "Some questions got no answer from a model, so the test is not complete yet."
    if kind == "required" and verdict == "incomplete":
        return f"{label or 'A required score'} could not be measured, so nothing was decided."
    if kind == "crosscheck" and verdict == "incomplete":
        return "A double-check of the scores did not match; they have to be worked out again."
    return None


def decision_reasons(stats_json: str | None, reasons: Sequence[str]) -> list[str]:
    """The decision's reasons in plain words, most important first. Without stored statistics (an older or
    hand-written decision) the stored reasons are shown as they are."""
    try:
        stats = json.loads(stats_json) if stats_json else {}
    except ValueError:
        stats = {}
    checks = stats.get("checks") if isinstance(stats, dict) else None
    if not checks:
        return list(reasons)
    metrics: dict[str, Any] = {str(m.get("metric")): m for m in stats.get("metrics") or [] if isinstance(m, dict)}
    order = {"incomplete": 0, "fail": 1, "pass": 2, "note": 3}
    words = [
        _check_words(c, metrics, stats)
        for c in sorted(checks, key=lambda c: order.get(str(c.get("verdict")), 4))
        if isinstance(c, dict)
    ]
    found = list(dict.fromkeys(w for w in words if w))
    return found or list(reasons)


HEADLINES = {
    "advance": "{candidate} passed: it is better than {champion}.",
    "revert": "{candidate} was held back: it was not better than {champion}.",
    "incomplete": "Nothing was decided about {candidate}: its test was not complete.",
    "converged": "{candidate} passed, but models have stopped getting much better.",
}


def decision_headline(outcome: str, candidate: str, champion: str | None) -> str:
    template = HEADLINES.get(outcome, "{candidate}: " + outcome)
    return template.format(candidate=candidate, champion=champion or "the models before it")


def local_time(value: datetime | None, zone: tzinfo | None, *, with_date: bool = True) -> str:
    """A stored time (UTC, without zone) in the reader's time zone, e.g. "Mon 30 Nov 2026, 14:05"."""
    if value is None:
        return "—"
    when = value if value.tzinfo else value.replace(tzinfo=UTC)
    when = when.astimezone(zone or UTC)
    clock = f"{when:%H:%M}"
    if not with_date:
        return clock
    return f"{when:%a} {when.day} {when:%b %Y}, {clock}"


def age(since: datetime | None, now: datetime) -> str:
    """How long ago, in words ("3 days", "5 hours", "a few minutes")."""
    if since is None:
        return "—"
    start = since if since.tzinfo else since.replace(tzinfo=UTC)
    seconds = max(0.0, (now - start).total_seconds())
    days, hours = int(seconds // 86400), int(seconds // 3600)
    if days >= 1:
        return f"{days} day{'s' if days != 1 else ''}"
    if hours >= 1:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return "a few minutes" if seconds >= 120 else "just now"
