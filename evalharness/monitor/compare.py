"""A check against its baseline: answers that changed, log-probabilities that moved, the canary score's drop,
and per metric the gate's paired bootstrap (the same functions, on the canary items both sides scored).

Pure functions over plain mappings (item key → answer, item key → statistics), so the statistics can be
tested and benchmarked without a store or an endpoint.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..gate.stats import draw_counts, paired_bootstrap
from ..metrics import Metric

Stats = Mapping[str, tuple[str, tuple[float, ...] | None]]  # item key → (status, statistics when scored)


@dataclass(frozen=True)
class Answer:
    text: str | None  # None: no answer (failed)
    logprob_sum: float | None = None
    logprob_tokens: int | None = None

    @property
    def mean_logprob(self) -> float | None:
        if self.logprob_sum is None or not self.logprob_tokens:
            return None
        return self.logprob_sum / self.logprob_tokens


@dataclass(frozen=True)
class Changes:
    """How many canary answers differ from a reference's (both answered): verbatim, and — where both sides
    have log-probabilities — also by a move of the mean token log-probability beyond the tolerance."""

    compared: int
    changed: int
    changed_keys: tuple[str, ...]
    logprob_compared: int  # items compared with log-probabilities taken into account (0: none available)
    logprob_changed: int

    @property
    def share(self) -> float | None:
        return self.changed / self.compared if self.compared else None

    @property
    def logprob_share(self) -> float | None:
        return self.logprob_changed / self.logprob_compared if self.logprob_compared else None

    @property
    def drift_share(self) -> float | None:
        """What the drift test watches: with log-probabilities where there are any, else verbatim."""
        return self.logprob_share if self.logprob_share is not None else self.share


def answer_changes(check: Mapping[str, Answer], reference: Mapping[str, Answer], tolerance: float) -> Changes:
    """Compare texts exactly (they are NFC already); for an item whose text is unchanged and where both sides
    have log-probabilities, a move of the mean token log-probability beyond `tolerance` nats is a change too."""
    keys = [k for k in check if check[k].text is not None and k in reference and reference[k].text is not None]
    changed = tuple(k for k in keys if check[k].text != reference[k].text)
    lp_compared = lp_changed = 0
    if any(check[k].mean_logprob is not None and reference[k].mean_logprob is not None for k in keys):
        for k in keys:
            now, ref = check[k].mean_logprob, reference[k].mean_logprob
            if k in changed:
                lp_compared, lp_changed = lp_compared + 1, lp_changed + 1
            elif now is not None and ref is not None:
                lp_compared += 1
                lp_changed += abs(now - ref) > tolerance
    return Changes(len(keys), len(changed), changed, lp_compared, lp_changed)


#: a baseline is corrected on at most half its items: more than that is a change, not one-offs. A
#: baseline caught in a burst of nondeterminism (a quarter of the answers varying at once, say) is corrected; a
#: model switched right after it, changing most answers, is not absorbed. (A limit near the tolerance instead let
#: a burst baseline stand, and 8 % of simulated quiet series alarmed — benchmarks/monitor_drift.py.)
ONE_OFF_LIMIT = 0.5


def established_answers(
    votes: Sequence[Mapping[str, Answer]], max_share: float
) -> tuple[dict[str, Answer], dict[str, int]]:
    """The baseline's answers (`votes[0]`), except where the baseline's answer was a one-off; and for each item
    which vote its answer comes from.

    An item's answer is replaced when most of the later votes (at least two of them) agree on another text: at
    temperature 0 that is the endpoint's usual answer and the baseline caught a nondeterministic variant — which
    would otherwise count as "changed" at every later check. When more than `max_share` of the items would be
    replaced, the later checks are not noise but a change, and nothing is replaced. Log-probabilities come
    from the earliest vote that has them for the chosen text.
    """
    if not votes:
        return {}, {}
    base, later = votes[0], votes[1:]
    replace: dict[str, str] = {}
    for key, answer in base.items():
        texts = [str(v[key].text) for v in later if key in v and v[key].text is not None]
        if len(texts) < 2:
            continue
        top = max(set(texts), key=lambda t: (texts.count(t), -texts.index(t)))
        if top != answer.text and 2 * texts.count(top) > len(texts):
            replace[key] = top
    answered = sum(1 for a in base.values() if a.text is not None)
    if len(replace) > max_share * answered:
        replace = {}
    answers: dict[str, Answer] = {}
    sources: dict[str, int] = {}
    for key, answer in base.items():
        text = replace.get(key, answer.text)
        found = [i for i, v in enumerate(votes) if key in v and v[key].text == text]
        with_lp = [i for i in found if votes[i][key].mean_logprob is not None]
        source = found[0] if found else 0
        answers[key] = votes[with_lp[0] if with_lp else source][key]
        sources[key] = source
    return answers, sources


@dataclass(frozen=True)
class MetricCheck:
    """One metric of a check: its canary score, and the paired comparison with the baseline when possible."""

    metric: str
    higher_is_better: bool
    score: float | None  # over every canary item this check scored
    n_scored: int
    baseline_score: float | None  # over the paired items
    check_score: float | None  # over the paired items
    n_paired: int
    estimate: dict[str, Any] | None  # the gate's PairedEstimate, as a dict
    reason: str | None = None  # why there is no comparison


def _matrix(stats: Stats, keys: Sequence[str], width: int) -> np.ndarray:
    return np.array([stats[k][1] for k in keys], dtype=float).reshape(len(keys), width)


def corpus_score(metric: Metric, stats: Stats) -> tuple[float | None, int]:
    scored = [k for k, (status, values) in stats.items() if status == "scored" and values is not None]
    if not scored:
        return None, 0
    return float(metric.score(_matrix(stats, scored, len(metric.stat_names)).sum(axis=0))), len(scored)


def compare_metric(
    metric: Metric,
    check: Stats,
    baseline: Stats | None,
    *,
    resamples: int,
    seed: int,
    alpha: float,
    power: float,
    why_not: str | None = None,
) -> MetricCheck:
    """The gate's paired bootstrap of check vs baseline on the items both scored (one index draw, seeded)."""
    score, n = corpus_score(metric, check)
    common: dict[str, Any] = dict(metric=metric.name, higher_is_better=metric.higher_is_better, score=score, n_scored=n)
    if baseline is None or why_not:
        return MetricCheck(
            **common,
            baseline_score=None,
            check_score=None,
            n_paired=0,
            estimate=None,
            reason=why_not or "no baseline yet",
        )
    paired = sorted(
        k
        for k, (status, values) in check.items()
        if status == "scored"
        and values is not None
        and k in baseline
        and baseline[k][0] == "scored"
        and baseline[k][1] is not None
    )
    if not paired:
        return MetricCheck(
            **common,
            baseline_score=None,
            check_score=None,
            n_paired=0,
            estimate=None,
            reason="no canary item was scored both in the baseline and in this check",
        )
    width = len(metric.stat_names)
    cand, base = _matrix(check, paired, width), _matrix(baseline, paired, width)
    estimate = paired_bootstrap(
        metric, cand, base, draw_counts([len(paired)], resamples, seed), alpha=alpha, power=power
    )
    return MetricCheck(
        **common,
        baseline_score=estimate.champion_score,
        check_score=estimate.candidate_score,
        n_paired=len(paired),
        estimate=_clean(dataclasses.asdict(estimate)),
    )


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value
