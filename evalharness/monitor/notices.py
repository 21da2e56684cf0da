"""Retirement warnings where people look — `runs`, the gate's report, the dashboard — read from the store.

No request is made here: the dates come from the lookups `monitor check` recorded. The horizon is the one
of a monitor watching the checkpoint, else the default (60 days).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..config import Config
from ..store import Store
from ..store import monitor as db
from .registry import load_monitors
from .retirement import model_ids
from .settings import ThresholdSettings

DEFAULT_HORIZON = ThresholdSettings().retirement_horizon_days


@dataclass(frozen=True)
class RetirementNotice:
    checkpoint: str
    model: str
    role: str
    status: str  # retires | gone
    shutdown_date: date | None
    days_left: int | None
    horizon_days: int

    def text(self, who: str | None = None) -> str:
        who = who or f"`{self.checkpoint}`"
        if self.status == "gone":
            return f"{who} is gone: its {self.role} '{self.model}' answered 404 at the last check — gate a replacement"
        assert self.shutdown_date is not None and self.days_left is not None
        when = f"retires in {self.days_left} day(s)" if self.days_left >= 0 else f"retired {-self.days_left} day(s) ago"
        return (
            f"{who} {when}: its {self.role} '{self.model}' shuts down on {self.shutdown_date:%Y-%m-%d} — "
            "gate a replacement"
        )


def horizons(config: Config) -> dict[str, int]:
    """checkpoint name → the warning horizon of a monitor watching it (the shortest, if several do)."""
    out: dict[str, int] = {}
    for monitor in load_monitors(config).values():
        name = Path(monitor.endpoint).stem
        days = monitor.thresholds.retirement_horizon_days
        out[name] = min(days, out.get(name, days))
    return out


def retirement_notices(
    config: Config, store: Store, checkpoint_names: Iterable[str], today: date | None = None
) -> dict[str, RetirementNotice]:
    """checkpoint name → a notice, for the checkpoints whose model is gone or retires within the horizon."""
    if not store.exists():
        return {}
    today = today or date.today()
    per_checkpoint = horizons(config)
    models = db.checkpoint_models(store, checkpoint_names)
    wanted = {name: model_ids(model) for name, (_, model) in models.items()}
    known = db.retirement_for_models(store, [m for ids in wanted.values() for m, _ in ids])
    out = {}
    for name, ids in wanted.items():
        horizon = per_checkpoint.get(name, DEFAULT_HORIZON)
        rows = [known[m] for m, _ in ids if m in known]
        gone = next((r for r in rows if r.status == "gone" and r.role == "model"), None)
        if gone is not None:
            out[name] = RetirementNotice(name, gone.model, gone.role, "gone", None, None, horizon)
            continue
        dated = sorted((date.fromisoformat(r.shutdown_date), r) for r in rows if r.shutdown_date)
        if dated:
            when, row = dated[0]
            left = (when - today).days
            if left <= horizon:
                out[name] = RetirementNotice(name, row.model, row.role, "retires", when, left, horizon)
    return out
