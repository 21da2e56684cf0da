"""Judge (item, candidate) pairs k times each: cache first, then the provider, then aggregate per item.

Every request is keyed by sha256(judge identity, prompt version, rubric hash, what the judge sees of the
item, candidate text, sample index). A key already judged (by any run) is never sent again; a changed
rubric, prompt, model or temperature is a new key. Valid verdicts are written to `judge_calls` in small
batches as they arrive, so a crash loses little and a re-run sends only what is missing.

Each request goes through `ProviderSession.call` (rate limits, adaptive concurrency, transport retries,
one audit row per attempt). An answer that arrives but fails verdict validation is asked for again up to
`invalid_retries` times; then that sample is recorded as `invalid` with its reason. An item is scored
only when all k samples are valid — its CAS is then the mean of the k overall grades mapped to 0–1 —
otherwise it fails with the first sample's reason: a score is never made of fewer samples than configured.
"""

from __future__ import annotations

import hashlib
import json
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..batching import BatchWriter
from ..governance import require
from ..providers.audit import AuditContext, AuditLog
from ..providers.bridge import LoopThread
from ..providers.keys import Secret, resolve_api_key, scrub
from ..providers.session import ProviderSession, run_all
from ..providers.settings import ProviderSettings, provider_settings
from ..store import Store
from ..store import judging as records
from ..suites import Item, Suite
from .clients import JudgeClient, make_judge_client
from .prompt import PROMPT_VERSION, build_prompt
from .rubric import Rubric
from .settings import JudgeConfig
from .verdict import InvalidVerdict, Verdict, VerdictParser, response_schema

RAW_KEEP = 4000  # characters of an invalid answer kept for inspection


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _sha(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def judge_identity(config: JudgeConfig) -> str:
    """What determines a verdict besides the rubric and the texts."""
    return _sha(
        {
            "provider": config.provider,
            "model": config.model,
            "temperature": config.temperature,
            "base_url": config.base_url if config.provider == "openai_compatible" else None,
            "prompt": PROMPT_VERSION,
        }
    )


def item_key(item: Item) -> str:
    """Hash of everything the judge sees of an item (its id is not part of it)."""
    return _sha(
        {
            "system": item.system,
            "prompt": item.prompt,
            "reference": item.reference,
            "narrative": item.narrative,
            "disallowed": item.disallowed,
            "direction": item.direction,
        }
    )


def candidate_sha256(candidate: str) -> str:
    return hashlib.sha256(nfc(candidate).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ItemJudgement:
    item_id: str
    status: Literal["scored", "failed", "not_scored"]  # not_scored: not judged yet (cache-only)
    reason: str | None
    cache_keys: tuple[str, ...]
    verdicts: tuple[Verdict, ...] = ()
    spread: int | None = None
    unstable: bool = False

    @property
    def overall_scores(self) -> tuple[int, ...]:
        return tuple(v.overall for v in self.verdicts)

    @property
    def cas(self) -> float | None:
        """Mean over the samples of the overall grade mapped to 0–1."""
        if self.status != "scored":
            return None
        return sum(v.cas for v in self.verdicts) / len(self.verdicts)

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for v in self.verdicts for f in v.flags))


@dataclass(frozen=True)
class JudgeReport:
    judgements: dict[str, ItemJudgement]
    samples_needed: int  # k × distinct pairs
    cache_hits: int
    sent: int  # requests that produced a row this time (ok or not)
    attempts: int  # HTTP attempts, retries included
    invalid: int
    failed: int
    seconds: float

    @property
    def unstable(self) -> list[str]:
        return sorted(i for i, j in self.judgements.items() if j.unstable)


@dataclass(frozen=True)
class _Task:
    item: Item
    candidate: str
    sample: int
    key: str


@dataclass
class Judge:
    """One judge model under one rubric. `judge()` is synchronous; the requests run on a loop thread."""

    config: JudgeConfig
    rubric: Rubric
    store: Store
    providers: dict[str, ProviderSettings] = field(default_factory=dict)
    default_concurrency: int = 8
    api_key: Secret | None = None
    client_factory: Callable[..., JudgeClient] = make_judge_client

    def __post_init__(self) -> None:
        self.identity = judge_identity(self.config)
        self.parser = VerdictParser(self.rubric)
        self.schema = response_schema(self.rubric)
        self.settings = provider_settings(self.providers, self.config.section)

    @classmethod
    def from_config(
        cls,
        config: JudgeConfig,
        rubric: Rubric,
        store: Store,
        *,
        providers: dict[str, ProviderSettings] | None = None,
        default_concurrency: int = 8,
        key_hosts: Mapping[str, Sequence[str]] | None = None,
    ) -> Judge:
        """Resolve the key now, so a missing (or not allowed) one stops everything before a request is sent."""
        key = resolve_api_key(config.provider, config.api_key_env, base_url=config.base_url, key_hosts=key_hosts)
        return cls(config, rubric, store, providers or {}, default_concurrency, key)

    @property
    def label(self) -> str:
        return f"{self.config.provider}:{self.config.model}"

    def cache_key(self, item: Item, candidate: str, sample: int) -> str:
        return _sha([self.identity, self.rubric.sha256, item_key(item), nfc(candidate), sample])

    # -- public ------------------------------------------------------------------------------------
    def judge(
        self, pairs: Sequence[tuple[Item, str]], *, suite: Suite, run_id: str | None = None, send: bool = True
    ) -> JudgeReport:
        """Judge each (item, candidate) pair `samples` times. Governance is checked before anything is sent.

        With `send=False` only cached verdicts are used; an item missing one is `not_scored`."""
        started = time.monotonic()
        k = self.config.samples
        keyed = {
            item.id: (item, nfc(candidate), [self.cache_key(item, candidate, s) for s in range(k)])
            for item, candidate in pairs
        }
        all_keys = list(dict.fromkeys(key for _, _, keys in keyed.values() for key in keys))
        cached = records.cached_verdicts(self.store, all_keys)
        tasks: dict[str, _Task] = {}
        for item, candidate, keys in keyed.values():
            for sample, key in enumerate(keys):
                if key not in cached and key not in tasks:
                    tasks[key] = _Task(item, candidate, sample, key)
        results: dict[str, records.JudgeCallRow] = {}
        if tasks and send:
            if self.config.is_external:
                require(suite, "external_judging", purpose=f"sending answers to the {self.label} judge")
            records.record_rubric(self.store, self.rubric)
            results = self._send(list(tasks.values()), suite=suite, run_id=run_id)
        verdicts = {**cached, **{key: row.verdict for key, row in results.items() if row.verdict is not None}}
        judgements = {
            item_id: self._aggregate(item_id, keys, verdicts, results, sent=send)
            for item_id, (_, _, keys) in keyed.items()
        }
        return JudgeReport(
            judgements=judgements,
            samples_needed=len(all_keys),
            cache_hits=len(cached),
            sent=len(results),
            attempts=sum(r.attempts for r in results.values()),
            invalid=sum(1 for r in results.values() if r.status == "invalid"),
            failed=sum(1 for r in results.values() if r.status == "failed"),
            seconds=time.monotonic() - started,
        )

    # -- sending -----------------------------------------------------------------------------------
    def _send(self, tasks: list[_Task], *, suite: Suite, run_id: str | None) -> dict[str, records.JudgeCallRow]:
        context = AuditContext(
            provider=self.config.provider,
            model=str(self.config.model),
            purpose="judging",
            run_id=run_id,
            suite_hash=suite.content_hash,
        )
        workers = self.config.concurrency or self.settings.concurrency or self.default_concurrency
        results: dict[str, records.JudgeCallRow] = {}
        loop = LoopThread(name="evalharness-judge-loop")
        try:
            with AuditLog(self.store) as audit:

                async def producer(emit: Callable[[records.JudgeCallRow], None]) -> None:
                    client = self.client_factory(self.config, self.api_key, timeout_s=self.settings.timeout_s)
                    try:
                        session = ProviderSession(self.settings, context, audit=audit, concurrency=workers)
                        await run_all(
                            tasks,
                            lambda task: self._one(session, client, task),
                            emit,
                            workers=session.limiter.max_limit,
                        )
                    finally:
                        await client.aclose()

                # verdicts are cached as they arrive, so a crash loses little and a re-run sends only what is missing
                writer: BatchWriter[records.JudgeCallRow] = BatchWriter(
                    lambda batch: records.put_calls(self.store, batch), name="evalharness-judge"
                )
                with writer as out:
                    for row in loop.stream(producer):
                        results[row.cache_key] = row
                        out.put(row)
        finally:
            loop.close()
        return results

    async def _one(self, session: ProviderSession, client: JudgeClient, task: _Task) -> records.JudgeCallRow:
        prompt = build_prompt(self.rubric, task.item, task.candidate)
        estimate = (len(prompt.system) + len(prompt.user)) // 4 + self.config.max_output_tokens
        attempts, prompt_tokens, completion_tokens = 0, 0, 0
        raw: str | None = None
        error = "no answer"
        for _ in range(1 + self.config.invalid_retries):
            outcome = await session.call(
                lambda: client.ask(prompt, self.schema),
                item_id=task.item.id,
                endpoint=client.endpoint,
                estimated_tokens=estimate,
            )
            attempts += outcome.attempts
            prompt_tokens += outcome.usage.prompt_tokens or 0
            completion_tokens += outcome.usage.completion_tokens or 0
            if not outcome.ok:
                assert outcome.failure is not None
                return self._row(
                    task,
                    "failed",
                    None,
                    f"judge request failed: {outcome.failure.reason}",
                    raw,
                    attempts,
                    prompt_tokens,
                    completion_tokens,
                    None,
                )
            raw = outcome.value
            try:
                verdict = self.parser.parse(raw)
            except InvalidVerdict as exc:
                error = str(exc)
                continue
            return self._row(
                task, "ok", verdict, None, None, attempts, prompt_tokens, completion_tokens, outcome.latency_s
            )
        tries = 1 + self.config.invalid_retries
        return self._row(
            task,
            "invalid",
            None,
            f"invalid verdict after {tries} answer(s): {error}",
            raw,
            attempts,
            prompt_tokens,
            completion_tokens,
            None,
        )

    def _row(
        self,
        task: _Task,
        status: records.CallStatus,
        verdict: Verdict | None,
        error: str | None,
        raw: str | None,
        attempts: int,
        prompt_tokens: int,
        completion_tokens: int,
        latency: float | None,
    ) -> records.JudgeCallRow:
        return records.JudgeCallRow(
            cache_key=task.key,
            judge_identity=self.identity,
            judge_provider=self.config.provider,
            judge_model=str(self.config.model),
            rubric_hash=self.rubric.sha256,
            item_id=task.item.id,
            item_key=item_key(task.item),
            candidate_sha256=candidate_sha256(task.candidate),
            candidate_text=task.candidate,
            sample_index=task.sample,
            status=status,
            verdict=verdict,
            error=scrub(error),
            raw_response=scrub(raw[:RAW_KEEP]) if raw is not None else None,
            attempts=attempts,
            prompt_tokens=prompt_tokens or None,
            completion_tokens=completion_tokens or None,
            latency_s=latency,
        )

    # -- aggregation -------------------------------------------------------------------------------
    def _aggregate(
        self,
        item_id: str,
        keys: list[str],
        verdicts: dict[str, Verdict],
        results: dict[str, records.JudgeCallRow],
        *,
        sent: bool = True,
    ) -> ItemJudgement:
        found = [verdicts.get(key) for key in keys]
        if any(v is None for v in found) and not sent:
            return ItemJudgement(item_id, "not_scored", "not judged yet", tuple(keys))
        if any(v is None for v in found):
            sample = next(i for i, v in enumerate(found) if v is None)
            row = results.get(keys[sample])
            why = row.error if row is not None and row.error else "no verdict"
            return ItemJudgement(item_id, "failed", f"sample {sample + 1} of {len(keys)}: {why}", tuple(keys))
        scores = [v.overall for v in found if v is not None]
        spread = max(scores) - min(scores)
        return ItemJudgement(
            item_id,
            "scored",
            None,
            tuple(keys),
            tuple(v for v in found if v is not None),
            spread=spread,
            unstable=spread >= self.config.unstable_spread,
        )

    def run_rows(self, run_id: str, report: JudgeReport) -> list[records.JudgeRunItemRow]:
        return [
            records.JudgeRunItemRow(
                run_id=run_id,
                item_id=j.item_id,
                judge_identity=self.identity,
                judge_model=str(self.config.model),
                rubric_hash=self.rubric.sha256,
                status=j.status,
                reason=j.reason,
                cache_keys=j.cache_keys,
                overall_scores=j.overall_scores if j.status == "scored" else None,
                cas=j.cas,
                spread=j.spread,
                unstable=j.unstable,
                flags=j.flags,
            )
            for j in report.judgements.values()
        ]
