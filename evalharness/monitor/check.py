"""`evalharness monitor check NAME` as a library call: one canary check of a deployed endpoint.

1. The endpoint's manifest and the held-out suites are loaded; governance is checked before anything is sent.
2. The model's retirement is looked up (OpenAI's models endpoint); a model that answers 404 is gone.
3. The canary items are sent again — fresh answers through the backend, never read from or written to the
   generation cache — and scored with the monitor's metrics (the usual metric classes).
4. The answers are compared with the baseline: the share that changed (verbatim; with log-probabilities
   where the endpoint gives them), the primary metric's drop, and per metric the gate's paired bootstrap.
5. The drift test (`drift`, `sequential`) takes this check's values; the alert state machine (`alerts`)
   turns the conditions into alerts on state changes only, which `notify` delivers to the sinks.

The check row, its answers and item scores are written in one transaction; alerts after it, and each
sink's delivery is recorded, so a sink that was down gets the alert on the next check, and none twice.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..backends import make_backend
from ..backends.base import Backend, Generation, Request
from ..backends.remote import BackendContext, preflight
from ..checkpoints import Checkpoint, find_checkpoint
from ..config import Config
from ..errors import InputError
from ..governance import require
from ..metrics import ItemStat, Metric, ScoringInput, build_metric
from ..providers.audit import CallRecord, write_calls
from ..providers.pricing import calls_cost
from ..store import Store, records
from ..store import monitor as db
from ..store.gate import current_champion
from ..suites import Suite, load_suite
from .canary import Canary, draw_canary
from .compare import (
    Answer,
    Changes,
    MetricCheck,
    Stats,
    answer_changes,
    compare_metric,
    corpus_score,
    established_answers,
)
from .drift import DriftStatus, PastCheck, drift_status
from .retirement import Retirement, lookup_retirement
from .settings import MonitorConfig

LOGPROB_BACKENDS = ("openai", "openai_compatible")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Target:
    """What a monitor watches, loaded and validated (nothing sent yet)."""

    monitor: MonitorConfig
    checkpoint: Checkpoint
    suites: tuple[Suite, ...]
    canary: Canary

    @property
    def name(self) -> str:
        assert self.monitor.name is not None
        return self.monitor.name

    @property
    def publishable(self) -> bool:
        """Alert texts may quote canary items only when every canary suite allows publication."""
        return all(s.meta.governance.allows("publication") for s in self.suites)


def load_target(config: Config, monitor: MonitorConfig) -> Target:
    checkpoint = find_checkpoint(monitor.endpoint, config.resolve(config.run.checkpoints_dir))
    suites = []
    for name in monitor.suites:
        folder = Path(name) if Path(name).is_dir() else config.resolve(config.run.suites_dir) / name
        suites.append(load_suite(folder))
    for suite in suites:
        require(suite, "evaluation", purpose=f"monitor '{monitor.name}'")
        if checkpoint.is_external:
            require(
                suite,
                "external_generation",
                purpose=f"sending canary prompts to {checkpoint.backend} model "
                f"'{checkpoint.model}' (monitor '{monitor.name}')",
            )
    return Target(monitor, checkpoint, tuple(suites), draw_canary(suites, monitor.canary_size, monitor.seed))


@dataclass(frozen=True)
class FullRunCost:
    """What a full run of the endpoint on the canary's suites costs, for comparison with a check."""

    items: int
    prompt_tokens: int | None
    completion_tokens: int | None
    cost_usd: float | None
    source: str  # "runs …" or "estimated from this check (no complete run stored)"


@dataclass(frozen=True)
class CheckResult:
    check: db.CheckRow
    target: Target
    baseline: db.BaselineRow | None
    metrics: tuple[MetricCheck, ...]
    changes: Changes | None  # vs the baseline's answers, verbatim (reported)
    drift_changes: Changes | None  # vs the established answers (what the drift test watches)
    drift: DriftStatus | None
    retirement: Retirement | None
    full_run: FullRunCost | None
    alerts: tuple[Any, ...] = field(default=())  # notify.Delivery, one per alert sent or retried
    notes: tuple[str, ...] = ()


# -- baseline -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaselineData:
    row: db.BaselineRow
    answers: dict[str, Answer]
    stats: Mapping[str, Stats]  # metric → item key → (status, stats)
    signatures: dict[str, set[str]]  # metric → signatures it was scored with


def _choose_baseline(
    store: Store, target: Target, now: datetime, check_id: str, current: db.BaselineRow | None
) -> tuple[db.BaselineRow | None, str | None]:
    """The baseline to compare with, and a new one to record (with why) when the old one no longer fits."""
    cp, canary = target.checkpoint, target.canary
    if current is not None and current.canary_hash == canary.canary_hash and current.endpoint_identity == cp.identity:
        return current, None
    if current is None:
        reason = "the first check of this monitor"
    elif current.canary_hash != canary.canary_hash:
        reason = "the canary changed (suite version, size or seed)"
    else:
        reason = "the endpoint's manifest changed (another model or other decoding settings)"
    suite_hashes = sorted({c.suite_hash for c in canary.items})
    kind = target.monitor.baseline
    runs = None
    if kind in ("auto", "champion"):
        champion = current_champion(store)
        if champion is not None and champion.checkpoint_identity == cp.identity:
            runs = db.champion_runs(store, cp.identity, suite_hashes)
        if runs is None and kind == "champion":
            raise InputError(
                f"monitor '{target.name}' wants the champion's runs as its baseline, but "
                + (
                    "no champion is recorded"
                    if champion is None
                    else f"the champion is '{champion.checkpoint_name}', not this endpoint"
                    if champion.checkpoint_identity != cp.identity
                    else "the champion has no complete run on every canary suite"
                ),
                field=f"monitors.{target.name}.baseline",
                hint='gate the endpoint with `evalharness gate --record`, or use baseline = "first_check"',
            )
    if runs is not None:
        row = db.new_baseline_row(
            store,
            target.name,
            kind="champion",
            canary_hash=canary.canary_hash,
            endpoint_identity=cp.identity,
            source_runs=[runs[h] for h in suite_hashes],
            source_check=None,
            reason=reason,
            created_at=now,
        )
    else:
        row = db.new_baseline_row(
            store,
            target.name,
            kind="first_check",
            canary_hash=canary.canary_hash,
            endpoint_identity=cp.identity,
            source_runs=[],
            source_check=check_id,
            reason=reason,
            created_at=now,
        )
    return row, reason


def _baseline_data(
    store: Store,
    target: Target,
    row: db.BaselineRow,
    this_answers: dict[str, Answer],
    this_stats: dict[str, Stats],
    check_id: str,
) -> BaselineData:
    if row.kind == "champion":
        by_item = {(c.suite_hash, c.item.id): c.key for c in target.canary.items}
        answers = {
            by_item[k]: Answer(text if status == "ok" else None)
            for k, (status, text) in db.run_answers(store, row.source_runs).items()
            if k in by_item
        }
        stats = {
            metric: {by_item[k]: v for k, v in values.items() if k in by_item}
            for metric, values in db.run_item_stats(store, row.source_runs).items()
        }
        return BaselineData(row, answers, stats, db.run_signatures(store, row.source_runs))
    if row.source_check == check_id:
        return BaselineData(row, this_answers, this_stats, {})
    assert row.source_check is not None
    answers = {
        k: Answer(a.text if a.status == "ok" else None, a.logprob_sum, a.logprob_tokens)
        for k, a in db.check_answers(store, row.source_check).items()
    }
    return BaselineData(row, answers, db.check_item_stats(store, row.source_check), {})


# -- one check ------------------------------------------------------------------------------------------


def _generate(
    target: Target, config: Config, store: Store, check_id: str, backend_factory: Callable[[Checkpoint], Backend] | None
) -> dict[str, Generation]:
    """Fresh answers for every canary item, straight from the backend (the generation cache is not used)."""
    cp = target.checkpoint
    if backend_factory is not None:
        backend = backend_factory(cp)
    else:
        if cp.is_external:
            preflight(cp, config.keys)
        backend = make_backend(
            cp,
            BackendContext(
                providers=config.providers,
                concurrency=config.run.concurrency,
                store=store,
                run_id=check_id,
                suite_hash=target.canary.canary_hash,
                want_logprobs=target.monitor.logprobs == "auto" and cp.backend in LOGPROB_BACKENDS,
                key_hosts=config.keys,
            ),
        )
    requests = [Request(item_id=c.key, prompt=c.item.prompt, system=c.item.system) for c in target.canary.items]
    out: dict[str, Generation] = {}
    try:
        for gen in backend.generate(requests):
            out[gen.item_id] = gen
    finally:
        backend.close()
    for c in target.canary.items:
        out.setdefault(c.key, Generation.failed(c.key, "the backend returned no result for this item"))
    return out


def _score(
    target: Target, config: Config, answers: Mapping[str, Generation]
) -> tuple[dict[str, Metric], dict[str, list[ItemStat]]]:
    metrics = {name: build_metric(name, config) for name in target.monitor.metrics}
    inputs = [
        ScoringInput(
            item=c.item,
            hypothesis=answers[c.key].text if answers[c.key].status == "ok" else None,
            generation_error=answers[c.key].error,
        )
        for c in target.canary.items
    ]
    return metrics, {name: metric.item_stats(inputs) for name, metric in metrics.items()}


def _past_checks(store: Store, monitor: str, baseline_id: str) -> list[PastCheck]:
    out = []
    for row in db.list_checks(store, monitor):
        drift = row.summary.get("drift")
        if row.baseline_id != baseline_id or not drift:
            continue
        out.append(
            PastCheck(
                seq=row.seq,
                values=drift["values"],
                test_start=int(drift["test_start"]),
                active=bool(drift["active"]),
                recovered=bool(drift["recovered"]),
            )
        )
    return out


def _established(
    store: Store,
    baseline: BaselineData,
    seq: int,
    primary: Metric | None,
    monitor: MonitorConfig,
    deterministic: bool,
) -> tuple[dict[str, Answer], float | None, list[str]]:
    """The endpoint's established answers and canary score, from the baseline and the first
    `reference_checks` complete checks after it (those before this one).

    At temperature 0 the score is that of the established answers (each item's statistics from the vote its
    answer came from), so a change during those first checks does not move it; otherwise it is the mean canary
    score of the baseline and those checks. Returns (answers, score, the checks used)."""
    t = monitor.thresholds
    rows = [
        r
        for r in db.list_checks(store, baseline.row.monitor)
        if r.baseline_id == baseline.row.baseline_id
        and r.status == "complete"
        and r.seq < seq
        and r.check_id != baseline.row.source_check
    ][: t.reference_checks]
    ids = [r.check_id for r in rows]
    answers = db.answers_of_checks(store, ids)
    votes = [baseline.answers] + [
        {
            k: Answer(a.text if a.status == "ok" else None, a.logprob_sum, a.logprob_tokens)
            for k, a in answers[c].items()
        }
        for c in ids
    ]
    established, sources = established_answers(votes, t.changed_share)
    score = None
    if primary is not None and primary.name in baseline.stats:
        if deterministic:
            stats = [baseline.stats[primary.name]] + [db.check_item_stats(store, c).get(primary.name, {}) for c in ids]
            score, _ = corpus_score(primary, {k: stats[v].get(k, ("failed", None)) for k, v in sources.items()})
        else:
            first, _ = corpus_score(primary, baseline.stats[primary.name])
            scores = ([first] if first is not None else []) + [
                r.summary["scores"][primary.name] for r in rows if r.summary["scores"].get(primary.name) is not None
            ]
            score = float(np.mean(scores)) if scores else None
    return established, score, ids


def _full_run(
    store: Store,
    target: Target,
    baseline: db.BaselineRow | None,
    tokens: tuple[int | None, int | None],
    cost: float | None,
    n_ok: int,
) -> FullRunCost | None:
    suite_hashes = sorted({s.content_hash for s in target.suites})
    run_ids = (
        list(baseline.source_runs)
        if baseline is not None and baseline.kind == "champion"
        else db.endpoint_full_runs(store, target.checkpoint.identity, suite_hashes)
    )
    if len(run_ids) == len(suite_hashes):
        c = db.runs_cost(store, run_ids)
        return FullRunCost(c.n_items, c.prompt_tokens, c.completion_tokens, c.cost_usd, "runs " + ", ".join(run_ids))
    if not n_ok or tokens[0] is None or tokens[1] is None:
        return None
    scale = sum(len(s.items) for s in target.suites) / n_ok
    return FullRunCost(
        sum(len(s.items) for s in target.suites),
        round(tokens[0] * scale),
        round(tokens[1] * scale),
        None if cost is None else cost * scale,
        f"estimated from this check ({n_ok} answers scaled to the suites' size; no complete run "
        "of this endpoint is stored)",
    )


def run_check(
    config: Config,
    store: Store,
    monitor: MonitorConfig,
    *,
    now: datetime | None = None,
    backend_factory: Callable[[Checkpoint], Backend] | None = None,
    env: Mapping[str, str] | None = None,
    lookup: bool = True,
) -> CheckResult:
    """One check. Raises on bad config or a governance refusal (nothing sent); everything else is recorded."""
    from . import notify

    now = now or utcnow()
    target = load_target(config, monitor)
    sinks = notify.configured_sinks(monitor, env)
    cp, canary = target.checkpoint, target.canary
    for suite in target.suites:
        records.record_suite(store, suite)
    records.record_checkpoint(store, cp)
    db.record_canary(
        store,
        [
            db.CanaryRow(canary.canary_hash, c.key, c.suite_hash, c.suite_name, c.item.id, i)
            for i, c in enumerate(canary.items)
        ],
    )
    check_id = "chk-" + uuid.uuid4().hex[:12]
    seq = db.next_check_seq(store, target.name)
    notes: list[str] = []

    retirement = None
    if lookup:
        audit: list[CallRecord] = []
        retirement = lookup_retirement(cp, now.date(), audit=audit, key_hosts=config.keys)
        write_calls(store, [dataclasses.replace(r, run_id=check_id) for r in audit])
        db.save_retirement(
            store,
            [
                db.RetirementRow(
                    x.model,
                    cp.provider_name,
                    x.role,
                    cp.name,
                    x.status,
                    x.shutdown_date.isoformat() if x.shutdown_date else None,
                    x.reason,
                    now,
                )
                for x in retirement.lookups
            ],
        )
    gone = retirement is not None and retirement.gone is not None

    generations: dict[str, Generation] = {} if gone else _generate(target, config, store, check_id, backend_factory)
    ok = {k: g for k, g in generations.items() if g.status == "ok"}
    failed_404 = bool(generations) and not ok and all("HTTP 404" in (g.error or "") for g in generations.values())
    if failed_404:
        gone = True
        notes.append("every canary request answered HTTP 404: the endpoint's model is gone")
    metrics, item_stats = _score(target, config, generations) if ok else ({}, {})
    answers = {
        k: Answer(g.text if g.status == "ok" else None, g.logprob_sum, g.logprob_tokens) for k, g in generations.items()
    }
    stats: dict[str, Stats] = {
        name: {c.key: (s.status, s.stats) for c, s in zip(canary.items, values)} for name, values in item_stats.items()
    }
    status = "gone" if gone else ("complete" if ok else "failed")

    current = db.current_baseline(store, target.name)
    baseline_row, new_reason = _choose_baseline(store, target, now, check_id, current)
    if new_reason and baseline_row is not None and baseline_row.kind == "first_check" and status != "complete":
        baseline_row, new_reason = current, None  # a check without answers cannot be a baseline; keep waiting
        notes.append("no baseline yet: the first check with answers becomes it")
    claim = None
    if (
        not new_reason
        and baseline_row is not None
        and baseline_row.kind == "first_check"
        and baseline_row.source_check is None
    ):
        if status == "complete":  # a baseline set by `monitor rebaseline`: this check's answers become it
            baseline_row = dataclasses.replace(baseline_row, source_check=check_id)
            claim = baseline_row.baseline_id
            notes.append(f"new baseline (first check after a rebaseline): {baseline_row.reason}")
        else:
            notes.append("no baseline yet: the next check with answers becomes it")
    if new_reason and baseline_row is not None:
        notes.append(f"new baseline ({baseline_row.kind}): {new_reason}")
    usable = (
        baseline_row is not None
        and baseline_row.canary_hash == canary.canary_hash
        and baseline_row.endpoint_identity == cp.identity
        and (baseline_row.kind == "champion" or baseline_row.source_check is not None)
    )
    baseline = (
        _baseline_data(store, target, baseline_row, answers, stats, check_id)
        if usable and baseline_row is not None and status == "complete"
        else None
    )

    gate = config.gate
    comparisons = []
    for name, metric in metrics.items():
        why_not = None
        if baseline is not None and name in baseline.signatures and baseline.signatures[name] != {metric.signature()}:
            why_not = (
                f"the baseline runs scored {name} with another version ({', '.join(sorted(baseline.signatures[name]))})"
                f"; this check uses {metric.signature()}"
            )
        elif baseline is not None and name not in baseline.stats:
            why_not = f"the baseline has no {name} scores"
        comparisons.append(
            compare_metric(
                metric,
                stats[name],
                baseline.stats.get(name) if baseline else None,
                resamples=monitor.resamples,
                seed=gate.seed,
                alpha=gate.alpha,
                power=gate.power,
                why_not=why_not,
            )
        )
    tolerance = monitor.thresholds.logprob_tolerance
    changes = drift_changes = None
    drop = None
    reference_checks: list[str] = []
    primary = next((m for m in comparisons if m.metric == monitor.primary), None)
    if baseline is not None:
        changes = answer_changes(answers, baseline.answers, tolerance)  # verbatim vs the baseline (reported)
        established, reference_score, reference_checks = _established(
            store, baseline, seq, metrics.get(monitor.primary), monitor, cp.generation.temperature == 0.0
        )
        drift_changes = answer_changes(answers, established, tolerance)
        if primary is not None and primary.score is not None and reference_score is not None:
            drop = reference_score - primary.score if primary.higher_is_better else primary.score - reference_score

    deterministic = cp.generation.temperature == 0.0
    drift = None
    values: dict[str, float | None] = {}
    if baseline_row is not None and usable:
        changed_value = drift_changes.drift_share if drift_changes is not None else None
        values = {"changed": changed_value if deterministic else None, "score_drop": drop}
        drift = drift_status(
            _past_checks(store, target.name, baseline_row.baseline_id),
            seq,
            values,
            monitor,
            deterministic=deterministic,
        )

    latencies = [g.latency_s for g in ok.values() if g.latency_s is not None]
    prompt_tokens = (
        sum(g.prompt_tokens or 0 for g in ok.values())
        if ok and all(g.prompt_tokens is not None for g in ok.values())
        else None
    )
    completion_tokens = (
        sum(g.completion_tokens or 0 for g in ok.values())
        if ok and all(g.completion_tokens is not None for g in ok.values())
        else None
    )
    cost = calls_cost(store, config.providers, run_id=check_id, purposes=("generation",)) if cp.is_external else None
    n_failed = len(generations) - len(ok) if generations else len(canary.items)
    error_rate = n_failed / len(canary.items) if canary.items else None
    full = _full_run(
        store,
        target,
        baseline_row if usable else None,
        (prompt_tokens, completion_tokens),
        cost.usd if cost else None,
        len(ok),
    )
    summary: dict[str, Any] = {
        "scores": {m.metric: m.score for m in comparisons},
        "comparison": [dataclasses.asdict(m) for m in comparisons],
        "changed_items": list(drift_changes.changed_keys[:50]) if drift_changes else [],
        "changes": None if changes is None else {"compared": changes.compared, "changed": changes.changed},
        "drift_changes": None
        if drift_changes is None
        else {
            "compared": drift_changes.compared,
            "changed": drift_changes.changed,
            "logprob_compared": drift_changes.logprob_compared,
            "logprob_changed": drift_changes.logprob_changed,
            "reference_checks": reference_checks,
        },
        "deterministic": deterministic,
        "has_logprobs": any(a.mean_logprob is not None for a in answers.values()),
        "drift": drift.to_json(values) if drift else None,
        "retirement": None
        if retirement is None
        else {
            "description": retirement.describe(),
            "days_left": retirement.days_left,
            "horizon_days": monitor.thresholds.retirement_horizon_days,
            "lookups": [
                {**x.__dict__, "shutdown_date": x.shutdown_date.isoformat() if x.shutdown_date else None}
                for x in retirement.lookups
            ],
        },
        "full_run": None if full is None else dataclasses.asdict(full),
        "cost": cost.to_json() if cost else None,
        "notes": notes,
        "canary": {"size": canary.size, "seed": canary.seed, "strata": [list(s) for s in canary.strata]},
    }
    check = db.CheckRow(
        check_id=check_id,
        monitor=target.name,
        seq=seq,
        baseline_id=baseline_row.baseline_id if baseline_row else None,
        test_start=drift.test_start if drift else None,
        endpoint_name=cp.name,
        endpoint_identity=cp.identity,
        model=cp.model,
        canary_hash=canary.canary_hash,
        started_at=now,
        finished_at=utcnow(),
        status=status,
        n_items=len(canary.items),
        n_ok=len(ok),
        n_failed=n_failed,
        error_rate=error_rate,
        latency_mean_s=float(np.mean(latencies)) if latencies else None,
        latency_p95_s=float(np.percentile(latencies, 95)) if latencies else None,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=cost.usd if cost else None,
        cost_reason=cost.reason if cost else "a local checkpoint costs no provider tokens",
        changed_share=changes.share if changes else None,
        drift_share=drift_changes.drift_share if drift_changes else None,
        score_drop=drop,
        wealth=drift.path.last if drift else None,
        alarm=bool(drift and drift.active),
        summary=summary,
    )
    answer_rows = [
        db.AnswerRow(
            check_id,
            k,
            g.status,
            g.text,
            g.error,
            g.prompt_tokens,
            g.completion_tokens,
            g.latency_s,
            g.logprob_sum,
            g.logprob_tokens,
        )
        for k, g in generations.items()
    ]
    score_rows = [
        db.ItemScoreRow(
            check_id,
            c.key,
            name,
            s.status,
            s.reason,
            s.stats,
            float(metrics[name].score(np.asarray(s.stats))) if s.status == "scored" and s.stats else None,
        )
        for name, values in item_stats.items()
        for c, s in zip(canary.items, values)
    ]
    db.insert_check(
        store, check, answer_rows, score_rows, new_baseline=baseline_row if new_reason else None, claim_baseline=claim
    )
    result = CheckResult(
        check=check,
        target=target,
        baseline=baseline_row if usable else None,
        metrics=tuple(comparisons),
        changes=changes,
        drift_changes=drift_changes,
        drift=drift,
        retirement=retirement,
        full_run=full,
        notes=tuple(notes),
    )
    deliveries = notify.after_check(store, result, sinks, now=now)
    return dataclasses.replace(result, alerts=tuple(deliveries))


def rebaseline(
    config: Config, store: Store, monitor: MonitorConfig, *, reason: str, now: datetime | None = None
) -> db.BaselineRow:
    """Accept the endpoint as it answers now: the next complete check becomes the baseline, and a new drift
    test starts from it (use after a deliberate change, once the alarm has been looked into)."""
    target = load_target(config, monitor)
    row = db.new_baseline_row(
        store,
        target.name,
        kind="first_check",
        canary_hash=target.canary.canary_hash,
        endpoint_identity=target.checkpoint.identity,
        source_runs=[],
        source_check=None,
        reason=reason,
        created_at=now or utcnow(),
    )
    db.add_baseline(store, row)
    return row
