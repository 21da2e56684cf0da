"""Candidate runs vs champion runs → per-metric paired statistics, Holm-adjusted, with everything dropped.

Runs are matched by suite content hash: a candidate run on a suite version the champion has no run on is
bad input, never compared. All metrics share the seed; every distinct set of paired items gets its own
counts matrix, drawn once and reused by every metric with the same pairing.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ..config import GateConfig
from ..errors import ConfigError, InputError
from ..jsonl import nfc
from ..metrics import Metric, build_metric
from ..store import Store
from ..store import runs as run_rows
from ..store import scores as score_rows
from ..store.runs import RunRow
from .pairing import DropSummary, MetricRows, SuiteItems, drops, load_metric_rows, load_suite_items
from .relapse import RelapseCheck, check_relapses
from .stats import PairedEstimate, draw_counts, holm, holm_adjust, paired_bootstrap, sacrebleu_p_value


@dataclass(frozen=True)
class SuiteRuns:
    suite: str
    version: str
    suite_hash: str
    candidate_run: str
    candidate_status: str
    candidate_failed: int
    champion_run: str | None
    champion_status: str | None
    champion_failed: int | None


@dataclass(frozen=True)
class CrossCheck:
    """sacrebleu's own PairedTest on the texts vs our statistics, one suite and chrF metric."""

    suite: str
    metric: str
    seed: int
    n_items: int
    sacrebleu_candidate: float
    sacrebleu_champion: float
    sacrebleu_p: float
    ours_candidate: float
    ours_champion: float
    ours_p: float
    scores_agree: bool
    p_agrees: bool
    note: str = ""


@dataclass(frozen=True)
class MetricComparison:
    metric: str
    status: str  # compared | not_compared | no_champion
    reason: str | None
    higher_is_better: bool | None
    signature: str | None
    n_items: int
    n_paired: int
    drops: tuple[DropSummary, ...]
    estimate: PairedEstimate | None
    p_holm: float | None
    candidate_corpus: float | None  # pooled over every item the candidate scored (what floors look at)
    champion_corpus: float | None
    per_suite: tuple[tuple[str, PairedEstimate], ...]
    crosscheck: tuple[CrossCheck, ...]
    #: Holm-adjusted interval of the gain, for the members of the Holm family (None for the others):
    #: it excludes 0 exactly when p_holm ≤ α (`stats.holm_adjust`)
    holm_level: float | None = None
    holm_ci_low: float | None = None
    holm_ci_high: float | None = None
    holm_rejected: bool | None = None


@dataclass(frozen=True)
class Comparison:
    suites: tuple[SuiteRuns, ...]
    metrics: tuple[MetricComparison, ...]
    relapses: RelapseCheck | None
    seed: int
    resamples: int
    alpha: float
    power: float

    def metric(self, name: str) -> MetricComparison | None:
        return next((m for m in self.metrics if m.metric == name), None)


def _runs(store: Store, run_ids: Sequence[str], side: str) -> list[RunRow]:
    rows = []
    for run_id in run_ids:
        row = run_rows.get_run(store, run_id)
        if row is None:
            raise InputError(f"no {side} run '{run_id}'", field=f"{side}_run", hint="see `evalharness runs list`")
        rows.append(row)
    hashes = [r.suite_hash for r in rows]
    if len(set(hashes)) != len(hashes):
        raise InputError(
            f"two {side} runs are on the same suite version", field=f"{side}_run", hint="give one run per suite"
        )
    return rows


def _match(candidate: list[RunRow], champion: list[RunRow] | None) -> list[tuple[RunRow, RunRow | None]]:
    if champion is None:
        return [(c, None) for c in sorted(candidate, key=lambda r: (r.suite_name, r.suite_hash))]
    by_hash = {r.suite_hash: r for r in champion}
    cand_hashes = {r.suite_hash for r in candidate}
    unmatched = [r for r in candidate if r.suite_hash not in by_hash] + [
        r for r in champion if r.suite_hash not in cand_hashes
    ]
    if unmatched:
        r = unmatched[0]
        raise InputError(
            f"run {r.run_id} ({r.checkpoint_name}) is on suite '{r.suite_name}' version "
            f"{r.suite_version} ({r.suite_hash[:12]}), which the other side has no run on",
            field="suite_hash",
            hint="runs on different suite versions are never compared; "
            "run both checkpoints on the same suite version (`evalharness gate` does this)",
        )
    pairs = [(c, by_hash[c.suite_hash]) for c in candidate]
    return sorted(pairs, key=lambda p: (p[0].suite_name, p[0].suite_hash))


def _metric_info(store: Store, run_ids: Sequence[str]) -> dict[str, dict[str, dict]]:
    """metric → run_id → run_metrics row."""
    info: dict[str, dict[str, dict]] = {}
    for run_id in run_ids:
        for row in score_rows.run_metrics(store, run_id):
            info.setdefault(row.metric, {})[run_id] = row.as_dict()
    return info


def _check_metric(name: str, rows: dict[str, dict], run_ids: Sequence[str]) -> tuple[Metric | None, str | None]:
    """The metric object, or why this metric cannot be compared across these runs."""
    absent = [r for r in run_ids if r not in rows]
    if absent:
        return None, f"not scored in run(s) {', '.join(absent)}"
    signatures = {rows[r]["signature"] for r in run_ids}
    if len(signatures) > 1:
        return None, (
            "signatures differ between runs (" + " vs ".join(sorted(signatures)) + "); re-score with "
            "`evalharness run --rescore` so both use the same metric version"
        )
    try:
        metric = build_metric(name)
    except ConfigError:
        return None, "this version of evalharness does not know the metric"
    for r in run_ids:
        if (
            tuple(rows[r]["stat_names"]) != tuple(metric.stat_names)
            or rows[r]["higher_is_better"] != metric.higher_is_better
        ):
            return None, f"run {r} stored '{name}' with other statistics ({rows[r]['stat_names']})"
    return metric, None


@contextmanager
def _sacrebleu_seed(seed: int) -> Iterator[None]:
    """sacrebleu's PairedTest takes its seed from SACREBLEU_SEED (its documented interface)."""
    old = os.environ.get("SACREBLEU_SEED")
    os.environ["SACREBLEU_SEED"] = str(seed)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SACREBLEU_SEED", None)
        else:
            os.environ["SACREBLEU_SEED"] = old


def sacrebleu_paired_bs(
    metric: Metric, candidate: list[str], champion: list[str], references: list[str], *, seed: int, resamples: int
) -> tuple[float, float, float]:
    """(candidate score, champion score, p) from sacrebleu's own paired bootstrap on the texts."""
    from sacrebleu.significance import PairedTest

    from ..metrics.chrf import ChrF

    assert isinstance(metric, ChrF), "only chrF metrics have sacrebleu's paired bootstrap"
    chrf = metric.sacrebleu
    with _sacrebleu_seed(seed):
        test = PairedTest(
            [("champion", [nfc(t) for t in champion]), ("candidate", [nfc(t) for t in candidate])],
            {metric.name: chrf},
            references=[[nfc(t) for t in references]],
            test_type="bs",
            n_samples=resamples,
        )
        _, scores = test()
    ((champ, cand),) = [v for k, v in scores.items() if k != "System"]
    assert not isinstance(cand, str) and not isinstance(champ, str) and cand.p_value is not None
    return float(cand.score), float(champ.score), float(cand.p_value)


def compare_runs(
    store: Store, policy: GateConfig, candidate_run_ids: Sequence[str], champion_run_ids: Sequence[str] | None
) -> Comparison:
    """The whole statistical comparison; `champion_run_ids=None` when there is no champion yet."""
    candidate = _runs(store, candidate_run_ids, "candidate")
    champion = _runs(store, champion_run_ids, "champion") if champion_run_ids is not None else None
    pairs = _match(candidate, champion)
    suites = [load_suite_items(store, c.suite_hash) for c, _ in pairs]
    all_ids = [c.run_id for c, _ in pairs] + [h.run_id for _, h in pairs if h is not None]
    info = _metric_info(store, all_ids)
    metrics: dict[str, Metric] = {}
    not_compared: dict[str, str] = {}
    for name in sorted(info):
        metric, why = _check_metric(name, info[name], all_ids if champion is not None else [c.run_id for c, _ in pairs])
        if metric is None:
            not_compared[name] = why or ""
        else:
            metrics[name] = metric
    stat_counts = {name: len(m.stat_names) for name, m in metrics.items()}
    cand_rows = [load_metric_rows(store, c.run_id, s, stat_counts) for (c, _), s in zip(pairs, suites)]
    champ_rows = [
        load_metric_rows(store, h.run_id, s, stat_counts) if h is not None else None for (_, h), s in zip(pairs, suites)
    ]
    texts = _texts(store, pairs, policy, suites, metrics)
    counts_cache: dict[bytes, np.ndarray] = {}
    results = []
    gains: dict[str, np.ndarray] = {}
    for name in sorted(info):
        if name in not_compared:
            results.append(_not_compared(name, not_compared[name], info[name], suites))
            continue
        kept: dict[str, np.ndarray] = {}
        results.append(
            _compare_metric(metrics[name], info[name], suites, cand_rows, champ_rows, policy, counts_cache, texts, kept)
        )
        if "gains" in kept:
            gains[name] = kept["gains"]
    results = with_holm(
        results, None if policy.holm_family == "all" else set(policy.primary), gains, alpha=policy.alpha
    )
    relapses = None
    if champion is not None and any(s.has_corrections for s in suites):
        relapses = check_relapses([(s, texts[i][0], texts[i][1]) for i, s in enumerate(suites) if s.has_corrections])
    return Comparison(
        suites=tuple(
            SuiteRuns(
                suite=s.name,
                version=s.version,
                suite_hash=s.suite_hash,
                candidate_run=c.run_id,
                candidate_status=c.status,
                candidate_failed=c.n_failed or 0,
                champion_run=h.run_id if h else None,
                champion_status=h.status if h else None,
                champion_failed=(h.n_failed or 0) if h else None,
            )
            for (c, h), s in zip(pairs, suites)
        ),
        metrics=tuple(results),
        relapses=relapses,
        seed=policy.seed,
        resamples=policy.resamples,
        alpha=policy.alpha,
        power=policy.power,
    )


def _texts(
    store: Store,
    pairs: list[tuple[RunRow, RunRow | None]],
    policy: GateConfig,
    suites: list[SuiteItems],
    metrics: dict[str, Metric],
) -> list[tuple[dict[str, str | None], dict[str, str | None]]]:
    """Replies per suite (candidate, champion), only when a relapse check or a cross-check needs them."""
    wanted = any(s.has_corrections for s in suites) or (
        any(0 < len(s.item_ids) <= policy.crosscheck_max_items for s in suites)
        and any(hasattr(m, "sacrebleu") for m in metrics.values())
    )
    out: list[tuple[dict[str, str | None], dict[str, str | None]]] = []
    for c, h in pairs:
        if not wanted or h is None:
            out.append(({}, {}))
            continue
        side = []
        for run in (c, h):
            side.append(
                {
                    item: (text if status == "ok" else None)
                    for item, (status, text, _) in run_rows.run_items(store, run.run_id).items()
                }
            )
        out.append((side[0], side[1]))
    return out


def _not_compared(name: str, why: str, rows: dict[str, dict], suites: list[SuiteItems]) -> MetricComparison:
    any_row = next(iter(rows.values()))
    return MetricComparison(
        metric=name,
        status="not_compared",
        reason=why,
        higher_is_better=any_row["higher_is_better"],
        signature=any_row["signature"],
        n_items=sum(len(s.item_ids) for s in suites),
        n_paired=0,
        drops=(),
        estimate=None,
        p_holm=None,
        candidate_corpus=None,
        champion_corpus=None,
        per_suite=(),
        crosscheck=(),
    )


def _corpus(metric: Metric, rows: Sequence[MetricRows | None]) -> float | None:
    present = [r for r in rows if r is not None]
    if not present or not any(r.scored.any() for r in present):
        return None
    total = sum(r.stats[r.scored].sum(axis=0) for r in present)
    return float(metric.score(np.asarray(total)))


def _compare_metric(
    metric: Metric,
    rows: dict[str, dict],
    suites: list[SuiteItems],
    cand_rows: list[dict[str, MetricRows]],
    champ_rows: list[dict[str, MetricRows] | None],
    policy: GateConfig,
    counts_cache: dict[bytes, np.ndarray],
    texts: list[tuple[dict[str, str | None], dict[str, str | None]]],
    kept: dict[str, np.ndarray],
) -> MetricComparison:
    """`kept` receives the pooled sorted resampled gains (for the Holm-adjusted interval)."""
    name = metric.name
    cand = [r[name] for r in cand_rows]
    champ = [r[name] if r is not None else None for r in champ_rows]
    signature = next(iter(rows.values()))["signature"]
    n_items = sum(len(s.item_ids) for s in suites)
    common = dict(
        metric=name,
        higher_is_better=metric.higher_is_better,
        signature=signature,
        n_items=n_items,
        candidate_corpus=_corpus(metric, cand),
        champion_corpus=_corpus(metric, champ),
    )
    if any(h is None for h in champ):
        return MetricComparison(
            status="no_champion",
            reason="no champion to compare with",
            n_paired=0,
            drops=(),
            estimate=None,
            p_holm=None,
            per_suite=(),
            crosscheck=(),
            **common,
        )
    champ_rows_ok = [h for h in champ if h is not None]  # none is None past the check above
    masks = [c.scored & h.scored for c, h in zip(cand, champ_rows_ok)]
    dropped = tuple(
        d
        for s, c, h, m in zip(suites, cand, champ_rows_ok, masks)
        for d in drops("candidate", s, c, m) + drops("champion", s, h, m)
    )
    sizes = [int(m.sum()) for m in masks]
    if sum(sizes) == 0:
        top = dropped[0] if dropped else None
        why = "no item was scored in both runs" + (
            f" ({top.side}: {top.count} {top.status} — {top.reason})" if top else ""
        )
        return MetricComparison(
            status="not_compared",
            reason=why,
            n_paired=0,
            drops=dropped,
            estimate=None,
            p_holm=None,
            per_suite=(),
            crosscheck=(),
            **common,
        )
    key = b"|".join(np.packbits(m).tobytes() + str(len(m)).encode() for m in masks)
    if key not in counts_cache:
        counts_cache[key] = draw_counts(sizes, policy.resamples, policy.seed)
    counts = counts_cache[key]
    cand_stats = np.vstack([c.stats[m] for c, m in zip(cand, masks)])
    champ_stats = np.vstack([h.stats[m] for h, m in zip(champ, masks)])  # type: ignore[union-attr]
    estimate = paired_bootstrap(
        metric, cand_stats, champ_stats, counts, alpha=policy.alpha, power=policy.power, keep=kept
    )
    per_suite = []
    sacrebleu_p: dict[str, float] = {}
    start = 0
    for s, size in zip(suites, sizes):
        if size:
            block = slice(start, start + size)
            resampled: dict[str, np.ndarray] = {}
            est = paired_bootstrap(
                metric,
                cand_stats[block],
                champ_stats[block],
                counts[:, block],
                alpha=policy.alpha,
                power=policy.power,
                keep=resampled,
            )
            per_suite.append((s.name, est))
            sacrebleu_p[s.name] = sacrebleu_p_value(resampled["candidate"], resampled["champion"], est.delta)
        start += size
    checks = _crosscheck(metric, suites, masks, texts, dict(per_suite), sacrebleu_p, policy)
    return MetricComparison(
        status="compared",
        reason=None,
        n_paired=int(sum(sizes)),
        drops=dropped,
        estimate=estimate,
        p_holm=None,
        per_suite=tuple(per_suite),
        crosscheck=checks,
        **common,
    )


def _crosscheck(
    metric: Metric,
    suites: list[SuiteItems],
    masks: list[np.ndarray],
    texts: list[tuple[dict[str, str | None], dict[str, str | None]]],
    ours: dict[str, PairedEstimate],
    ours_sacrebleu_p: dict[str, float],
    policy: GateConfig,
) -> tuple[CrossCheck, ...]:
    """sacrebleu's PairedTest on the texts: its scores must equal the stored statistics', and its p-value
    must equal sacrebleu's formula applied to our resamples (so our draws are sacrebleu's draws). That p
    is not the gate's p-value (see `stats.sacrebleu_p_value`)."""
    # a folded chrF scores texts the suite's language card folded: sacrebleu on the raw texts is not its check
    # (its own test checks it against sacrebleu on folded text)
    if (
        not hasattr(metric, "sacrebleu")
        or not getattr(metric, "crosscheck_on_raw_text", True)
        or policy.crosscheck_max_items == 0
    ):
        return ()
    out = []
    for offset, (suite, mask, (cand_text, champ_text)) in enumerate(zip(suites, masks, texts)):
        n = int(mask.sum())
        if n == 0 or n > policy.crosscheck_max_items:
            continue
        ids = [suite.item_ids[i] for i in np.flatnonzero(mask)]
        refs = [suite.references[i] for i in np.flatnonzero(mask)]
        if any(cand_text.get(i) is None or champ_text.get(i) is None for i in ids):
            continue  # a scored item without its text: the stored statistics speak for themselves
        seed = policy.seed + offset
        sb_cand, sb_champ, sb_p = sacrebleu_paired_bs(
            metric,
            [cand_text[i] or "" for i in ids],
            [champ_text[i] or "" for i in ids],
            refs,
            seed=seed,
            resamples=policy.resamples,
        )
        est = ours[suite.name]
        ours_p = ours_sacrebleu_p[suite.name]
        tolerance = 2.0 / (policy.resamples + 1)
        identical = ours_p == 1.0 and est.se == 0.0 and abs(sb_p - 1 / (policy.resamples + 1)) < 1e-12
        out.append(
            CrossCheck(
                suite=suite.name,
                metric=metric.name,
                seed=seed,
                n_items=n,
                sacrebleu_candidate=sb_cand,
                sacrebleu_champion=sb_champ,
                sacrebleu_p=sb_p,
                ours_candidate=est.candidate_score,
                ours_champion=est.champion_score,
                ours_p=ours_p,
                scores_agree=abs(sb_cand - est.candidate_score) < 1e-6 and abs(sb_champ - est.champion_score) < 1e-6,
                p_agrees=abs(sb_p - ours_p) <= tolerance or identical,
                note="identical systems: sacrebleu reports 1/(B+1), we report 1" if identical else "",
            )
        )
    return tuple(out)


def with_holm(
    results: Sequence[MetricComparison],
    family: set[str] | None,
    gains: dict[str, np.ndarray] | None = None,
    *,
    alpha: float = 0.05,
) -> list[MetricComparison]:
    """Holm-adjust the compared metrics in `family` (None: every metric compared): adjusted p-values and
    Holm-adjusted intervals of the gain that agree with them (`stats.holm_adjust`). `gains`: each metric's
    sorted resampled gains (from `paired_bootstrap(..., keep=…)`); without them only the adjusted p is set.

    The others keep `p_holm = None`: they are outside the family whose error rate the decision controls.
    """
    tested = [
        i
        for i, r in enumerate(results)
        if r.estimate is not None and np.isfinite(r.estimate.p_value) and (family is None or r.metric in family)
    ]
    out = list(results)
    if gains is None or any(results[i].metric not in gains for i in tested):
        adjusted = holm([results[i].estimate.p_value for i in tested])  # type: ignore[union-attr]
        for i, p in zip(tested, adjusted):
            out[i] = dataclasses.replace(out[i], p_holm=p)
        return out
    family_gains = [gains[results[i].metric] for i in tested]
    tails = [results[i].estimate.tail for i in tested]  # type: ignore[union-attr]
    for i, h in zip(tested, holm_adjust(tails, family_gains, alpha)):
        out[i] = dataclasses.replace(
            out[i],
            p_holm=h.p_holm,
            holm_level=h.level,
            holm_ci_low=h.ci_low,
            holm_ci_high=h.ci_high,
            holm_rejected=h.rejected,
        )
    return out
