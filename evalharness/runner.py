"""Evaluate a run spec (task + checkpoint) in phases, each reading the one before and nothing hidden:

    generate → log-likelihood → judge → extract → score → persist

- generate: answers not in the generation cache are asked of the backend and written as they arrive;
- log-likelihood: references' log-likelihoods not in their cache are computed (only when a metric needs them);
- judge: verdicts not in the judge cache are asked for (only when a metric needs them) — a cached phase, so
  scoring never sends a request;
- extract: the task's answer extractor, if any, finds the answer in each reply;
- score: pure (`scoring.score`): the phases' outputs → statistic rows;
- persist: the rows, the run's status and summary, in one transaction.

Two modes, and only two: `evaluate` does whatever is missing (a new run, a resumed one, a complete run whose
metrics changed — a newly enabled metric computes what it needs), `rescore` recomputes the scores from what is
stored and sends nothing, builds no backend, judges nothing. A backend is built only when a phase has work for it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import pyarrow as pa

from . import __version__
from .backends.base import Backend, Generation, LogLikelihood, Request
from .backends.context import BackendContext
from .batching import BatchWriter
from .checkpoints import Checkpoint
from .config import Config
from .governance import require
from .judging import NOT_JUDGED_YET, JudgePhaseResult, JudgeSetup, judge_answers, judge_setup
from .metrics.base import ScoringInput
from .providers.pricing import calls_cost
from .registry import PROMPT_INPUTS, BackendEntry, Need, backend
from .scoring import ScoreSheet, score
from .store import Store, cache, claims, runs, scores, suites
from .suites import Item, Suite
from .task import RunSpec, Task, build_task, metric_names_for, with_extracted

_log = logging.getLogger("evalharness.runner")

Mode = Literal["evaluate", "rescore"]


class Progress(Protocol):
    """What the runner tells a UI. The CLI draws rich progress bars; tests pass nothing.

    `run_started`/`run_finished` bracket one checkpoint × suite (reused runs included), so a UI can keep an
    overall bar over several; within a run, phases `start` (total 0: length unknown, e.g. loading a model),
    `advance` and end with `done`. The phase started with `counts=True` is the run's main work (one step
    per item still to generate): an overall bar can follow it and estimate the time left.
    """

    def run_started(self, label: str, n_items: int) -> None: ...

    def run_finished(self) -> None: ...

    def start(self, description: str, total: int, *, counts: bool = False) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def done(self) -> None: ...


class SilentProgress:
    """Progress that shows nothing (the default); a UI may subclass it and override what it shows."""

    def run_started(self, label: str, n_items: int) -> None:
        return None

    def run_finished(self) -> None:
        return None

    def start(self, description: str, total: int, *, counts: bool = False) -> None:
        return None

    def advance(self, n: int = 1) -> None:
        return None

    def done(self) -> None:
        return None


def check_allowed(checkpoint: Checkpoint, suite: Suite) -> None:
    """Raise GovernanceError unless the suite allows evaluating this checkpoint on it.

    Commands that run several checkpoints × suites call it for every pair before their first request,
    so a refusal never comes after another suite was already sent.
    """
    require(suite, "evaluation", purpose=f"evaluating '{checkpoint.name}'")
    if checkpoint.is_external:
        require(
            suite,
            "external_generation",
            purpose=f"sending prompts to {checkpoint.backend} model '{checkpoint.model}'",
        )


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
    #: answer extraction of the run (method, extracted, failed, failed_items); None when the suite declares none
    extraction: dict[str, Any] | None = None


def code_version() -> str:
    """Package version plus the git commit when running from a checkout — stored with every run."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).parent,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+{commit}" if commit else __version__


def generation_key(checkpoint: Checkpoint, item: Item, answer_inputs: Sequence[str] = PROMPT_INPUTS) -> str:
    """Cache key of an answer: the checkpoint (identity, decoding settings) and what the backend's answer
    depends on (its entry's `answer_inputs`). Prompt-keyed backends keep the key they always had."""
    values = {"item_id": item.id, "system": item.system, "prompt": item.prompt}
    inputs = tuple(answer_inputs)
    parts = [values[f] for f in inputs] if inputs == PROMPT_INPUTS else [[f, values[f]] for f in inputs]
    blob = json.dumps([checkpoint.identity, checkpoint.settings_hash, *parts], ensure_ascii=False)
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


class LazyBackend:
    """The run's backend, built on first use (loading a model or checking a key costs time) and closed once."""

    def __init__(self, build: Callable[[], Backend]) -> None:
        self._build = build
        self._backend: Backend | None = None

    def get(self) -> Backend:
        if self._backend is None:
            self._backend = self._build()
        return self._backend

    @property
    def built(self) -> Backend | None:
        return self._backend

    def close(self) -> None:
        if self._backend is not None:
            backend, self._backend = self._backend, None
            backend.close()


@dataclass(frozen=True)
class LoglikelihoodPhase:
    """Item id → log-likelihood, or the reason this checkpoint gives none (then the metrics are unsupported)."""

    values: dict[str, LogLikelihood]
    unsupported: str | None = None


class Runner:
    """Evaluates checkpoints on suites under one config, into one store."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        progress: Progress | None = None,
        backend_factory: Callable[[Checkpoint], Backend] | None = None,
    ) -> None:
        """`backend_factory` replaces the registry's factories (tests); by default remote backends get the run's
        provider settings, concurrency and audit log, local ones `[run] batch_size`."""
        self.config = config
        self.store = store
        self.progress: Progress = progress or SilentProgress()
        self.backend_factory = backend_factory
        needs_judge = any("verdicts" in _needs(n) for n in config.metrics.enabled)
        # The judge's rubric and key are checked now: a bad rubric or a missing key stops before a run starts.
        self.judge: JudgeSetup | None = judge_setup(config) if needs_judge else None

    # -- building what is evaluated -----------------------------------------------------------------
    def task(self, suite: Suite) -> Task:
        names = metric_names_for(self.config, suite)
        judge = self.judge
        if judge is None and any("verdicts" in _needs(n) for n in names):
            judge = judge_setup(self.config)  # the suite declares a judged metric the config does not enable
        return build_task(self.config, suite, judge=judge, metric_names=names)

    def metric_names(self, suites: Sequence[Suite]) -> list[str]:
        """Every metric the suites are scored with, in config order, then suite order."""
        return list(
            dict.fromkeys(n for s in suites for n in with_extracted(self.config, s, metric_names_for(self.config, s)))
        )

    # -- public -------------------------------------------------------------------------------------
    def run(self, checkpoint: Checkpoint, suite: Suite, *, rescore: bool = False, new: bool = False) -> RunResult:
        """Evaluate one checkpoint on one suite, resuming the newest matching run unless `new`.

        A complete run is reused as it is when its stored metrics and signatures are the task's; otherwise it
        is evaluated again (only what is missing is computed). `rescore` recomputes scores from what is stored.
        """
        self.progress.run_started(f"{checkpoint.name} · {suite.name}", len(suite.items))
        try:
            return self._run(checkpoint, suite, rescore=rescore, new=new)
        finally:
            self.progress.run_finished()

    def _run(self, checkpoint: Checkpoint, suite: Suite, *, rescore: bool, new: bool) -> RunResult:
        spec = RunSpec(self.task(suite), checkpoint)
        self._check_governance(spec)
        if self.backend_factory is None:
            # Everything the checkpoint needs, before a row is written: a bad input never leaves a `running` run.
            self._check_inputs(checkpoint)
        with self._claim(checkpoint, suite) as claimed:
            existing = None if new else runs.find_run(self.store, checkpoint, suite)
            if (
                existing is not None
                and existing.status == "complete"
                and not rescore
                and self._up_to_date(spec, existing)
            ):
                return self._result(existing.run_id, spec, generated=0, reused=True)
            entry = backend(checkpoint.backend)
            if self.backend_factory is None and not rescore and (existing is None or existing.status != "complete"):
                entry.preflight(checkpoint, self.config.keys)  # a missing key or an unusable setting
            suites.record_suite(self.store, suite)
            runs.record_checkpoint(self.store, checkpoint)
            if existing is None:
                run_id = runs.create_run(
                    self.store, checkpoint, suite, code_version=code_version(), config=self.config.model_dump()
                )
            else:
                run_id = existing.run_id
                runs.set_run_status(self.store, run_id, "running")
            claimed(run_id)
            return self.evaluate(spec, run_id, mode="rescore" if rescore else "evaluate")

    @contextmanager
    def _claim(self, checkpoint: Checkpoint, suite: Suite) -> Iterator[Callable[[str], None]]:
        """One process at a time per checkpoint × settings × suite version (on a file or a server): a second
        `run` of the same work waits here for the first, then reuses its run instead of generating (and paying)
        twice. Yields a function that records which run the claim is working on (`store check` shows it)."""
        key = (checkpoint.identity, checkpoint.settings_hash, suite.content_hash)
        with claims.claim(
            self.store,
            key,
            on_wait=lambda holder: _log.info(
                "waiting for %s (%s), which is running %s on %s", holder.owner, holder.host, checkpoint.name, suite.name
            ),
        ) as owner:
            yield lambda run_id: claims.set_run(self.store, key, owner, run_id)

    def _check_inputs(self, checkpoint: Checkpoint) -> None:
        """The backend's own checks of what the checkpoint needs (files read in full or by their headers) —
        done again here for a checkpoint built in code rather than loaded from its manifest."""
        manifest = Path(checkpoint.manifest_path) if checkpoint.manifest_path else Path(f"{checkpoint.name}.toml")
        backend(checkpoint.backend).check_manifest(checkpoint, manifest)

    def retry_failed(self, checkpoint: Checkpoint, suite: Suite) -> RunResult | None:
        """Resume the newest run of this checkpoint on this suite if anything in it failed.

        That is an incomplete run (failed or unreached generations), or a complete one whose judge samples or
        log-likelihoods failed for some items. Only what is not cached is sent again — the failures; everything
        finished is reused. Returns None when there is nothing to retry (no run yet, or nothing failed).
        """
        spec = RunSpec(self.task(suite), checkpoint)
        if self.backend_factory is None:
            self._check_inputs(checkpoint)
        with self._claim(checkpoint, suite) as claimed:
            existing = runs.find_run(self.store, checkpoint, suite)
            if existing is None:
                return None
            if existing.status == "complete" and not _retryable(existing.summary):
                return None
            self._check_governance(spec)
            if self.backend_factory is None:
                backend(checkpoint.backend).preflight(checkpoint, self.config.keys)
            runs.set_run_status(self.store, existing.run_id, "running")
            claimed(existing.run_id)
            return self.evaluate(spec, existing.run_id, mode="evaluate")

    def evaluate(self, spec: RunSpec, run_id: str, *, mode: Mode) -> RunResult:
        """The phases, in order, for one run of `spec` stored as `run_id`."""
        task, checkpoint = spec.task, spec.checkpoint
        entry = backend(checkpoint.backend)
        with self._backend(spec, run_id) as lazy:
            generated = 0 if mode == "rescore" else self._generate(run_id, spec, entry, lazy)
            logliks = self._loglikelihoods(spec, entry, lazy, mode) if "loglikelihood" in task.needs else None
        inputs = self._inputs(run_id, spec, logliks)
        judged = None
        if "verdicts" in task.needs:
            answers = [(inp.item, inp.hypothesis) for inp in inputs if inp.hypothesis is not None]
            judged = judge_answers(task.judge, self.store, task.suite, run_id, answers, send=mode == "evaluate")
            inputs = [_with_verdict(inp, judged) for inp in inputs]
        inputs = self._extract(task, inputs)
        unsupported: dict[Need, str] = {}
        if logliks is not None and logliks.unsupported:
            unsupported["loglikelihood"] = logliks.unsupported
        self.progress.start(f"{checkpoint.name} · {task.suite.name}: scoring", 1)
        sheet = score(task, inputs, unsupported=unsupported)
        self.progress.advance()
        self.progress.done()
        self._persist(run_id, spec, sheet, inputs, judged)
        return self._result(run_id, spec, generated=generated)

    # -- phases -------------------------------------------------------------------------------------
    @contextmanager
    def _backend(self, spec: RunSpec, run_id: str) -> Iterator[LazyBackend]:
        def build() -> Backend:
            if self.backend_factory is not None:
                return self.backend_factory(spec.checkpoint)
            context = BackendContext(
                providers=self.config.providers,
                concurrency=self.config.run.concurrency,
                batch_size=self.config.run.batch_size,
                store=self.store,
                run_id=run_id,
                suite_hash=spec.task.suite.content_hash,
                key_hosts=self.config.keys,
            )
            # Loading a local model (importing torch, reading the weights) can take a while: say so.
            self.progress.start(f"{spec.checkpoint.name}: loading the {spec.checkpoint.backend} backend", 0)
            try:
                return backend(spec.checkpoint.backend).factory(spec.checkpoint, context)
            finally:
                self.progress.done()

        lazy = LazyBackend(build)
        try:
            yield lazy
        finally:
            lazy.close()

    def _generate(self, run_id: str, spec: RunSpec, entry: BackendEntry, lazy: LazyBackend) -> int:
        checkpoint, suite = spec.checkpoint, spec.task.suite
        keys = {item.id: generation_key(checkpoint, item, entry.answer_inputs) for item in suite.items}
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
        backend_ = lazy.get()
        self.progress.start(f"{checkpoint.name} · {suite.name}: generating", len(missing), counts=True)
        writer: BatchWriter[dict[str, Any]] = BatchWriter(
            lambda batch: cache.put_generation_results(self.store, run_id, checkpoint, batch)
        )
        seen: set[str] = set()
        try:
            requests = [Request(item_id=i.id, prompt=i.prompt, system=i.system) for i in missing]
            for gen in backend_.generate(requests):
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

    def _loglikelihoods(self, spec: RunSpec, entry: BackendEntry, lazy: LazyBackend, mode: Mode) -> LoglikelihoodPhase:
        checkpoint, suite = spec.checkpoint, spec.task.suite
        reason = entry.loglikelihood_unsupported(checkpoint)
        if reason is not None:  # known without building the backend, so a resumed run says the same
            return LoglikelihoodPhase({}, reason)
        keys = {item.id: loglikelihood_key(checkpoint, item) for item in suite.items}
        cached = cache.cached_loglikelihoods(self.store, list(keys.values()))
        values = {item_id: LogLikelihood(item_id, "ok", *cached[key]) for item_id, key in keys.items() if key in cached}
        missing = [i for i in suite.items if keys[i.id] not in cached]
        if not missing:
            return LoglikelihoodPhase(values)
        if mode == "rescore":
            for item in missing:
                values[item.id] = LogLikelihood(
                    item.id,
                    "failed",
                    error="not measured yet: rescoring computes nothing; run `evalharness run` to measure it",
                )
            return LoglikelihoodPhase(values)
        backend_ = lazy.get()
        if not backend_.supports_loglikelihood:
            return LoglikelihoodPhase(
                values, backend_.unsupported_reason or f"the {checkpoint.backend} backend gives no log-likelihoods"
            )
        self.progress.start(f"{checkpoint.name} · {suite.name}: log-likelihood", len(missing))
        writer: BatchWriter[dict[str, Any]] = BatchWriter(
            lambda batch: cache.put_loglikelihoods(self.store, checkpoint.identity, batch)
        )
        try:
            requests = [Request(item_id=i.id, prompt=i.prompt, system=i.system, reference=i.reference) for i in missing]
            for ll in backend_.loglikelihood(requests):
                values[ll.item_id] = ll
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
        return LoglikelihoodPhase(values)

    def _inputs(self, run_id: str, spec: RunSpec, logliks: LoglikelihoodPhase | None) -> list[ScoringInput]:
        """What the generation and log-likelihood phases left for each item, in suite order."""
        state = runs.run_items(self.store, run_id)
        inputs = []
        for item in spec.task.suite.items:
            status, text, error = state.get(item.id, ("failed", None, "not generated yet"))
            inputs.append(
                ScoringInput(
                    item=item,
                    hypothesis=text if status == "ok" else None,
                    generation_error=error,
                    loglikelihood=logliks.values.get(item.id) if logliks else None,
                )
            )
        return inputs

    def _extract(self, task: Task, inputs: list[ScoringInput]) -> list[ScoringInput]:
        """The extract phase: with an extractor, each answer carries what it found (pure; stored by _persist).
        Metrics read the raw answer as before; `<metric>@extracted` reads the extraction."""
        if task.extractor is None:
            return inputs
        from dataclasses import replace

        extractor = task.extractor
        return [
            inp if inp.hypothesis is None else replace(inp, extraction=extractor.extract(inp.hypothesis))
            for inp in inputs
        ]

    def _persist(
        self,
        run_id: str,
        spec: RunSpec,
        sheet: ScoreSheet,
        inputs: Sequence[ScoringInput],
        judged: JudgePhaseResult | None,
    ) -> None:
        checkpoint = spec.checkpoint
        summary: dict[str, Any] = {
            "metrics": {m.metric: m.corpus_score for m in sheet.metrics},
            "by_direction": {m.metric: m.by_direction for m in sheet.metrics if m.by_direction},
            "required_unscored": sheet.required_unscored,
            "failed_items": sheet.n_failed,
            "retryable": _retryable_counts(inputs, judged),
        }
        if judged is not None:
            summary["judge"] = judged.summary
            from .store import judging as judge_store

            judge_store.replace_run_items(self.store, run_id, judged.rows)  # no stale verdicts for this run
        self._persist_answers(run_id, spec, inputs, summary)
        tokens = _token_totals(self.store, run_id)
        cost = calls_cost(self.store, self.config.providers, run_id=run_id) if checkpoint.is_external else None
        summary["cost"] = cost.to_json() if cost else None
        table = pa.table(
            {
                "run_id": [run_id] * len(sheet.items),
                "item_id": [s.item_id for s in sheet.items],
                "metric": [s.metric for s in sheet.items],
                "status": [s.status for s in sheet.items],
                "reason": pa.array([s.reason for s in sheet.items], pa.string()),
                "stats": pa.array(
                    [list(s.stats) if s.stats is not None else None for s in sheet.items], pa.list_(pa.float64())
                ),
                "score": pa.array([s.score for s in sheet.items], pa.float64()),
            }
        )
        scores.replace_scores(
            self.store,
            run_id,
            table,
            [m.to_row() for m in sheet.metrics],
            status=sheet.status,
            n_ok=len(inputs) - sheet.n_failed,
            n_failed=sheet.n_failed,
            summary=summary,
            prompt_tokens=tokens[0],
            completion_tokens=tokens[1],
            cost_usd=cost.usd if cost else None,
        )

    def _persist_answers(
        self, run_id: str, spec: RunSpec, inputs: Sequence[ScoringInput], summary: dict[str, Any]
    ) -> None:
        """What was read out of the answers: extracted answers and invented words (evalharness/store/answers.py)."""
        from .store import answers

        task = spec.task
        if task.extractor is not None:
            rows = [
                {
                    "item_id": inp.item.id,
                    "method": inp.extraction.method,
                    "status": "ok" if inp.extraction.text is not None else "failed",
                    "text": inp.extraction.text,
                    "reason": inp.extraction.reason,
                }
                for inp in inputs
                if inp.extraction is not None
            ]
            answers.replace_extractions(self.store, run_id, rows)
            failed = [r["item_id"] for r in rows if r["status"] != "ok"]
            summary["extraction"] = {
                "method": task.extractor.method,
                "extracted": len(rows) - len(failed),
                "failed": len(failed),
                "failed_items": failed[:50],
            }
        invented = next((m.metric for m in task.metrics if m.name == "invented_words"), None)
        details = getattr(invented, "details", None)
        if invented is not None and getattr(invented, "lexicon", None) is not None and details is not None:
            answers.replace_invented_words(self.store, run_id, details)
            summary["invented_words"] = {
                "items_with_invented_words": len(details),
                "listed": sum(len(v) for v in details.values()),
            }

    # -- helpers ------------------------------------------------------------------------------------
    def _check_governance(self, spec: RunSpec) -> None:
        check_allowed(spec.checkpoint, spec.task.suite)

    def _up_to_date(self, spec: RunSpec, existing: runs.RunRow) -> bool:
        """The stored metrics are exactly the task's, each under the same signature (same judge, rubric, …)."""
        stored = {m.metric: m.signature for m in scores.run_metrics(self.store, existing.run_id)}
        wanted = {m.name: m.metric.signature() for m in spec.task.metrics}
        return stored == wanted

    def _result(self, run_id: str, spec: RunSpec, *, generated: int, reused: bool = False) -> RunResult:
        row = runs.get_run(self.store, run_id)
        assert row is not None
        metrics = {m.metric: m.as_dict() for m in scores.run_metrics(self.store, run_id)}
        return RunResult(
            run_id=run_id,
            checkpoint=spec.checkpoint.name,
            suite=spec.task.suite.name,
            status=row.status,
            n_items=row.n_items,
            n_failed=row.n_failed or 0,
            generated=generated,
            metrics=metrics,
            reused=reused,
            cost=(row.summary or {}).get("cost"),
            extraction=(row.summary or {}).get("extraction"),
        )


def _needs(metric_name: str) -> frozenset[Need]:
    from .registry import metric

    return metric(metric_name).needs


def _with_verdict(inp: ScoringInput, judged: JudgePhaseResult) -> ScoringInput:
    from dataclasses import replace

    return replace(inp, judged=judged.judged.get(inp.item.id))


def _retryable_counts(inputs: Sequence[ScoringInput], judged: JudgePhaseResult | None) -> dict[str, int]:
    """Items whose answer exists but whose log-likelihood or judge verdict failed, or was not asked for yet (a
    rescore asks for nothing): `--retry-failed` asks for them."""
    lls = sum(1 for inp in inputs if inp.loglikelihood is not None and inp.loglikelihood.status == "failed")
    verdicts = sum(
        1
        for j in (judged.judged.values() if judged else ())
        if j.status == "failed" or (j.status == "not_scored" and j.reason == NOT_JUDGED_YET)
    )
    return {"loglikelihood": lls, "verdicts": verdicts}


def _retryable(summary: dict[str, Any] | None) -> bool:
    counts = (summary or {}).get("retryable")
    if counts is None:  # a run stored before this summary field: judge failures were listed by the judge
        return bool(((summary or {}).get("judge") or {}).get("failed_items"))
    return any(int(v) > 0 for v in counts.values())


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


def _token_totals(store: Store, run_id: str) -> tuple[int | None, int | None]:
    return runs.token_totals(store, run_id)
