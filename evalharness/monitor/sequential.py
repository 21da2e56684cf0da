"""An alarm across checks whose false-alarm probability stays below α however many checks run.

Each monitored quantity is a *stream*: one number per check, `x_t` (the share of canary answers that
changed, the drop of the canary score below the baseline). The null hypothesis of a stream is a
tolerance the user states, not a guess about the endpoint's noise:

    H0:  E[x_t | everything before check t] ≤ m      for every check t

We test it by betting (Waudby-Smith & Ramdas, "Estimating means of bounded random variables by betting",
JRSS-B 2023; Shafer & Vovk's game-theoretic testing). Before check t we choose a stake λ_t ≥ 0 from the
*earlier* checks only; the wealth is multiplied by `1 + λ_t (x_t − m)`. Since x_t ≥ `lower` and
λ_t ≤ c / (m − lower) with c < 1, every factor is positive, and under H0 its conditional mean is ≤ 1,
so the wealth is a non-negative supermartingale that starts at 1. Ville's inequality then gives

    P(wealth ever reaches 1/α) ≤ α

— for 10 checks or 10,000, with no correction for looking after every check (a fixed-α test repeated
at every check would raise a false alarm with probability → 1). Several streams are averaged; the mean
of supermartingales under the same null is one too, so the same bound holds for the combined alarm.

No independence is assumed, between checks or between the items of a check: only the conditional mean.

The stake follows the recent past: λ_t maximises Σ_s w_s log(1 + λ (x_s − m)) over the earlier checks,
with exponentially decaying weights w_s (half-life `half_life` checks), so a quiet history (x ≤ m)
stakes nothing and loses nothing, and after a change the stake grows within one or two checks. The first
check after a change cannot be bet on (the stake is fixed before it is seen): the alarm comes at the
earliest on the second. This is the same growth-rate (Kelly) criterion as confseq's GRAPA strategy,
solved exactly on the weighted past instead of by its second-order approximation, which is too timid
when the change is large. (confseq itself ships only as a source package needing Boost and CMake, and
PyPI's `expectation` needs Python ≥ 3.12.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StreamSpec:
    """One monitored quantity. H0: its conditional mean is at most `null_mean`; it is never below `lower`."""

    name: str
    null_mean: float
    lower: float
    #: fraction of the largest stake that keeps every factor positive (1 − c is the smallest factor)
    max_fraction: float = 0.9
    #: weights of earlier checks halve every `half_life` checks (the stake follows recent behaviour)
    half_life: float = 1.0

    def __post_init__(self) -> None:
        if not self.null_mean > self.lower:
            raise ValueError(f"stream {self.name}: null mean {self.null_mean} must exceed the lower bound {self.lower}")
        if not 0.0 < self.max_fraction < 1.0:
            raise ValueError("max_fraction must be in (0, 1)")
        if self.half_life <= 0:
            raise ValueError("half_life must be positive")

    @property
    def max_stake(self) -> float:
        return self.max_fraction / (self.null_mean - self.lower)


@dataclass(frozen=True)
class StreamPath:
    """The wealth of one stream after each check, and the stake that was placed at each check."""

    spec: StreamSpec
    values: tuple[float | None, ...]  # x_t; None = the check gave no value (stake 0, factor 1)
    stakes: tuple[float, ...]
    wealth: tuple[float, ...]  # after each check; starts from 1 before the first


def kelly_stake(past: Sequence[float], spec: StreamSpec) -> float:
    """The stake for the next check, from the earlier values of this stream only (predictable).

    Maximises the weighted log-growth Σ w_s log(1 + λ (x_s − m)) over [0, max_stake]; the objective is
    concave in λ, so its derivative is bisected. Weights below 1e-6 of the newest are left out. With no
    earlier check, or none that looked worse than the null mean, the stake is 0 (nothing is lost).
    """
    if not past:
        return 0.0
    decay = 0.5 ** (1.0 / spec.half_life)
    window = min(len(past), int(math.ceil(spec.half_life * math.log2(1e6))) + 1)
    d = [x - spec.null_mean for x in past[-window:]]
    if max(d) <= 0.0:
        return 0.0
    w = [decay ** (window - 1 - i) for i in range(window)]
    pairs = list(zip(w, d))

    def slope(lam: float) -> float:
        return sum(wi * di / (1.0 + lam * di) for wi, di in pairs)

    hi = spec.max_stake
    if slope(0.0) <= 0.0:
        return 0.0
    if slope(hi) >= 0.0:
        return hi
    lo = 0.0
    for _ in range(40):  # the stake to ~1e-12 of its range; the wealth is not sensitive below that
        mid = (lo + hi) / 2
        if slope(mid) > 0:
            lo = mid
        else:
            hi = mid
    return lo


def wealth_path(values: Sequence[float | None], spec: StreamSpec) -> StreamPath:
    """Run one stream's betting over the checks in order (a pure function of the values)."""
    wealth = 1.0
    past: list[float] = []
    stakes: list[float] = []
    path: list[float] = []
    for x in values:
        stake = kelly_stake(past, spec)
        if x is not None:
            if x < spec.lower - 1e-12:
                raise ValueError(f"stream {spec.name}: value {x} is below its stated lower bound {spec.lower}")
            wealth *= 1.0 + stake * (x - spec.null_mean)
            past.append(x)
        else:
            stake = 0.0
        stakes.append(stake)
        path.append(wealth)
    return StreamPath(spec=spec, values=tuple(values), stakes=tuple(stakes), wealth=tuple(path))


@dataclass(frozen=True)
class AlarmPath:
    """The combined test: mean wealth of the streams after each check, and the first check at the threshold."""

    alpha: float
    streams: tuple[StreamPath, ...]
    combined: tuple[float, ...]
    threshold: float
    first_alarm: int | None  # 0-based index of the first check whose combined wealth reached 1/α
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def alarm(self) -> bool:
        return self.first_alarm is not None

    @property
    def last(self) -> float:
        return self.combined[-1] if self.combined else 1.0


def alarm_path(streams: Mapping[str, Sequence[float | None]], specs: Sequence[StreamSpec], alpha: float) -> AlarmPath:
    """Average the streams' wealth (each a test supermartingale under its H0) and compare with 1/α.

    `streams` maps each spec's name to its values, one per check (same length for all). With no stream
    the wealth stays 1 and nothing can alarm.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError("alpha must be in (0, 1)")
    lengths = {len(streams[s.name]) for s in specs}
    if len(lengths) > 1:
        raise ValueError(f"streams have different lengths: {lengths}")
    paths = tuple(wealth_path(streams[s.name], s) for s in specs)
    n = lengths.pop() if lengths else 0
    combined = tuple(sum(p.wealth[t] for p in paths) / len(paths) if paths else 1.0 for t in range(n))
    threshold = 1.0 / alpha
    first = next((t for t, w in enumerate(combined) if w >= threshold), None)
    return AlarmPath(alpha=alpha, streams=paths, combined=combined, threshold=threshold, first_alarm=first)


def log10_wealth(value: float) -> float:
    """For charts: wealth spans many orders of magnitude."""
    return math.log10(value) if value > 0 else float("-inf")
