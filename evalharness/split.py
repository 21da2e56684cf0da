"""A seeded, reproducible held-out split in which no word is on both sides.

Items are joined into one group (union-find) when they share

- a headword — compared by its *folded* key, so spelling variants of one word (`rhaîtach` / `rhâîtach`)
  are one word — where the headwords are the item's stored ones plus every word of the language in its
  prompt and reference (per the language card, quoted or not), or
- the same normalised prompt (the same question with different answers must not straddle the split).

Whole groups are then drawn, in a seeded order, into the held-out side until it reaches the requested
size. A word seen anywhere in training can therefore never be in a held-out item, and `suites
contamination` on the split's own output finds no exact and no word-level leak by construction.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .errors import InputError
from .headwords import extract_headwords, headword_key
from .suites import Item
from .textnorm import normalise_prompt

if TYPE_CHECKING:
    from .language import Language


@dataclass(frozen=True)
class Split:
    train: tuple[Item, ...]
    test: tuple[Item, ...]
    seed: int
    groups: int
    largest_group: int = 0


def with_language_headwords(items: tuple[Item, ...], language: Language | None) -> tuple[Item, ...]:
    """Items whose headwords also hold every word of the language in their text (stored ones kept)."""
    if language is None:
        return items
    out = []
    for item in items:
        found = set(item.headwords) | set(extract_headwords(item.prompt + "\n" + item.reference, language))
        out.append(item if found == set(item.headwords) else replace(item, headwords=tuple(sorted(found))))
    return tuple(out)


def group_keys(item: Item, language: Language | None) -> set[str]:
    keys = {"w:" + headword_key(word, language) for word in item.headwords}
    keys.discard("w:")
    keys.add("p:" + normalise_prompt(item.prompt))
    return keys


def _groups(items: tuple[Item, ...], language: Language | None) -> list[list[int]]:
    parent = list(range(len(items)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[str, int] = {}
    for index, item in enumerate(items):
        for key in group_keys(item, language):
            if key in owner:
                parent[find(index)] = find(owner[key])
            else:
                owner[key] = index
    grouped: dict[int, list[int]] = {}
    for index in range(len(items)):
        grouped.setdefault(find(index), []).append(index)
    # Order groups by their first item so the seeded shuffle is independent of dict internals.
    return sorted(grouped.values(), key=lambda g: g[0])


def split_by_headword(
    items: list[Item] | tuple[Item, ...], *, test_size: int, seed: int, language: Language | None = None
) -> Split:
    """Draw about `test_size` held-out items (never fewer; whole groups only; at most a tenth more unless a
    single group forces it).

    With a language, items come back with the words of the language added to their headwords, so the
    held-out suite records every word it holds back.
    """
    items = with_language_headwords(tuple(items), language)
    if not 0 < test_size < len(items):
        raise InputError(f"test size {test_size} must be between 1 and {len(items) - 1}", field="test_size")
    groups = _groups(items, language)
    order = list(range(len(groups)))
    random.Random(seed).shuffle(order)
    # A group that would overshoot the requested size by more than a tenth is passed over (a few words of
    # the language, such as tâga 'big', link hundreds of items: such a group belongs in training). If the
    # held-out side is still short at the end, the smallest passed-over groups fill it.
    limit = test_size + max(1, test_size // 10)
    test_idx: set[int] = set()
    passed: list[int] = []
    for group_index in order:
        if len(test_idx) >= test_size:
            break
        if len(test_idx) + len(groups[group_index]) > limit:
            passed.append(group_index)
            continue
        test_idx.update(groups[group_index])
    for group_index in sorted(passed, key=lambda g: (len(groups[g]), g)):
        if len(test_idx) >= test_size:
            break
        test_idx.update(groups[group_index])
    if len(test_idx) >= len(items):
        raise InputError(
            "every item is linked to every other by shared words: no split is possible",
            field="test_size",
            hint="check the language card's word rules (languages/README.md)",
        )
    test = tuple(item for i, item in enumerate(items) if i in test_idx)
    train = tuple(item for i, item in enumerate(items) if i not in test_idx)
    return Split(
        train=train, test=test, seed=seed, groups=len(groups), largest_group=max((len(g) for g in groups), default=0)
    )


def shared_headwords(a: tuple[Item, ...], b: tuple[Item, ...], language: Language | None = None) -> set[str]:
    """Headword keys present on both sides — empty for a correct split; used by tests and reports."""
    left = {headword_key(w, language) for item in a for w in item.headwords}
    return left & {headword_key(w, language) for item in b for w in item.headwords}
