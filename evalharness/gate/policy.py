"""Checks on the `[gate]` policy that need the rest of the config (the model itself is in config.py).

A policy that names a metric no run will score can never pass or fail honestly, so it is a config
error (exit 2) before anything runs, not an "incomplete" gate (exit 3) after a long evaluation.
"""

from __future__ import annotations

from ..config import Config
from ..errors import ConfigError


def check_policy(config: Config) -> None:
    policy = config.gate
    if not policy.primary:
        raise ConfigError(
            "the gate needs at least one primary metric",
            field="gate.primary",
            hint='e.g. gate.primary = { "chrf++" = 0.0 }',
        )
    enabled = set(config.metrics.enabled)
    for key, names in (
        ("gate.primary", policy.primary),
        ("gate.guards", policy.guards),
        ("gate.floors", policy.floors),
        ("gate.required", policy.required),
    ):
        missing = [n for n in names if n not in enabled]
        if missing:
            raise ConfigError(
                f"metric(s) {missing} are not in metrics.enabled, so no run would score them",
                path=config.source,
                field=key,
                hint="add them to metrics.enabled or remove them here",
            )
    both = sorted(set(policy.primary) & set(policy.guards))
    if both:
        raise ConfigError(
            f"metric(s) {both} are both primary and guard",
            path=config.source,
            field="gate.guards",
            hint="a primary metric must improve; a guard only must not regress — choose one",
        )
