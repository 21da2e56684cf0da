"""`evalharness monitor check NAME` as a library call: one canary check of a deployed endpoint.

1. The endpoint's manifest and the held-out suites are loaded; governance is checked before anything is sent.
2. The model's retirement is looked up (OpenAI's models endpoint); a model that answers 404 is gone.
3. The canary items are sent again — fresh answers through the backend, never read from or written to the
   generation cache — and scored with the monitor's metrics (the usual metric classes).
4. The answers are compared with the baseline (`baseline`): per metric the gate's paired bootstrap, the share
   that changed verbatim, and — against the established answers and score — the drift test's two values.
5. The drift test (`drift`, `sequential`) takes them; the alert state machine (`alerts`) turns the conditions
   into alerts on state changes only, which `notify` delivers to the sinks.

The check row, its answers and item scores are written in one transaction; alerts after it, and each
sink's delivery is recorded, so a sink that was down gets the alert on the next check, and none twice.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from ..backends import make_backend
from ..backends.base import Backend, Generation, Request
from ..backends.context import BackendContext
from ..backends.remote import preflight
from ..checkpoints import Checkpoint
from ..config import Config
from ..metrics import Metric, ScoringInput
from ..providers.audit import CallRecord, write_calls
from ..providers.pricing import CostSummary, calls_cost
from ..scoring import ItemScore, score
from ..store import Store, records
from ..store import monitor as db
from ..task import build_task
from . import baseline as baselines
from .baseline import BaselineData, rebaseline
from .compare import Answer, Changes, MetricCheck, Stats, answer_changes, compare_metric
from .drift import DriftStatus, PastCheck, drift_status
from .retirement import Retirement, lookup_retirement
from .settings import MonitorConfig
from .target import Target, load_target, utcnow

__all__ = ["CheckResult", "FullRunCost", "Target", "load_target", "rebaseline", "run_check", "utcnow"]

LOGPROB_BACKENDS = ("openai", "openai_compatible")


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


@dataclass
class _Measured:
    """The fresh answers of one check and their scores."""

    generations: dict[str, Generation]
    metrics: dict[str, Metric]
    item_scores: dict[str, list[ItemScore]]  # per metric, in canary order (the runner's scoring phase)
    answers: dict[str, Answer]
    stats: dict[str, Stats]
    status: str  # complete | failed | gone

    @property
    def ok(self) -> dict[str, Generation]:
        return {k: g for k, g in self.generations.items() if g.status == "ok"}


@dataclass
class _Compared:
    metrics: list[MetricCheck]
    changes: Changes | None = None
    drift_changes: Changes | None = None
    drop: float | None = None
    reference_checks: list[str] = field(default_factory=list)


# -- steps ----------------------------------------------------------------------------------------------


def _lookup(store: Store, config: Config, target: Target, check_id: str, now: datetime) -> Retirement:
    """The retirement lookup, audited under the check's id and kept as the newest lookup of each model."""
    cp = target.checkpoint
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
    return retirement


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


def _measure(
    target: Target,
    config: Config,
    store: Store,
    check_id: str,
    gone: bool,
    backend_factory: Callable[[Checkpoint], Backend] | None,
    notes: list[str],
) -> _Measured:
    """Ask (unless the model is gone) and score with the monitor's metrics."""
    generations = {} if gone else _generate(target, config, store, check_id, backend_factory)
    ok = [g for g in generations.values() if g.status == "ok"]
    if generations and not ok and all("HTTP 404" in (g.error or "") for g in generations.values()):
        gone = True
        notes.append("every canary request answered HTTP 404: the endpoint's model is gone")
    metrics: dict[str, Metric] = {}
    item_scores: dict[str, list[ItemScore]] = {}
    if ok:
        metrics, item_scores = _score(target, config, generations)
    answers = {
        k: Answer(g.text if g.status == "ok" else None, g.logprob_sum, g.logprob_tokens) for k, g in generations.items()
    }
    stats: dict[str, Stats] = {
        name: {c.key: (s.status, s.stats) for c, s in zip(target.canary.items, values, strict=True)}
        for name, values in item_scores.items()
    }
    status = "gone" if gone else ("complete" if ok else "failed")
    return _Measured(generations, metrics, item_scores, answers, stats, status)


def _score(
    target: Target, config: Config, generations: Mapping[str, Generation]
) -> tuple[dict[str, Metric], dict[str, list[ItemScore]]]:
    """The runner's pure scoring phase, suite by suite (each suite's task: its language, its metric set-up),
    on the raw answers; the item scores come back in canary order."""
    wanted = list(target.monitor.metrics)
    metrics: dict[str, Metric] = {}
    by_key: dict[str, dict[str, ItemScore]] = {name: {} for name in wanted}
    for suite in target.suites:
        members = [c for c in target.canary.items if c.suite_hash == suite.content_hash]
        if not members:
            continue
        task = build_task(config, suite, metric_names=wanted)
        # raw answers only: a check's metrics are fixed by the monitor, not widened to `<metric>@extracted`
        task = dataclasses.replace(task, metrics=tuple(m for m in task.metrics if m.name in wanted), extractor=None)
        inputs = [
            ScoringInput(
                item=c.item,
                hypothesis=generations[c.key].text if generations[c.key].status == "ok" else None,
                generation_error=generations[c.key].error,
            )
            for c in members
        ]
        sheet = score(task, inputs)
        for scored in task.metrics:
            metrics.setdefault(scored.name, scored.metric)
        per_metric = len(members)
        for k, scored in enumerate(task.metrics):
            for c, row in zip(members, sheet.items[k * per_metric : (k + 1) * per_metric], strict=True):
                by_key[scored.name][c.key] = row
    return metrics, {name: [by_key[name][c.key] for c in target.canary.items] for name in wanted}


def _compare(
    store: Store,
    config: Config,
    monitor: MonitorConfig,
    m: _Measured,
    baseline: BaselineData | None,
    seq: int,
    deterministic: bool,
) -> _Compared:
    """Per metric the gate's paired bootstrap against the baseline; changes; the drop below the established score."""
    gate = config.gate
    out = _Compared(metrics=[])
    for name, metric in m.metrics.items():
        why_not = None
        if baseline is not None and name in baseline.signatures and baseline.signatures[name] != {metric.signature()}:
            why_not = (
                f"the baseline runs scored {name} with another version ({', '.join(sorted(baseline.signatures[name]))})"
                f"; this check uses {metric.signature()}"
            )
        elif baseline is not None and name not in baseline.stats:
            why_not = f"the baseline has no {name} scores"
        out.metrics.append(
            compare_metric(
                metric,
                m.stats[name],
                baseline.stats.get(name) if baseline else None,
                resamples=monitor.resamples,
                seed=gate.seed,
                alpha=gate.alpha,
                power=gate.power,
                why_not=why_not,
            )
        )
    if baseline is None:
        return out
    tolerance = monitor.thresholds.logprob_tolerance
    out.changes = answer_changes(m.answers, baseline.answers, tolerance)
    reference, reference_score, out.reference_checks = baselines.established(
        store, baseline, seq, m.metrics.get(monitor.primary), monitor, deterministic
    )
    out.drift_changes = answer_changes(m.answers, reference, tolerance)
    primary = next((r for r in out.metrics if r.metric == monitor.primary), None)
    if primary is not None and primary.score is not None and reference_score is not None:
        out.drop = reference_score - primary.score if primary.higher_is_better else primary.score - reference_score
    return out


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


def _token_sum(values: list[int | None]) -> int | None:
    return sum(v or 0 for v in values) if values and all(v is not None for v in values) else None


def _summary(
    target: Target,
    m: _Measured,
    c: _Compared,
    drift: DriftStatus | None,
    values: dict[str, float | None],
    retirement: Retirement | None,
    full: FullRunCost | None,
    cost: CostSummary | None,
    notes: list[str],
    deterministic: bool,
) -> dict[str, Any]:
    canary, dc = target.canary, c.drift_changes
    return {
        "scores": {r.metric: r.score for r in c.metrics},
        "comparison": [dataclasses.asdict(r) for r in c.metrics],
        "changed_items": list(dc.changed_keys[:50]) if dc else [],
        "changes": None if c.changes is None else {"compared": c.changes.compared, "changed": c.changes.changed},
        "drift_changes": None
        if dc is None
        else {
            "compared": dc.compared,
            "changed": dc.changed,
            "logprob_compared": dc.logprob_compared,
            "logprob_changed": dc.logprob_changed,
            "reference_checks": c.reference_checks,
        },
        "deterministic": deterministic,
        "has_logprobs": any(a.mean_logprob is not None for a in m.answers.values()),
        "drift": drift.to_json(values) if drift else None,
        "retirement": None
        if retirement is None
        else {
            "description": retirement.describe(),
            "days_left": retirement.days_left,
            "horizon_days": target.monitor.thresholds.retirement_horizon_days,
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


def _rows(check_id: str, target: Target, m: _Measured) -> tuple[list[db.AnswerRow], list[db.ItemScoreRow]]:
    answers = [
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
        for k, g in m.generations.items()
    ]
    scores = [
        db.ItemScoreRow(
            check_id,
            c.key,
            name,
            s.status,
            s.reason,
            s.stats,
            s.score,
        )
        for name, values in m.item_scores.items()
        for c, s in zip(target.canary.items, values, strict=True)
    ]
    return answers, scores


# -- one check ------------------------------------------------------------------------------------------


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

    retirement = _lookup(store, config, target, check_id, now) if lookup else None
    gone = retirement is not None and retirement.gone is not None
    measured = _measure(target, config, store, check_id, gone, backend_factory, notes)
    resolved = baselines.resolve(store, target, now, check_id, measured.status == "complete")
    notes += resolved.notes
    baseline = (
        baselines.load_data(store, target, resolved.row, measured.answers, measured.stats, check_id)
        if resolved.usable and resolved.row is not None and measured.status == "complete"
        else None
    )
    deterministic = cp.generation.temperature == 0.0
    compared = _compare(store, config, monitor, measured, baseline, seq, deterministic)

    drift = None
    values: dict[str, float | None] = {}
    if resolved.row is not None and resolved.usable:
        changed = compared.drift_changes.drift_share if compared.drift_changes is not None else None
        values = {"changed": changed if deterministic else None, "score_drop": compared.drop}
        past = _past_checks(store, target.name, resolved.row.baseline_id)
        drift = drift_status(past, seq, values, monitor, deterministic=deterministic)

    ok = measured.ok
    latencies = [g.latency_s for g in ok.values() if g.latency_s is not None]
    prompt_tokens = _token_sum([g.prompt_tokens for g in ok.values()])
    completion_tokens = _token_sum([g.completion_tokens for g in ok.values()])
    cost = calls_cost(store, config.providers, run_id=check_id, purposes=("generation",)) if cp.is_external else None
    n_failed = len(measured.generations) - len(ok) if measured.generations else len(canary.items)
    full = _full_run(
        store,
        target,
        resolved.row if resolved.usable else None,
        (prompt_tokens, completion_tokens),
        cost.usd if cost else None,
        len(ok),
    )
    check = db.CheckRow(
        check_id=check_id,
        monitor=target.name,
        seq=seq,
        baseline_id=resolved.row.baseline_id if resolved.row else None,
        test_start=drift.test_start if drift else None,
        endpoint_name=cp.name,
        endpoint_identity=cp.identity,
        model=cp.model,
        canary_hash=canary.canary_hash,
        started_at=now,
        finished_at=utcnow(),
        status=measured.status,
        n_items=len(canary.items),
        n_ok=len(ok),
        n_failed=n_failed,
        error_rate=n_failed / len(canary.items) if canary.items else None,
        latency_mean_s=float(np.mean(latencies)) if latencies else None,
        latency_p95_s=float(np.percentile(latencies, 95)) if latencies else None,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=cost.usd if cost else None,
        cost_reason=cost.reason if cost else "a local checkpoint costs no provider tokens",
        changed_share=compared.changes.share if compared.changes else None,
        drift_share=compared.drift_changes.drift_share if compared.drift_changes else None,
        score_drop=compared.drop,
        wealth=drift.path.last if drift else None,
        alarm=bool(drift and drift.active),
        summary=_summary(target, measured, compared, drift, values, retirement, full, cost, notes, deterministic),
    )
    answer_rows, score_rows = _rows(check_id, target, measured)
    db.insert_check(
        store,
        check,
        answer_rows,
        score_rows,
        new_baseline=resolved.row if resolved.new else None,
        claim_baseline=resolved.claim,
    )
    result = CheckResult(
        check=check,
        target=target,
        baseline=resolved.row if resolved.usable else None,
        metrics=tuple(compared.metrics),
        changes=compared.changes,
        drift_changes=compared.drift_changes,
        drift=drift,
        retirement=retirement,
        full_run=full,
        notes=tuple(notes),
    )
    deliveries = notify.after_check(store, result, sinks, now=now)
    return dataclasses.replace(result, alerts=tuple(deliveries))
