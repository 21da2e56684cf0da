"""Judge–human agreement: does the judge grade answers the way Stoney speakers do?

For each judge (model identity) and rubric version, every human rating that has a verdict for the same
answer (item id + exact answer text, and suite when the rating names one) becomes a pair
(human grade, judge grade). The judge grade is the mean overall grade over its k samples.

- Quadratic-weighted Cohen's κ (`sklearn.metrics.cohen_kappa_score(weights="quadratic")`, labels 1–5),
  on the judge's mean grade rounded half up. 1 = perfect agreement, 0 = what chance gives, < 0 worse;
  quadratic weights make a 1-vs-5 disagreement count 16 times a 1-vs-2 one.
- Spearman ρ (`scipy.stats.spearmanr`) between the human grade and the judge's mean grade: does the judge
  rank answers in the same order as people, whatever its scale?
- Bias: mean judge grade − mean human grade. Positive = the judge is more lenient than the raters, the
  known failure of LLM judges in low-resource languages.

Several people may rate one answer (the dashboard asks for `[dashboard] ratings_per_answer` voices). Each
answer counts once, with one human grade: the grade an admin settled it with, else the consensus of its
voices — their mean (κ and exact matches use it rounded half up, as they use the judge's mean). Every
report says how many answers had more than one voice and how many were settled.

Confidence intervals are percentile bootstraps (seeded; 1,000 resamples by default) that resample
answers. Every report says how many ratings, answers and raters it rests on; a statistic that is
undefined (all grades equal) is None with the reason.
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..store import Store, judging
from ..store import runs as run_records
from .engine import candidate_sha256
from .ratings import HumanRating

LABELS = [1, 2, 3, 4, 5]


def round_half_up(values: np.ndarray) -> np.ndarray:
    """2.5 → 3, 3.5 → 4 (numpy's round would give 2 and 4)."""
    return np.floor(np.asarray(values, dtype=float) + 0.5).astype(int)


def weighted_kappa(human: np.ndarray, judge_grade: np.ndarray) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        value = float(cohen_kappa_score(human, judge_grade, weights="quadratic", labels=LABELS))
    return value if math.isfinite(value) else None


def spearman(human: np.ndarray, judge: np.ndarray) -> float | None:
    from scipy.stats import spearmanr

    if len(human) < 2 or np.all(human == human[0]) or np.all(judge == judge[0]):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = float(spearmanr(human, judge).statistic)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Interval:
    low: float | None
    high: float | None
    undefined_resamples: int = 0  # resamples where the statistic was undefined (e.g. one grade only)


@dataclass(frozen=True)
class Agreement:
    judge_provider: str
    judge_model: str
    judge_identity: str
    rubric_hash: str
    rubric_name: str | None
    rubric_version: str | None
    n_ratings: int  # individual ratings behind the answers' grades
    n_answers: int  # answers compared (one human grade each)
    n_items: int
    n_raters: int
    n_multi_voice: int  # answers more than one person rated
    n_settled: int  # answers whose grade an admin settled
    kappa: float | None
    kappa_ci: Interval
    rho: float | None
    rho_ci: Interval
    judge_mean: float
    human_mean: float
    bias: float
    bias_ci: Interval
    exact: float  # share of ratings where the rounded judge grade equals the human grade
    within_one: float
    confidence: float
    n_resamples: int
    seed: int
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CalibrationReport:
    agreements: list[Agreement]
    n_ratings: int
    unmatched: dict[str, int] = field(default_factory=dict)  # judge identity → answers it has no verdict for
    n_answers: int = 0  # answers the ratings are about
    n_multi_voice: int = 0  # of those, answers more than one person rated
    n_settled: int = 0  # answers an admin settled


@dataclass(frozen=True)
class AnswerGrade:
    """One answer's human grade: an admin's settlement, else the mean of its voices (one per rater)."""

    item_id: str
    candidate: str
    suite_hash: str | None
    grade: float
    raters: tuple[str, ...]
    settled: bool

    @property
    def voices(self) -> int:
        return len(self.raters)


def consensus(ratings: Sequence[HumanRating], settled: Mapping[tuple[str, str, str], int]) -> list[AnswerGrade]:
    """Ratings grouped by answer (suite, item, answer text): `settled` maps (suite hash or "", item id,
    answer sha256) to the grade an admin settled the answer with."""
    groups: dict[tuple[str, str, str], list[HumanRating]] = defaultdict(list)
    for r in ratings:
        groups[(r.suite_hash or "", r.item_id, candidate_sha256(r.candidate))].append(r)
    out = []
    for key, group in groups.items():
        first = group[0]
        raters = tuple(sorted({r.rater for r in group}))
        if key in settled:
            grade, is_settled = float(settled[key]), True
        else:
            grade, is_settled = float(np.mean([r.rating for r in group])), False
        out.append(AnswerGrade(first.item_id, first.candidate, first.suite_hash, grade, raters, is_settled))
    return out


def _interval(values: np.ndarray, confidence: float) -> Interval:
    finite = values[np.isfinite(values)]
    undefined = int(len(values) - len(finite))
    if len(finite) == 0:
        return Interval(None, None, undefined)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(finite, [alpha, 1 - alpha])
    return Interval(float(low), float(high), undefined)


def agreement_stats(
    human: Sequence[float],
    judge_mean: Sequence[float],
    clusters: Sequence[object] | None = None,
    *,
    n_resamples: int = 1000,
    seed: int = 12345,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """κ, ρ, bias and their bootstrap intervals for paired grades. `clusters` groups ratings of one answer.

    Point estimates come from sklearn and scipy. The bootstrap draws, per resample, how often each answer
    is taken (a multinomial) and computes the same statistics on those weights for all resamples at once
    (`kappa_batch`, `spearman_batch`: equal to the libraries' values on the expanded sample — tested).
    """
    h = np.asarray(human, dtype=float)  # an answer's consensus may lie between two grades
    j = np.asarray(judge_mean, dtype=float)
    if h.shape != j.shape or h.ndim != 1 or len(h) == 0:
        raise ValueError("human and judge grades must be two non-empty sequences of equal length")
    groups = np.asarray(clusters if clusters is not None else np.arange(len(h)), dtype=object)
    _, cluster_index = np.unique(groups.astype(str), return_inverse=True)
    n_clusters = int(cluster_index.max()) + 1
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters), size=n_resamples)
    weights = counts[:, cluster_index].astype(float)  # resample × rating: how often each rating is drawn
    grade = round_half_up(j)
    human_grade = round_half_up(h)
    biases = (weights @ j - weights @ h) / weights.sum(axis=1) if n_resamples else np.array([])
    return {
        "kappa": weighted_kappa(human_grade, grade),
        "kappa_ci": _interval(kappa_batch(human_grade, grade, weights), confidence),
        "rho": spearman(h, j),
        "rho_ci": _interval(spearman_batch(h, j, weights), confidence),
        "judge_mean": float(j.mean()),
        "human_mean": float(h.mean()),
        "bias": float(j.mean() - h.mean()),
        "bias_ci": _interval(biases, confidence),
        "exact": float(np.mean(grade == human_grade)),
        "within_one": float(np.mean(np.abs(grade - human_grade) <= 1)),
        "n_clusters": n_clusters,
    }


_QUADRATIC = np.array([[(a - b) ** 2 for b in LABELS] for a in LABELS], dtype=float) / (len(LABELS) - 1) ** 2


def kappa_batch(human: np.ndarray, grade: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Quadratic-weighted κ for each row of `weights` (how often each pair counts); NaN where undefined."""
    cells = (np.asarray(human) - 1) * len(LABELS) + (np.asarray(grade) - 1)
    onehot = np.zeros((len(cells), len(LABELS) ** 2))
    onehot[np.arange(len(cells)), cells] = 1.0
    observed = (weights @ onehot).reshape(-1, len(LABELS), len(LABELS))
    total = observed.sum(axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = observed.sum(axis=2)[:, :, None] * observed.sum(axis=1)[:, None, :] / total[:, None, None]
        disagreement = (observed * _QUADRATIC).sum(axis=(1, 2))
        chance = (expected * _QUADRATIC).sum(axis=(1, 2))
        return np.where(chance > 0, 1.0 - disagreement / chance, np.nan)


def _weighted_ranks(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Average ranks (ties share the mean rank, as scipy's rankdata) of a sample where value i occurs w_i times."""
    distinct, index = np.unique(values, return_inverse=True)
    onehot = np.zeros((len(values), len(distinct)))
    onehot[np.arange(len(values)), index] = 1.0
    count = weights @ onehot  # resample × distinct value
    before = np.cumsum(count, axis=1) - count
    return (before + (count + 1.0) / 2.0)[:, index]


def spearman_batch(human: np.ndarray, judge: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Spearman ρ (Pearson correlation of average ranks) for each row of `weights`; NaN where undefined."""
    rh, rj = _weighted_ranks(np.asarray(human, float), weights), _weighted_ranks(np.asarray(judge, float), weights)
    total = weights.sum(axis=1, keepdims=True)
    dh = rh - (weights * rh).sum(axis=1, keepdims=True) / total
    dj = rj - (weights * rj).sum(axis=1, keepdims=True) / total
    cov = (weights * dh * dj).sum(axis=1)
    var = (weights * dh * dh).sum(axis=1) * (weights * dj * dj).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(var > 1e-12, cov / np.sqrt(var), np.nan)


def judge_grades(store: Store) -> dict[tuple[str, str], dict[tuple[str, str, str | None], tuple[float, int]]]:
    """(judge identity, rubric hash) → (item id, answer sha256, suite hash) → (mean overall, n samples)."""
    out: dict[tuple[str, str], dict[tuple[str, str, str | None], tuple[float, int]]] = defaultdict(dict)
    for identity, rubric_hash, item_id, sha, suite_hash, mean, n in judging.judge_grades(store):
        out[(identity, rubric_hash)][(item_id, sha, suite_hash)] = (float(mean), int(n))
    return out


def _match(grades: dict[tuple[str, str, str | None], tuple[float, int]], rating: AnswerGrade, sha: str) -> float | None:
    if rating.suite_hash:
        hit = grades.get((rating.item_id, sha, rating.suite_hash))
        return hit[0] if hit else None
    hits = [v for (item, s, _), v in grades.items() if item == rating.item_id and s == sha]
    if not hits:
        return None
    return sum(mean * n for mean, n in hits) / sum(n for _, n in hits)


def calibrate(
    store: Store,
    ratings: Sequence[HumanRating],
    *,
    n_resamples: int = 1000,
    seed: int = 12345,
    confidence: float = 0.95,
    min_answers: int = 2,
    settled: Mapping[tuple[str, str, str], int] | None = None,
) -> CalibrationReport:
    """Agreement of every judge and rubric version in the store with the given human ratings.

    Ratings of one answer by several people become one grade (`consensus`); `settled` (default: the store's
    settlements) gives the grade of answers an admin settled."""
    grades_all = judge_grades(store)
    meta = judging.judge_models(store)
    rubrics = judging.rubric_names(store)
    # a rating that names its run but not its suite belongs to that run's suite
    run_suites = run_records.run_suite_hashes(store)
    ratings = [
        r if r.suite_hash or not r.run_id or r.run_id not in run_suites else replace(r, suite_hash=run_suites[r.run_id])
        for r in ratings
    ]
    if settled is None:
        from ..store.voices import settlements

        settled = {
            (s.suite_hash or "", s.item_id, s.candidate_sha256): s.cas_rating
            for s in settlements(store)
            if s.cas_rating is not None
        }
    answers = consensus(ratings, settled)
    shas = [candidate_sha256(a.candidate) for a in answers]
    agreements, unmatched = [], {}
    for (identity, rubric_hash), grades in sorted(grades_all.items()):
        human: list[float] = []
        judge: list[float] = []
        clusters: list[str] = []
        items: set[str] = set()
        raters: set[str] = set()
        n_ratings = n_multi = n_settled = 0
        for answer, sha in zip(answers, shas):
            mean = _match(grades, answer, sha)
            if mean is None:
                continue
            human.append(answer.grade)
            judge.append(mean)
            clusters.append(f"{answer.suite_hash or ''}\x00{answer.item_id}\x00{sha}")
            items.add(answer.item_id)
            raters.update(answer.raters)
            n_ratings += answer.voices
            n_multi += answer.voices > 1
            n_settled += answer.settled
        unmatched[identity[:12] + "/" + rubric_hash[:12]] = len(answers) - len(human)
        if not human:
            continue
        n_answers = len(set(clusters))
        notes: list[str] = []
        provider, model = meta.get((identity, rubric_hash), ("?", "?"))
        name, version = rubrics.get(rubric_hash, (None, None))
        if n_answers < min_answers:
            notes.append(f"only {n_answers} rated answer(s): too few for agreement statistics")
            stats = agreement_stats(human, judge, clusters, n_resamples=0, seed=seed, confidence=confidence)
            stats.update(kappa=None, rho=None)
        else:
            stats = agreement_stats(human, judge, clusters, n_resamples=n_resamples, seed=seed, confidence=confidence)
        if stats["kappa"] is None and n_answers >= min_answers:
            notes.append("κ undefined: the grades do not vary")
        if stats["rho"] is None and n_answers >= min_answers:
            notes.append("ρ undefined: one side gives every answer the same grade")
        if len(human) < 100:
            notes.append(
                f"{len(human)} rated answers: expect wide intervals (even 100 leave about ±0.14 on a ρ near 0.6)"
            )
        agreements.append(
            Agreement(
                judge_provider=provider,
                judge_model=model,
                judge_identity=identity,
                rubric_hash=rubric_hash,
                rubric_name=name,
                rubric_version=version,
                n_ratings=n_ratings,
                n_answers=n_answers,
                n_items=len(items),
                n_raters=len(raters),
                n_multi_voice=n_multi,
                n_settled=n_settled,
                kappa=stats["kappa"],
                kappa_ci=stats["kappa_ci"],
                rho=stats["rho"],
                rho_ci=stats["rho_ci"],
                judge_mean=stats["judge_mean"],
                human_mean=stats["human_mean"],
                bias=stats["bias"],
                bias_ci=stats["bias_ci"],
                exact=stats["exact"],
                within_one=stats["within_one"],
                confidence=confidence,
                n_resamples=n_resamples,
                seed=seed,
                notes=tuple(notes),
            )
        )
    return CalibrationReport(
        agreements=agreements,
        n_ratings=len(ratings),
        unmatched=unmatched,
        n_answers=len(answers),
        n_multi_voice=sum(a.voices > 1 for a in answers),
        n_settled=sum(a.settled for a in answers),
    )
