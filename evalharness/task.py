"""What is evaluated: a task (suite + metrics + judge + answer extraction) and a run spec (task + checkpoint).

Both are plain frozen values built before anything runs; the runner evaluates a run spec in phases
(generate → log-likelihood → judge → extract → score → persist) and reads everything it needs from it.
A suite may declare the metrics it is scored with (`metrics = [...]` in suite.toml); otherwise the config's
`[metrics] enabled` applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .registry import EXTRACTED_SUFFIX, MetricEntry, MetricSetup, Need, metric

if TYPE_CHECKING:
    from .checkpoints import Checkpoint
    from .config import Config
    from .judging import JudgeSetup
    from .metrics.base import Metric
    from .suites import Suite


@dataclass(frozen=True)
class Extraction:
    """The answer an extractor found in a reply, or None with the reason it found none."""

    text: str | None
    method: str
    reason: str | None = None


class AnswerExtractor(Protocol):
    """Finds the answer inside a model's reply (e.g. the quoted word of "The word is 'mîni'."), so metrics
    can score it rather than the whole reply. Pure: text in, extraction out."""

    @property
    def method(self) -> str: ...

    def extract(self, reply: str) -> Extraction: ...


@dataclass(frozen=True)
class ScoredMetric:
    """A metric and its registry entry (what it needs, its label)."""

    entry: MetricEntry
    metric: Metric

    @property
    def name(self) -> str:
        return self.entry.name


@dataclass(frozen=True)
class Task:
    suite: Suite
    metrics: tuple[ScoredMetric, ...]
    #: the judge behind metrics that need verdicts; None: those metrics are "not scored" (no judge configured)
    judge: JudgeSetup | None = None
    #: finds the answer in each reply before scoring; None: metrics score the whole reply
    extractor: AnswerExtractor | None = None
    #: metrics that must be scored for the run to count as complete
    required: frozenset[str] = frozenset()

    @property
    def needs(self) -> frozenset[Need]:
        return frozenset(n for m in self.metrics for n in m.entry.needs)

    @property
    def metric_names(self) -> list[str]:
        return [m.name for m in self.metrics]


@dataclass(frozen=True)
class RunSpec:
    task: Task
    checkpoint: Checkpoint


def metric_names_for(config: Config, suite: Suite) -> list[str]:
    """The suite's own metric list when it declares one, else the config's."""
    return list(suite.meta.metrics) if suite.meta.metrics is not None else list(config.metrics.enabled)


def with_extracted(config: Config, suite: Suite, names: Sequence[str]) -> list[str]:
    """A suite that declares how answers are extracted is scored on both: `chrf` and `chrf@extracted` for
    every metric of `[metrics] on_extracted`."""
    names = list(names)
    if suite.meta.extraction is None:
        return names
    extra = [f"{n}{EXTRACTED_SUFFIX}" for n in names if n in config.metrics.on_extracted]
    return names + [n for n in extra if n not in names]


def build_task(
    config: Config,
    suite: Suite,
    *,
    judge: JudgeSetup | None = None,
    metric_names: Sequence[str] | None = None,
    extractor: AnswerExtractor | None = None,
) -> Task:
    """The task of scoring `suite` under `config`: metrics built from their registry entries."""
    names = with_extracted(config, suite, metric_names if metric_names is not None else metric_names_for(config, suite))
    if suite.meta.extraction is not None and extractor is None:
        from .extraction import SpecExtractor

        extractor = SpecExtractor(suite.meta.extraction, suite.language())
    setup = MetricSetup(config, suite)
    metrics = tuple(ScoredMetric(metric(n), metric(n).factory(setup)) for n in names)
    return Task(
        suite=suite,
        metrics=metrics,
        judge=judge,
        extractor=extractor,
        required=frozenset(config.metrics.required) & frozenset(names),
    )
