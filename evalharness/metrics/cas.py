"""Cultural Authenticity Score (CAS): the LLM judge's overall grade, 1–5 mapped to 0–1, as a mean metric.

Per item the statistic is (CAS, 1), where CAS is the mean over the k judge samples of (overall − 1) / 4;
the run score is 100 × sum / n — shown on 0–100 like chrF, so 75 means a mean overall grade of 4.
Nothing is scored without a judge to score it: with no `[judge]` configured, or a suite whose governance
does not allow `external_judging` for an external judge, every item is `not_scored` with that reason and
no request is sent. The judge's identity, the rubric's hash, k and the prompt version are in the
signature, so a run scored under another rubric is rescored rather than reused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import GovernanceError
from ..governance import require
from .base import ItemStat, MeanMetric, ScoringContext, ScoringInput, failed_generation

if TYPE_CHECKING:
    from ..config import Config
    from ..judge.engine import JudgeReport
    from ..judge.rubric import Rubric
    from ..judge.settings import JudgeConfig
    from ..providers.keys import Secret
    from ..providers.settings import ProviderSettings

NO_JUDGE = "no judge configured: set [judge] enabled = true with a provider and model in the config (see docs/judge.md)"


class CulturalAuthenticity(MeanMetric):
    name = "cas"
    higher_is_better = True
    stat_names = ("sum_cas", "n")

    def __init__(
        self,
        judge: JudgeConfig | None = None,
        *,
        rubric: Rubric | None = None,
        api_key: Secret | None = None,
        providers: dict[str, ProviderSettings] | None = None,
        default_concurrency: int = 8,
        client_factory: Callable[..., Any] | None = None,
    ) -> None:
        if judge is not None and rubric is None:
            raise ValueError("a configured judge needs its rubric")
        self.judge = judge
        self.rubric = rubric
        self.api_key = api_key
        self.providers = providers or {}
        self.default_concurrency = default_concurrency
        self.client_factory = client_factory

    @classmethod
    def from_config(cls, config: Config) -> CulturalAuthenticity:
        """Load the rubric and the key now, so a bad rubric or a missing key stops a run before it starts."""
        settings = config.judge
        if not settings.enabled:
            return cls(None)
        from ..judge.rubric import load_rubric
        from ..providers.keys import resolve_api_key

        rubric = load_rubric(config.resolve(settings.rubric))
        key = resolve_api_key(settings.provider, settings.api_key_env)
        return cls(
            settings, rubric=rubric, api_key=key, providers=config.providers, default_concurrency=config.run.concurrency
        )

    def signature(self) -> str:
        if self.judge is None or self.rubric is None:
            return "cas|judge:none"
        from ..judge.prompt import PROMPT_VERSION

        j = self.judge
        where = f"@{j.base_url}" if j.provider == "openai_compatible" else ""
        return (
            f"cas|judge:{j.provider}:{j.model}{where}|t:{j.temperature:g}|k:{j.samples}|rubric:{self.rubric.label}"
            f"|prompt:{PROMPT_VERSION}|overall 1-5 → 0-1, mean|scale:100"
        )

    def item_stats(self, inputs: Sequence[ScoringInput]) -> list[ItemStat]:
        """Without a run (no store for the cache, no suite for governance) nothing is judged."""
        return [
            ItemStat("not_scored", None, "the judge scores only inside a run (it needs the store and suite)")
            for _ in inputs
        ]

    def item_stats_in(self, context: ScoringContext, inputs: Sequence[ScoringInput]) -> list[ItemStat]:
        from ..store import judging as records

        refusal = self._refusal(context)
        if refusal is not None:
            records.replace_run_items(context.store, context.run_id, [])  # no stale verdicts for this run
            context.summary["judge"] = {"status": "not_scored", "reason": refusal}
            return [ItemStat("not_scored", None, refusal) for _ in inputs]
        from ..judge.engine import Judge

        assert self.judge is not None and self.rubric is not None
        judge = Judge(
            self.judge,
            self.rubric,
            context.store,
            self.providers,
            self.default_concurrency,
            self.api_key,
            **({"client_factory": self.client_factory} if self.client_factory else {}),
        )
        pairs = [(inp.item, inp.hypothesis) for inp in inputs if inp.hypothesis is not None]
        report = judge.judge(pairs, suite=context.suite, run_id=context.run_id)
        records.replace_run_items(context.store, context.run_id, judge.run_rows(context.run_id, report))
        context.summary["judge"] = _summary(judge.label, self.rubric, self.judge.samples, report)
        if self.judge.is_external:
            from ..providers.pricing import calls_cost

            # every judging call audited under this run (all its scorings), priced from [providers.<name>]
            context.summary["judge"]["cost"] = calls_cost(
                context.store, self.providers, run_id=context.run_id, purposes=("judging",)
            ).to_json()
        out = []
        for inp in inputs:
            if inp.hypothesis is None:
                out.append(failed_generation(inp))
                continue
            j = report.judgements[inp.item.id]
            out.append(
                ItemStat.scored(j.cas, 1.0)
                if j.status == "scored" and j.cas is not None
                else ItemStat("failed", None, f"judge: {j.reason}")
            )
        return out

    def _refusal(self, context: ScoringContext) -> str | None:
        if self.judge is None:
            return NO_JUDGE
        if self.judge.is_external:
            try:
                require(
                    context.suite,
                    "external_judging",
                    purpose=f"sending answers to the {self.judge.provider} judge '{self.judge.model}'",
                )
            except GovernanceError as exc:
                return f"not judged: {exc}"
        return None


def _summary(label: str, rubric: Rubric, samples: int, report: JudgeReport) -> dict[str, Any]:
    failed = sorted(i for i, j in report.judgements.items() if j.status != "scored")
    return {
        "status": "scored" if not failed else ("failed" if len(failed) == len(report.judgements) else "partial"),
        "judge": label,
        "rubric": rubric.label,
        "rubric_hash": rubric.sha256,
        "samples": samples,
        "unstable_items": report.unstable,
        "failed_items": failed,
        "requests_needed": report.samples_needed,
        "cache_hits": report.cache_hits,
        "sent": report.sent,
        "http_attempts": report.attempts,
        "invalid_verdicts": report.invalid,
        "failed_requests": report.failed,
    }
