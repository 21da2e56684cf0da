"""Paired bootstrap over per-item sufficient statistics, Holm's step-down, minimum detectable effect.

Every resample's score is `metric.score_many(counts @ stats)`: the counts matrix says how often each
paired item appears in each resample, so one matrix product gives the summed statistics of all
resamples at once — no string is ever re-scored. The index draw mirrors sacrebleu's paired bootstrap
(`sacrebleu/significance.py`): `default_rng(seed).choice(n, size=(B, n))`.

The confidence interval and the p-value come from the same B resampled gains and agree exactly: with c
the number of resampled gains on the far side of zero (c = min(#{g* ≤ 0}, #{g* ≥ 0})),

    p = min(1, 2 (c + 1) / (B + 1))

and the level-(1 − a) interval is [g*_(k+1), g*_(B−k)] (order statistics, 1-based) with k the largest
integer such that 2 (k + 1) ≤ a (B + 1). Then 0 lies outside the interval exactly when c ≤ k, that is
exactly when p ≤ a — for every a, every metric and either direction. Both are computed with exact
fractions, so the equivalence holds at the boundary too. Holm's adjusted p-values come with
Holm-adjusted intervals built the same way (`holm_adjust`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist

import numpy as np

from ..metrics import Metric

#: indices drawn per block (~16 MB of int64): large enough for speed, small enough to stay in cache-friendly memory
_CHUNK_DRAWS = 2_000_000


def index_counts(indices: np.ndarray, n: int) -> np.ndarray:
    """B × n matrix: how often item j was drawn in resample b (one bincount over the whole draw)."""
    b = indices.shape[0]
    flat = (indices + (np.arange(b, dtype=np.int64) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=b * n).reshape(b, n)


def draw_counts(strata_sizes: Sequence[int], n_resamples: int, seed: int) -> np.ndarray:
    """Stratified resampling counts, strata side by side (B × Σ sizes).

    Stratum i (a suite) draws from `default_rng(seed + i)` exactly as sacrebleu draws for one test set, so
    each suite's block can be checked against sacrebleu run with SACREBLEU_SEED = seed + i. Resampling
    within suites keeps every resample's suite sizes fixed, as the pooled corpus score assumes.

    The draw is made a block of rows at a time: a Generator's stream is sequential, so (B, n) drawn in
    row blocks equals one (B, n) draw (the tests check it), while only a small index buffer is live.
    """
    total = int(sum(strata_sizes))
    counts = np.zeros((n_resamples, total))
    start = 0
    for offset, n in enumerate(strata_sizes):
        if n == 0:
            continue
        rng = np.random.default_rng(seed + offset)
        rows = max(1, min(n_resamples, _CHUNK_DRAWS // n))
        for first in range(0, n_resamples, rows):
            last = min(n_resamples, first + rows)
            indices = rng.choice(n, size=(last - first, n), replace=True)
            counts[first:last, start : start + n] = index_counts(indices, n)
        start += n
    return counts


def sacrebleu_p_value(candidate: np.ndarray, champion: np.ndarray, observed_delta: float) -> float:
    """sacrebleu's two-sided paired-bootstrap p-value: (c + 1) / (B + 1), c = #{|d*| − mean|d*| > |d|}.

    Not the gate's p-value: it tests a centred absolute difference, which does not match the percentile
    interval (on a skewed metric such as token perplexity the two can disagree wildly). It is computed
    only to cross-check that our resamples are sacrebleu's (same draws, same scores → same value).

    One deliberate difference: when every resampled difference is exactly zero and so is the observed
    one, sacrebleu returns 1/(B+1) — "significant" — and this returns 1.0.
    """
    diffs = np.abs(candidate - champion)
    observed = abs(observed_delta)
    if observed == 0.0 and not diffs.any():
        return 1.0
    centred = diffs - diffs.mean()
    exceed = int(np.sum(centred > observed))
    return (exceed + 1) / (len(diffs) + 1)


def tail_count(gains: np.ndarray) -> int:
    """c = resampled gains on the far side of zero: min(#{g* ≤ 0}, #{g* ≥ 0}) (ties at 0 count on both)."""
    return int(min(np.count_nonzero(gains <= 0), np.count_nonzero(gains >= 0)))


def exact_p(tail: int, n: int) -> Fraction:
    """The two-sided bootstrap p-value min(1, 2 (c + 1) / (B + 1)) as an exact fraction."""
    return min(Fraction(1), Fraction(2 * (tail + 1), n + 1))


def interval_k(level_alpha: Fraction, n: int) -> int:
    """Largest k with 2 (k + 1) ≤ a (B + 1); −1 when even k = 0 is too many (B too small for this a)."""
    return math.floor(level_alpha * (n + 1) / 2) - 1


def order_interval(sorted_gains: np.ndarray, level_alpha: Fraction) -> tuple[float, float]:
    """The level-(1 − a) interval [g*_(k+1), g*_(B−k)]; unbounded when B is too small for a."""
    n = len(sorted_gains)
    k = interval_k(level_alpha, n)
    if n == 0:
        return float("nan"), float("nan")
    if k < 0:
        return float("-inf"), float("inf")
    return float(sorted_gains[k]), float(sorted_gains[n - k - 1])


@dataclass(frozen=True)
class HolmAdjusted:
    """One family member after Holm: adjusted p, the level of its adjusted interval, and the interval."""

    p_holm: float
    level: float  # 1 − a_r: the adjusted interval's confidence level
    ci_low: float
    ci_high: float
    rejected: bool  # p_holm ≤ α, decided in exact arithmetic (the interval excludes 0 exactly then)


def holm_adjust(tails: Sequence[int], sorted_gains: Sequence[np.ndarray], alpha: float) -> list[HolmAdjusted]:
    """Holm's step-down over a family, with intervals that agree with the adjusted p-values.

    Sort by p ascending; rank r (0-based) is rejected when it and every smaller p satisfy p ≤ α / (m − r).
    The adjusted p is the running maximum of min(1, (m − r) p). The adjusted interval of rank r has level
    1 − α/(m − r) while every smaller rank was rejected, and from the first rank s that was not, level
    1 − α/(m − s) for s and every later rank: then the interval excludes 0 exactly when p_holm ≤ α.
    """
    m = len(tails)
    if m == 0:
        return []
    a = Fraction(alpha)
    ps = [exact_p(t, len(g)) for t, g in zip(tails, sorted_gains)]
    order = sorted(range(m), key=lambda i: (ps[i], i))
    out: list[HolmAdjusted | None] = [None] * m
    running = Fraction(0)
    stopped_at: int | None = None
    for rank, i in enumerate(order):
        running = max(running, min(Fraction(1), (m - rank) * ps[i]))
        if stopped_at is None and ps[i] > a / (m - rank):
            stopped_at = rank
        level_alpha = a / (m - (rank if stopped_at is None else stopped_at))
        low, high = order_interval(sorted_gains[i], level_alpha)
        out[i] = HolmAdjusted(
            p_holm=float(running), level=float(1 - level_alpha), ci_low=low, ci_high=high, rejected=running <= a
        )
    return [o for o in out if o is not None]


def mde_factor(alpha: float, power: float) -> float:
    """(z_{1−α/2} + z_power): the minimum detectable effect is this times the standard error.

    For α = 0.05 and 80 % power: 1.960 + 0.842 = 2.80.
    """
    z = NormalDist().inv_cdf
    return z(1 - alpha / 2) + z(power)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment (family-wise error ≤ α across the family's metrics).

    Sort ascending; the k-th smallest (0-based) is multiplied by (m − k); adjusted values are made
    monotone with a running maximum and capped at 1. scipy has Benjamini–Hochberg but not Holm, and
    statsmodels is not a dependency.
    """
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, index in enumerate(np.argsort(p, kind="stable")):
        running = max(running, min(1.0, (m - rank) * p[index]))
        adjusted[index] = running
    return [float(v) for v in adjusted]


@dataclass(frozen=True)
class PairedEstimate:
    """Candidate vs champion on one metric, over the paired items. `gain` is oriented: positive = better."""

    n_paired: int
    champion_score: float
    candidate_score: float
    delta: float  # candidate − champion, in the metric's own direction
    gain: float  # delta if higher is better, else −delta
    ci_low: float  # confidence interval of the gain (bootstrap order statistics, level 1 − α)
    ci_high: float
    p_value: float  # two-sided bootstrap p from the same resampled gains: ≤ α exactly when the CI excludes 0
    se: float  # bootstrap standard error of the gain
    mde: float | None  # minimum detectable gain at the configured α and power
    mde_basis: str  # "paired" or "champion spread" (when the paired spread is zero)
    n_resamples: int
    n_undefined: int  # resamples where a score was undefined (NaN), left out of CI and p
    tail: int = 0  # resampled gains on the far side of 0 (the c of p = 2 (c + 1) / (B + 1))


def paired_bootstrap(
    metric: Metric,
    candidate: np.ndarray,
    champion: np.ndarray,
    counts: np.ndarray,
    *,
    alpha: float,
    power: float,
    keep: dict[str, np.ndarray] | None = None,
) -> PairedEstimate:
    """Apply one counts matrix to both systems' per-item statistics (n × k each, same item order).

    `keep`, when given, receives the resampled scores ("candidate", "champion") and the sorted resampled
    gains ("gains") for callers that want them (Holm-adjusted intervals, the cross-check against sacrebleu).
    """
    cand_obs = float(metric.score(candidate.sum(axis=0)))
    champ_obs = float(metric.score(champion.sum(axis=0)))
    cand_b = metric.score_many(counts @ candidate)
    champ_b = metric.score_many(counts @ champion)
    sign = 1.0 if metric.higher_is_better else -1.0
    defined = ~(np.isnan(cand_b) | np.isnan(champ_b))
    cand_b, champ_b = cand_b[defined], champ_b[defined]
    gains = np.sort(sign * (cand_b - champ_b))
    if keep is not None:
        keep["candidate"], keep["champion"], keep["gains"] = cand_b, champ_b, gains
    delta = cand_obs - champ_obs
    ci_low, ci_high = order_interval(gains, Fraction(alpha))
    tail = tail_count(gains)
    se = float(np.std(gains, ddof=1)) if len(gains) > 1 else float("nan")
    factor = mde_factor(alpha, power)
    # Below this the spread is floating-point noise of identical per-item differences, not a spread.
    tiny = 1e-9 * max(1.0, abs(cand_obs), abs(champ_obs))
    if se > tiny:
        mde: float | None = factor * se
        basis = "paired"
    else:
        # Identical systems have no paired spread; the suite's own sensitivity is then better described by
        # the champion's resampling spread (×√2, as for two independent systems of that spread).
        spread = float(np.std(champ_b, ddof=1)) if len(champ_b) > 1 else float("nan")
        mde, basis = (factor * spread * np.sqrt(2), "champion spread") if spread > tiny else (None, "undefined")
    return PairedEstimate(
        n_paired=int(candidate.shape[0]),
        champion_score=champ_obs,
        candidate_score=cand_obs,
        delta=delta,
        gain=sign * delta,
        ci_low=float(ci_low),
        ci_high=float(ci_high),
        p_value=float(exact_p(tail, len(gains))) if len(gains) else float("nan"),
        se=se,
        mde=None if mde is None else float(mde),
        mde_basis=basis,
        n_resamples=int(counts.shape[0]),
        n_undefined=int((~defined).sum()),
        tail=tail,
    )
