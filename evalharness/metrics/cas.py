"""Cultural Authenticity Score (CAS): the LLM judge's overall grade, 1–5 mapped to 0–1, as a mean metric.

Per item the statistic is (CAS, 1), where CAS is the mean over the k judge samples of (overall − 1) / 4;
the run score is 100 × sum / n — shown on 0–100 like chrF, so 75 means a mean overall grade of 4.

Scoring is pure: the verdicts come from the judge phase that runs before scoring (`evalharness.judging`),
which sends the requests, caches the verdicts and decides governance. This metric only turns each item's
judged outcome into statistics. With no judge configured, or a suite whose governance keeps its answers
from an external judge, every item is `not_scored` with that reason. The judge's identity, the rubric's hash,
k and the prompt version are in the signature, so a run scored under another rubric is scored again rather
than reused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..registry import MetricEntry, MetricSetup
from .base import ItemStat, MeanMetric, ScoringInput, failed_generation

if TYPE_CHECKING:
    from ..judge.rubric import Rubric
    from ..judge.settings import JudgeConfig

NO_JUDGE = "no judge configured: set [judge] enabled = true with a provider and model in the config (see docs/judge.md)"


class CulturalAuthenticity(MeanMetric):
    name = "cas"
    higher_is_better = True
    stat_names = ("sum_cas", "n")

    def __init__(self, judge: JudgeConfig | None = None, rubric: Rubric | None = None) -> None:
        if judge is not None and rubric is None:
            raise ValueError("a configured judge needs its rubric")
        self.judge = judge
        self.rubric = rubric

    @classmethod
    def from_setup(cls, setup: MetricSetup) -> CulturalAuthenticity:
        """Load the rubric now, so a bad rubric stops a run before it starts."""
        settings = setup.config.judge
        if not settings.enabled:
            return cls(None)
        from ..judge.rubric import load_rubric

        return cls(settings, load_rubric(setup.config.resolve(settings.rubric)))

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
        out = []
        for inp in inputs:
            judged = inp.judged
            if inp.hypothesis is None:
                out.append(failed_generation(inp))
            elif self.judge is None:
                out.append(ItemStat("not_scored", None, NO_JUDGE))
            elif judged is None:
                out.append(ItemStat("not_scored", None, "the judge phase did not run for this item"))
            elif judged.status == "scored" and judged.cas is not None:
                out.append(ItemStat.scored(judged.cas, 1.0))
            elif judged.status == "not_scored":
                out.append(ItemStat("not_scored", None, judged.reason))
            else:
                out.append(ItemStat("failed", None, f"judge: {judged.reason}"))
        return out


CAS = MetricEntry(
    name="cas",
    label="CAS (judge)",
    higher_is_better=True,
    stat_names=CulturalAuthenticity.stat_names,
    factory=CulturalAuthenticity.from_setup,
    needs=frozenset({"generation", "verdicts"}),
    description="Cultural Authenticity Score: the LLM judge's overall grade under the community's rubric",
)
