"""What a check is compared with: the baseline (the champion's accepted runs, or the first check), and the
endpoint's *established* answers and score derived from it and the checks that followed it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from ..config import Config
from ..errors import InputError
from ..metrics import Metric
from ..store import Store
from ..store import monitor as db
from ..store.gate import current_champion
from .compare import ONE_OFF_LIMIT, Answer, Stats, corpus_score, established_answers
from .settings import MonitorConfig
from .target import Target, load_target, utcnow


@dataclass(frozen=True)
class BaselineData:
    row: db.BaselineRow
    answers: dict[str, Answer]
    stats: Mapping[str, Stats]  # metric → item key → (status, stats)
    signatures: dict[str, set[str]]  # metric → signatures it was scored with (champion runs)


@dataclass(frozen=True)
class Resolved:
    """The baseline for one check: the row (None: none yet), whether this check records it as new or
    claims one set by `monitor rebaseline`, and whether it can be compared with at all."""

    row: db.BaselineRow | None
    new: bool
    claim: str | None
    usable: bool
    notes: tuple[str, ...]


def _choose(
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
    row = db.new_baseline_row(
        store,
        target.name,
        kind="champion" if runs is not None else "first_check",
        canary_hash=canary.canary_hash,
        endpoint_identity=cp.identity,
        source_runs=[runs[h] for h in suite_hashes] if runs is not None else [],
        source_check=None if runs is not None else check_id,
        reason=reason,
        created_at=now,
    )
    return row, reason


def resolve(store: Store, target: Target, now: datetime, check_id: str, complete: bool) -> Resolved:
    """The baseline of this check. A check without answers cannot become a baseline: the next one will."""
    current = db.current_baseline(store, target.name)
    row, new_reason = _choose(store, target, now, check_id, current)
    notes: list[str] = []
    if new_reason and row is not None and row.kind == "first_check" and not complete:
        row, new_reason = current, None
        notes.append("no baseline yet: the first check with answers becomes it")
    claim = None
    if not new_reason and row is not None and row.kind == "first_check" and row.source_check is None:
        if complete:  # set by `monitor rebaseline`: this check's answers become it
            row = dataclasses.replace(row, source_check=check_id)
            claim = row.baseline_id
            notes.append(f"new baseline (first check after a rebaseline): {row.reason}")
        else:
            notes.append("no baseline yet: the next check with answers becomes it")
    if new_reason and row is not None:
        notes.append(f"new baseline ({row.kind}): {new_reason}")
    usable = (
        row is not None
        and row.canary_hash == target.canary.canary_hash
        and row.endpoint_identity == target.checkpoint.identity
        and (row.kind == "champion" or row.source_check is not None)
    )
    return Resolved(row, bool(new_reason), claim, usable, tuple(notes))


def load_data(
    store: Store,
    target: Target,
    row: db.BaselineRow,
    this_answers: dict[str, Answer],
    this_stats: dict[str, Stats],
    check_id: str,
) -> BaselineData:
    """The baseline's answers and per-item statistics, keyed by canary item."""
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


def established(
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
    reference, sources = established_answers(votes, ONE_OFF_LIMIT)
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
    return reference, score, ids


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
