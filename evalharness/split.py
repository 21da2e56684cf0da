"""A seeded, reproducible held-out split *by headword*: no headword appears on both sides.

Items that share a headword are joined into one group (union-find); whole groups are then drawn, in a
seeded order, into the held-out side until it reaches the requested size. A word seen in training can
therefore never be the subject of a held-out question.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .errors import InputError
from .suites import Item


@dataclass(frozen=True)
class Split:
    train: tuple[Item, ...]
    test: tuple[Item, ...]
    seed: int
    groups: int


def _groups(items: tuple[Item, ...]) -> list[list[int]]:
    parent = list(range(len(items)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[str, int] = {}
    for index, item in enumerate(items):
        for word in item.headwords:
            if word in owner:
                parent[find(index)] = find(owner[word])
            else:
                owner[word] = index
    grouped: dict[int, list[int]] = {}
    for index in range(len(items)):
        grouped.setdefault(find(index), []).append(index)
    # Order groups by their first item so the seeded shuffle is independent of dict internals.
    return sorted(grouped.values(), key=lambda g: g[0])


def split_by_headword(items: list[Item] | tuple[Item, ...], *, test_size: int, seed: int) -> Split:
    """Draw about `test_size` held-out items (never fewer; whole groups only)."""
    items = tuple(items)
    if not 0 < test_size < len(items):
        raise InputError(f"test size {test_size} must be between 1 and {len(items) - 1}", field="test_size")
    groups = _groups(items)
    order = list(range(len(groups)))
    random.Random(seed).shuffle(order)
    test_idx: set[int] = set()
    for group_index in order:
        if len(test_idx) >= test_size:
            break
        test_idx.update(groups[group_index])
    test = tuple(item for i, item in enumerate(items) if i in test_idx)
    train = tuple(item for i, item in enumerate(items) if i not in test_idx)
    return Split(train=train, test=test, seed=seed, groups=len(groups))


def shared_headwords(a: tuple[Item, ...], b: tuple[Item, ...]) -> set[str]:
    """Headwords present on both sides — empty for a correct split; used by tests and `suites validate`."""
    left = {w for item in a for w in item.headwords}
    return left & {w for item in b for w in item.headwords}
