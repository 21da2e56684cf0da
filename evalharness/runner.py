"""Orchestration: checkpoint × suite → generations (cached) → log-likelihoods (cached) → item scores.

Every finished generation is written to the store by a writer thread as soon as it arrives (several at
once under load), so a crash or kill loses nothing finished and a re-run only does what is missing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from . import __version__
from .backends import make_backend
from .backends.base import Backend, Generation, LogLikelihood, Request
from .backends.remote import BackendContext, preflight
from .checkpoints import Checkpoint
from .config import Config
from .governance import require
from .metrics import ContextualMetric, Metric, ScoringContext, ScoringInput, build_metric
from .providers.pricing import calls_cost
from .store import Store, cache, claims, runs, scores, suites
from .suites import Item, Suite

_log = logging.getLogger("evalharness.runner")


class Progress(Protocol):
    """What the runner tells a UI. The CLI draws rich progress bars; tests pass nothing."""

    def start(self, description: str, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def done(self) -> None: ...


class _NoProgress:
    def start(self, description: str, total: int) -> None:
        return None

    def advance(self, n: int = 1) -> None:
        return None

    def done(self) -> None:
        return None


@dataclass(frozen=True)
class RunResult:
    run_id: str
    checkpoint: str
    suite: str
    status: str
    n_items: int
    n_failed: int
    generated: int  # generations made in this invocation (0 on a fully cached re-run)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    reused: bool = False
    #: spend of the run's provider calls: calls, tokens, usd (None with a reason when unknown); None for local runs
    cost: dict[str, Any] | None = None


def code_version() -> str:
    """Package version plus the git commit when running from a checkout — stored with every run."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+{commit}" if commit else __version__


def generation_key(checkpoint: Checkpoint, item: Item) -> str:
    blob = json.dumps([checkpoint.identity, checkpoint.settings_hash, item.system, item.prompt], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def loglikelihood_key(checkpoint: Checkpoint, item: Item) -> str:
    blob = json.dumps(
        [
            checkpoint.identity,
            checkpoint.prompt_format,
            checkpoint.include_system,
            item.system,
            item.prompt,
            item.reference,
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class _Writer:
    """Drains results into the store on its own thread.

    A result that arrives when the writer is idle is written at once, and so is each result of a
    trickle (the previous write took a single row). Under load — results arriving while the last write
    ran — each write takes everything that arrived since the last one, and writes are spaced so that
    writing takes at most about a tenth of the time (between `min_interval_s` and `max_interval_s` apart):
    opening the DuckDB file costs tens of milliseconds of CPU, so a write per arrival would make the store,
    not the model, the bottleneck at a few hundred generations a second. A finished result waits at most
    `max_interval_s` (plus the write itself).
    """

    def __init__(
        self,
        write: Callable[[list[Any]], None],
        *,
        min_interval_s: float = 0.2,
        max_interval_s: float = 1.0,
        busy_fraction: float = 0.1,
    ) -> None:
        self._write = write
        self._min_interval_s = min_interval_s
        self._max_interval_s = max_interval_s
        self._busy_fraction = busy_fraction
        self._queue: queue.Queue[Any] = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="evalharness-writer", daemon=True)
        self._thread.start()

    def put(self, row: Any) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(row)

    def _loop(self) -> None:
        stop = False
        last_write = float("-inf")
        interval = self._min_interval_s
        under_load = False
        while not stop:
            batch = [self._queue.get()]
            pause = last_write + interval - time.monotonic()
            if under_load and pause > 0 and batch[0] is not None:
                time.sleep(pause)  # gather what arrives until the interval has passed
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if None in batch:
                stop = True
                batch = [row for row in batch if row is not None]
            if batch and self._error is None:
                started = time.monotonic()
                try:
                    self._write(batch)
                except BaseException as exc:  # surfaced to the producer on its next put / close
                    self._error = exc
                last_write = time.monotonic()
                interval = min(
                    self._max_interval_s, max(self._min_interval_s, (last_write - started) / self._busy_fraction)
                )
                under_load = len(batch) > 1 or not self._queue.empty()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


class Runner:
    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        progress: Progress | None = None,
        backend_factory: Callable[[Checkpoint], Backend] | None = None,
    ) -> None:
        """`backend_factory` replaces `make_backend` (tests); by default remote backends get the run's
        provider settings, concurrency and audit log."""
        self.config = config
        self.store = store
        self.progress = progress or _NoProgress()
        self.backend_factory = backend_factory
        self._run_scope: tuple[str | None, str | None] = (None, None)  # (run id, suite hash) of the current run
        self.metrics: list[Metric] = [
            build_metric(name, embedding_batch_size=config.metrics.embedding_batch_size, config=config)
            for name in config.metrics.enabled
        ]

    # -- public -----------------------------------------------------------------------------------
    def run(self, checkpoint: Checkpoint, suite: Suite, *, rescore: bool = False, new: bool = False) -> RunResult:
        """Evaluate one checkpoint on one suite, resuming the newest matching run unless `new`."""
        require(suite, "evaluation", purpose=f"evaluating '{checkpoint.name}'")
        if checkpoint.is_external:
            require(
                suite,
                "external_generation",
                purpose=f"sending prompts to {checkpoint.backend} model '{checkpoint.model}'",
            )
        suites.record_suite(self.store, suite)
        runs.record_checkpoint(self.store, checkpoint)
        # One process at a time per checkpoint × settings × suite version: a second `run` of the same work
        # waits here for the first and then reuses its run, instead of generating (and paying) twice.
        key = (checkpoint.identity, checkpoint.settings_hash, suite.content_hash)
        with claims.claim(
            self.store,
            key,
            on_wait=lambda holder: _log.info(
                "waiting for %s (%s), which is running %s on %s", holder.owner, holder.host, checkpoint.name, suite.name
            ),
        ) as owner:
            return self._run_claimed(checkpoint, suite, key, owner, rescore=rescore, new=new)

    def _run_claimed(
        self, checkpoint: Checkpoint, suite: Suite, key: tuple[str, str, str], owner: str, *, rescore: bool, new: bool
    ) -> RunResult:
        existing = None if new else runs.find_run(self.store, checkpoint, suite)
        enabled = {m.name for m in self.metrics}
        if existing and existing.status == "complete" and not rescore:
            stored = {m.metric: m.signature for m in scores.run_metrics(self.store, existing.run_id)}
            # a judged metric under another judge or rubric (its signature says which) is scored again
            rejudge = [
                m.name for m in self.metrics if isinstance(m, ContextualMetric) and stored.get(m.name) != m.signature()
            ]
            if set(stored) == enabled and not rejudge:
                return self._result(existing.run_id, checkpoint, suite, generated=0, reused=True)
            rescore = True  # same generations, different metric set: score again, generate nothing
        if checkpoint.is_external and not rescore and self.backend_factory is None:
            preflight(checkpoint)  # a missing key or an unusable setting stops here, before a run exists
        run_id = (
            existing.run_id
            if existing
            else runs.create_run(
                self.store, checkpoint, suite, code_version=code_version(), config=self.config.model_dump()
            )
        )
        claims.set_run(self.store, key, owner, run_id)
        if existing:
            runs.set_run_status(self.store, run_id, "running")
        backend_holder: dict[str, Backend] = {}
        self._run_scope = (run_id, suite.content_hash)
        try:
            generated = 0 if rescore else self._generate(run_id, checkpoint, suite, backend_holder)
            logliks = self._loglikelihoods(checkpoint, suite, backend_holder, allow_compute=not rescore)
        finally:
            if "backend" in backend_holder:
                backend_holder["backend"].close()
        self._score(run_id, checkpoint, suite, logliks, backend_holder)
        return self._result(run_id, checkpoint, suite, generated=generated)

    def retry_failed(self, checkpoint: Checkpoint, suite: Suite) -> RunResult | None:
        """Resume the newest run of this checkpoint on this suite if it is not complete.

        Only what is not in the cache is sent again — the items that failed (or were never reached); the
        finished ones are reused. Returns None when there is nothing to retry (no run yet, or complete).
        """
        existing = runs.find_run(self.store, checkpoint, suite)
        if existing is None or existing.status == "complete":
            return None
        return self.run(checkpoint, suite)

    # -- phases -----------------------------------------------------------------------------------
    def _backend(self, checkpoint: Checkpoint, holder: dict[str, Backend]) -> Backend:
        if "backend" not in holder:
            if self.backend_factory is not None:
                holder["backend"] = self.backend_factory(checkpoint)
            else:
                run_id, suite_hash = self._run_scope
                holder["backend"] = make_backend(
                    checkpoint,
                    BackendContext(
                        providers=self.config.providers,
                        concurrency=self.config.run.concurrency,
                        store=self.store,
                        run_id=run_id,
                        suite_hash=suite_hash,
                    ),
                )
        return holder["backend"]

    def _generate(self, run_id: str, checkpoint: Checkpoint, suite: Suite, holder: dict[str, Backend]) -> int:
        keys = {item.id: generation_key(checkpoint, item) for item in suite.items}
        cached = cache.cached_generations(self.store, list(keys.values()))
        done_rows = [
            {"cache_key": keys[i.id], "item_id": i.id, "status": "ok", "text": cached[keys[i.id]]}
            for i in suite.items
            if keys[i.id] in cached
        ]
        # Cached rows are linked without rewriting the cache (INSERT OR IGNORE keeps the original).
        cache.put_generation_results(self.store, run_id, checkpoint, done_rows)
        missing = [i for i in suite.items if keys[i.id] not in cached]
        if not missing:
            return 0
        backend = self._backend(checkpoint, holder)
        self.progress.start(f"{checkpoint.name} · {suite.name}: generating", len(missing))
        writer = _Writer(lambda batch: cache.put_generation_results(self.store, run_id, checkpoint, batch))
        seen: set[str] = set()
        try:
            requests = [Request(item_id=i.id, prompt=i.prompt, system=i.system) for i in missing]
            for gen in backend.generate(requests):
                if gen.item_id in seen or gen.item_id not in keys:
                    raise RuntimeError(f"backend returned an unexpected or repeated item id {gen.item_id!r}")
                seen.add(gen.item_id)
                writer.put(_generation_row(keys[gen.item_id], gen))
                self.progress.advance()
        finally:
            writer.close()
            self.progress.done()
        lost = [i.id for i in missing if i.id not in seen]
        if lost:
            cache.put_generation_results(
                self.store,
                run_id,
                checkpoint,
                [
                    {
                        "cache_key": keys[i],
                        "item_id": i,
                        "status": "failed",
                        "text": None,
                        "error": "backend returned no result for this item",
                    }
                    for i in lost
                ],
            )
        return len(seen)

    def _loglikelihoods(
        self, checkpoint: Checkpoint, suite: Suite, holder: dict[str, Backend], *, allow_compute: bool
    ) -> dict[str, LogLikelihood] | None:
        """Item id → log-likelihood, or None when the backend cannot give them (metric: unsupported)."""
        if not any(m.needs_loglikelihood for m in self.metrics):
            return {}
        keys = {item.id: loglikelihood_key(checkpoint, item) for item in suite.items}
        cached = cache.cached_loglikelihoods(self.store, list(keys.values()))
        result = {item_id: LogLikelihood(item_id, "ok", *cached[key]) for item_id, key in keys.items() if key in cached}
        missing = [i for i in suite.items if keys[i.id] not in cached]
        if not missing:
            return result
        if checkpoint.backend == "replay":
            return None
        if not allow_compute:
            return result
        backend = self._backend(checkpoint, holder)
        if not backend.supports_loglikelihood:
            return None if not result else result
        self.progress.start(f"{checkpoint.name} · {suite.name}: log-likelihood", len(missing))
        writer = _Writer(lambda batch: cache.put_loglikelihoods(self.store, checkpoint.identity, batch))
        try:
            requests = [Request(item_id=i.id, prompt=i.prompt, system=i.system, reference=i.reference) for i in missing]
            for ll in backend.loglikelihood(requests):
                result[ll.item_id] = ll
                if ll.status == "ok":
                    writer.put(
                        {
                            "cache_key": keys[ll.item_id],
                            "nats": ll.nats,
                            "tokens": ll.tokens,
                            "chars": ll.chars,
                            "bytes": ll.bytes,
                        }
                    )
                self.progress.advance()
        finally:
            writer.close()
            self.progress.done()
        return result

    def _score(
        self,
        run_id: str,
        checkpoint: Checkpoint,
        suite: Suite,
        logliks: dict[str, LogLikelihood] | None,
        holder: dict[str, Backend],
    ) -> None:
        items_state = runs.run_items(self.store, run_id)
        inputs = []
        for item in suite.items:
            status, text, error = items_state.get(item.id, ("failed", None, "not generated yet"))
            inputs.append(
                ScoringInput(
                    item=item,
                    hypothesis=text if status == "ok" else None,
                    generation_error=error,
                    loglikelihood=None if logliks is None else logliks.get(item.id),
                )
            )
        unsupported_reason = None
        if logliks is None:
            backend = holder.get("backend")
            unsupported_reason = (
                backend.unsupported_reason if backend else None
            ) or f"the {checkpoint.backend} backend gives no log-likelihoods"
        columns: dict[str, list[Any]] = {
            k: [] for k in ("run_id", "item_id", "metric", "status", "reason", "stats", "score")
        }
        metric_rows = []
        summary: dict[str, Any] = {"metrics": {}, "by_direction": {}}
        directions = np.array([item.direction for item in suite.items])
        context = ScoringContext(run_id=run_id, suite=suite, checkpoint=checkpoint, store=self.store, summary=summary)
        for metric in self.metrics:
            self.progress.start(f"{checkpoint.name} · {suite.name}: {metric.name}", 1)
            stats = (
                metric.item_stats_in(context, inputs)
                if isinstance(metric, ContextualMetric)
                else metric.item_stats(inputs)
            )
            if metric.needs_loglikelihood and logliks is None:
                stats = [type(s)("unsupported", None, unsupported_reason) for s in stats]
            self.progress.advance()
            self.progress.done()
            matrix = np.array(
                [s.stats if s.status == "scored" else [0.0] * len(metric.stat_names) for s in stats], dtype=float
            )
            scored_mask = np.array([s.status == "scored" for s in stats])
            per_item = metric.score_many(matrix) if len(matrix) else np.array([])
            for item, s, value in zip(suite.items, stats, per_item):
                columns["run_id"].append(run_id)
                columns["item_id"].append(item.id)
                columns["metric"].append(metric.name)
                columns["status"].append(s.status)
                columns["reason"].append(s.reason)
                columns["stats"].append(list(s.stats) if s.status == "scored" and s.stats is not None else None)
                columns["score"].append(float(value) if s.status == "scored" else None)
            metric_rows.append(_metric_row(metric, matrix, scored_mask, stats))
            summary["metrics"][metric.name] = metric_rows[-1]["corpus_score"]
            if scored_mask.any():
                summary["by_direction"][metric.name] = {
                    d: metric.score(matrix[scored_mask & (directions == d)].sum(axis=0))
                    for d in sorted(set(directions[scored_mask]))
                }
        table = pa.table(
            {
                "run_id": columns["run_id"],
                "item_id": columns["item_id"],
                "metric": columns["metric"],
                "status": columns["status"],
                "reason": pa.array(columns["reason"], pa.string()),
                "stats": pa.array(columns["stats"], pa.list_(pa.float64())),
                "score": pa.array(columns["score"], pa.float64()),
            }
        )
        n_failed = sum(1 for inp in inputs if inp.hypothesis is None)
        required_missing = [
            m["metric"] for m in metric_rows if m["metric"] in self.config.metrics.required and m["n_scored"] == 0
        ]
        status = "complete" if n_failed == 0 and not required_missing else "incomplete"
        summary["required_unscored"] = required_missing
        summary["failed_items"] = n_failed
        tokens = _token_totals(self.store, run_id)
        cost = calls_cost(self.store, self.config.providers, run_id=run_id) if checkpoint.is_external else None
        summary["cost"] = cost.to_json() if cost else None
        scores.replace_scores(
            self.store,
            run_id,
            table,
            metric_rows,
            status=status,
            n_ok=len(inputs) - n_failed,
            n_failed=n_failed,
            summary=summary,
            prompt_tokens=tokens[0],
            completion_tokens=tokens[1],
            cost_usd=cost.usd if cost else None,
        )

    def _result(
        self, run_id: str, checkpoint: Checkpoint, suite: Suite, *, generated: int, reused: bool = False
    ) -> RunResult:
        row = runs.get_run(self.store, run_id)
        assert row is not None
        metrics = {m.metric: m.as_dict() for m in scores.run_metrics(self.store, run_id)}
        return RunResult(
            run_id=run_id,
            checkpoint=checkpoint.name,
            suite=suite.name,
            status=row.status,
            n_items=row.n_items,
            n_failed=row.n_failed or 0,
            generated=generated,
            metrics=metrics,
            reused=reused,
            cost=(row.summary or {}).get("cost"),
        )


def _generation_row(cache_key: str, gen: Generation) -> dict[str, Any]:
    return {
        "cache_key": cache_key,
        "item_id": gen.item_id,
        "status": gen.status,
        "text": gen.text,
        "error": gen.error,
        "prompt_tokens": gen.prompt_tokens,
        "completion_tokens": gen.completion_tokens,
        "latency_s": gen.latency_s,
        "attempts": gen.attempts,
    }


def _metric_row(metric: Metric, matrix: np.ndarray, scored_mask: np.ndarray, stats: Sequence[Any]) -> dict[str, Any]:
    n_scored = int(scored_mask.sum())
    statuses = {s.status for s in stats if s.status != "scored"}
    reasons = sorted({s.reason for s in stats if s.status != "scored" and s.reason})
    if n_scored == 0:
        status = statuses.pop() if len(statuses) == 1 else "failed"
        corpus = None
    else:
        status = "scored" if n_scored == len(stats) else "partial"
        corpus = float(metric.score(matrix[scored_mask].sum(axis=0)))
    return {
        "metric": metric.name,
        "signature": metric.signature(),
        "higher_is_better": metric.higher_is_better,
        "stat_names": metric.stat_names,
        "corpus_score": corpus,
        "n_scored": n_scored,
        "n_unscored": len(stats) - n_scored,
        "status": status,
        "reason": "; ".join(reasons[:3]) + (f" (+{len(reasons) - 3} more)" if len(reasons) > 3 else "") or None,
    }


def _token_totals(store: Store, run_id: str) -> tuple[int | None, int | None]:
    return runs.token_totals(store, run_id)
