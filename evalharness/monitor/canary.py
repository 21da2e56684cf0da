"""The canary: a fixed, seeded, stratified sample of held-out items that every check asks again.

Strata are (suite, direction), so a canary of 50 keeps the suites' mix of `en-sto`, `sto-en` and
`explain` items. Sizes are proportional (largest remainder), with at least one item per stratum while
the size allows. Items are drawn from each stratum's ids in sorted order with `numpy.random.default_rng`
seeded per stratum, so the same suites, size and seed always give the same canary — on any machine,
whatever the order of lines in items.jsonl. The canary's hash names it: a changed suite version makes
another canary, and a monitor then starts a new baseline instead of comparing across versions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..suites import Item, Suite


@dataclass(frozen=True)
class CanaryItem:
    suite_name: str
    suite_hash: str
    item: Item

    @property
    def key(self) -> str:
        """Unique across the canary's suites (two suites may reuse an item id)."""
        return f"{self.suite_hash[:12]}:{self.item.id}"


@dataclass(frozen=True)
class Canary:
    seed: int
    size: int
    items: tuple[CanaryItem, ...]
    strata: tuple[tuple[str, str, int, int], ...]  # (suite, direction, drawn, available)
    canary_hash: str

    def by_key(self) -> dict[str, CanaryItem]:
        return {c.key: c for c in self.items}


def allocate(sizes: Sequence[int], total: int) -> list[int]:
    """Split `total` over strata of the given sizes: proportional, largest remainder, ≥ 1 each if possible."""
    available = sum(sizes)
    if total >= available:
        return list(sizes)
    k = len(sizes)
    base = [1 if s > 0 else 0 for s in sizes] if total >= sum(1 for s in sizes if s > 0) else [0] * k
    rest = total - sum(base)
    room = [s - b for s, b in zip(sizes, base)]
    room_total = sum(room)
    shares = [rest * r / room_total if room_total else 0.0 for r in room]
    extra = [int(np.floor(x)) for x in shares]
    left = rest - sum(extra)
    # largest remainder; ties by stratum order (deterministic)
    order = sorted(range(k), key=lambda i: (-(shares[i] - extra[i]), i))
    for i in order[:left]:
        extra[i] += 1
    return [b + e for b, e in zip(base, extra)]


def draw_canary(suites: Sequence[Suite], size: int, seed: int) -> Canary:
    """The canary of `size` items from `suites`, stratified by suite and direction."""
    if size < 1:
        raise InputError("the canary needs at least one item", field="canary_size")
    if not suites:
        raise InputError("a monitor needs at least one held-out suite to draw its canary from", field="suites")
    names = [s.name for s in suites]
    if len(set(names)) != len(names):
        raise InputError(f"a suite is listed twice: {names}", field="suites")
    strata: list[tuple[Suite, str, list[Item]]] = []
    for suite in sorted(suites, key=lambda s: s.name):
        by_direction: dict[str, list[Item]] = {}
        for item in suite.items:
            by_direction.setdefault(item.direction, []).append(item)
        for direction in sorted(by_direction):
            strata.append((suite, direction, sorted(by_direction[direction], key=lambda i: i.id)))
    counts = allocate([len(items) for _, _, items in strata], size)
    chosen: list[CanaryItem] = []
    summary = []
    for index, ((suite, direction, items), count) in enumerate(zip(strata, counts)):
        rng = np.random.default_rng([seed, index])
        picks = sorted(rng.choice(len(items), size=count, replace=False).tolist()) if count else []
        chosen += [CanaryItem(suite.name, suite.content_hash, items[p]) for p in picks]
        summary.append((suite.name, direction, count, len(items)))
    blob = json.dumps({"seed": seed, "size": size, "items": [[c.suite_hash, c.item.id] for c in chosen]})
    return Canary(
        seed=seed,
        size=len(chosen),
        items=tuple(chosen),
        strata=tuple(summary),
        canary_hash=hashlib.sha256(blob.encode()).hexdigest(),
    )
