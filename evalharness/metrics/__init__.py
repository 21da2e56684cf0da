"""Metrics, each a small class with a name, a direction, a signature and per-item statistics, described by a
registry entry (`registry.MetricEntry`) that the package registers through an entry point, as a plugin would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import ItemStat, JudgedItem, Metric, ScoringInput

if TYPE_CHECKING:
    from ..config import Config
    from ..suites import Suite


def build_metric(name: str, config: Config | None = None, suite: Suite | None = None) -> Metric:
    """The metric registered as `name`, built from `config` (the defaults when None) for `suite`."""
    from ..config import Config
    from ..registry import MetricSetup, metric

    return metric(name).factory(MetricSetup(config or Config(), suite))


__all__ = ["ItemStat", "JudgedItem", "Metric", "ScoringInput", "build_metric"]
