"""What a monitor watches, loaded and checked before anything is sent: the endpoint's manifest, the held-out
suites (their governance), and the canary drawn from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..checkpoints import Checkpoint, find_checkpoint
from ..config import Config
from ..governance import require
from ..suites import Suite, load_suite
from .canary import Canary, draw_canary
from .settings import MonitorConfig


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Target:
    """What a monitor watches, loaded and validated (nothing sent yet)."""

    monitor: MonitorConfig
    checkpoint: Checkpoint
    suites: tuple[Suite, ...]
    canary: Canary

    @property
    def name(self) -> str:
        assert self.monitor.name is not None
        return self.monitor.name

    @property
    def publishable(self) -> bool:
        """Alert texts may quote canary items only when every canary suite allows publication."""
        return all(s.meta.governance.allows("publication") for s in self.suites)


def load_target(config: Config, monitor: MonitorConfig) -> Target:
    checkpoint = find_checkpoint(monitor.endpoint, config.resolve(config.run.checkpoints_dir))
    suites = []
    for name in monitor.suites:
        folder = Path(name) if Path(name).is_dir() else config.resolve(config.run.suites_dir) / name
        suites.append(load_suite(folder))
    for suite in suites:
        require(suite, "evaluation", purpose=f"monitor '{monitor.name}'")
        if checkpoint.is_external:
            require(
                suite,
                "external_generation",
                purpose=f"sending canary prompts to {checkpoint.backend} model "
                f"'{checkpoint.model}' (monitor '{monitor.name}')",
            )
    return Target(monitor, checkpoint, tuple(suites), draw_canary(suites, monitor.canary_size, monitor.seed))
