"""The canary: fixed by its seed, stratified by suite and direction, independent of line order."""

from __future__ import annotations

import pytest

from evalharness.errors import InputError
from evalharness.monitor.canary import allocate, draw_canary
from evalharness.suites import Governance, Item, Provenance, SuiteMeta, make_suite


def _suite(name: str, directions: dict[str, int], *, reverse: bool = False):
    items = [Item(id=f"{d}-{i:03d}", prompt=f"q {d} {i}", reference=f"a {i}", direction=d)
             for d, n in directions.items() for i in range(n)]
    if reverse:
        items = items[::-1]
    meta = SuiteMeta(name=name, version="1", kind="dictionary_qa", description="t", license="t",
                     provenance=Provenance(source="test"), governance=Governance(allowed_uses=["evaluation"]))
    return make_suite(meta, items)


def test_allocation_is_proportional_with_one_per_stratum() -> None:
    assert allocate([100, 50, 3, 0], 10) == [6, 3, 1, 0]
    assert sum(allocate([7, 11, 13], 20)) == 20
    assert allocate([1, 2], 10) == [1, 2]


def test_same_seed_same_canary_whatever_the_line_order() -> None:
    a = draw_canary([_suite("s", {"en-sto": 40, "sto-en": 40, "explain": 20})], 20, seed=5)
    b = draw_canary([_suite("s", {"en-sto": 40, "sto-en": 40, "explain": 20}, reverse=True)], 20, seed=5)
    assert [c.item.id for c in a.items] == [c.item.id for c in b.items]
    # the suite hash differs (line order is part of a suite version), so the canary's hash does too
    assert a.canary_hash != b.canary_hash


def test_strata_follow_the_suites_mix_and_another_seed_draws_other_items() -> None:
    suites = [_suite("a", {"en-sto": 60, "sto-en": 30}), _suite("b", {"explain": 10})]
    canary = draw_canary(suites, 50, seed=1)
    assert canary.size == 50
    drawn = {(s, d): n for s, d, n, _ in canary.strata}
    assert drawn == {("a", "en-sto"): 30, ("a", "sto-en"): 15, ("b", "explain"): 5}
    assert len({c.key for c in canary.items}) == 50
    other = draw_canary(suites, 50, seed=2)
    assert {c.key for c in other.items} != {c.key for c in canary.items}


def test_bad_canary_requests_are_input_errors() -> None:
    with pytest.raises(InputError, match="at least one item"):
        draw_canary([_suite("a", {"x": 3})], 0, seed=1)
    with pytest.raises(InputError, match="listed twice"):
        draw_canary([_suite("a", {"x": 3}), _suite("a", {"x": 3})], 2, seed=1)
