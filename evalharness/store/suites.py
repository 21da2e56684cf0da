"""Tables `suites` and `suite_items`: every suite version the store has seen (keyed by content hash)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..suites import Suite
from .connection import Store
from .governance import refresh_governance


@dataclass(frozen=True)
class SuiteRow:
    suite_hash: str
    name: str
    version: str
    kind: str
    meta: dict[str, Any]
    n_items: int
    first_seen: Any


@dataclass(frozen=True)
class SuiteItemRow:
    suite_hash: str
    item_id: str
    prompt: str
    reference: str
    system: str | None
    direction: str
    tags: tuple[str, ...]
    disallowed: str | None
    narrative: str | None
    position: int


_SUITE = "suite_hash, name, version, kind, meta_json, n_items, first_seen"
_ITEM = "suite_hash, item_id, prompt, reference, system, direction, tags, disallowed, narrative, position"


def _suite(row: tuple) -> SuiteRow:
    suite_hash, name, version, kind, meta_json, n_items, first_seen = row
    return SuiteRow(suite_hash, name, version, kind, json.loads(meta_json), int(n_items), first_seen)


def _item(row: tuple) -> SuiteItemRow:
    suite_hash, item_id, prompt, reference, system, direction, tags, disallowed, narrative, position = row
    return SuiteItemRow(
        suite_hash,
        item_id,
        prompt,
        reference,
        system,
        direction,
        tuple(tags or ()),
        disallowed,
        narrative,
        int(position),
    )


def record_suite(store: Store, suite: Suite, suite_dir: str | Path | None = None) -> None:
    """Store a suite version once (keyed by content hash), with its items, for the dashboard and the gate.

    Governance is not part of the hash, so it is refreshed on every call: the store's copy of the allowed uses
    (of this version and every other stored version of the same suite) becomes what suite.toml says now.
    """
    folder = suite_dir if suite_dir is not None else suite.path
    where = str(Path(folder).resolve()) if folder is not None else None
    with store.transaction() as con:
        refresh_governance(
            con, name=suite.name, suite_dir=where, governance=suite.meta.governance.model_dump(mode="json")
        )
        if con.one("SELECT 1 FROM suites WHERE suite_hash = ?", [suite.content_hash]):
            return
        con.execute(
            "INSERT INTO suites (suite_hash, name, version, kind, meta_json, n_items, suite_dir, governance_read_at) "
            "VALUES (?,?,?,?,?,?,?, current_timestamp) ON CONFLICT DO NOTHING",
            [
                suite.content_hash,
                suite.name,
                suite.meta.version,
                suite.meta.kind,
                suite.meta.model_dump_json(),
                len(suite.items),
                where,
            ],
        )
        con.insert(
            "suite_items",
            pa.table(
                {
                    "suite_hash": [suite.content_hash] * len(suite.items),
                    "item_id": [i.id for i in suite.items],
                    "prompt": [i.prompt for i in suite.items],
                    "reference": [i.reference for i in suite.items],
                    "system": pa.array([i.system for i in suite.items], pa.string()),
                    "direction": [i.direction for i in suite.items],
                    "tags": pa.array([list(i.tags) for i in suite.items], pa.list_(pa.string())),
                    "disallowed": pa.array([i.disallowed for i in suite.items], pa.string()),
                    "narrative": pa.array([i.narrative for i in suite.items], pa.string()),
                    "position": pa.array(range(len(suite.items)), pa.int32()),
                }
            ),
            conflict="ignore",
        )


def get_suite(store: Store, suite_hash: str) -> SuiteRow | None:
    row = store.query(f"SELECT {_SUITE} FROM suites WHERE suite_hash = ?", [suite_hash])
    return _suite(row[0]) if row else None


def list_suites(store: Store) -> list[SuiteRow]:
    """Every suite version, by name, newest first within a name."""
    return [_suite(r) for r in store.query(f"SELECT {_SUITE} FROM suites ORDER BY name, first_seen DESC")]


def suites_by_hash(store: Store, hashes: Sequence[str]) -> list[SuiteRow]:
    if not hashes:
        return []
    return [
        _suite(r)
        for r in store.query(
            f"SELECT {_SUITE} FROM suites WHERE suite_hash = ANY(?) ORDER BY name, version, suite_hash", [list(hashes)]
        )
    ]


def suite_items(store: Store, suite_hash: str) -> list[SuiteItemRow]:
    """The items of a suite version in suite order."""
    return [
        _item(r)
        for r in store.query(f"SELECT {_ITEM} FROM suite_items WHERE suite_hash = ? ORDER BY position", [suite_hash])
    ]


def get_item(store: Store, suite_hash: str, item_id: str) -> SuiteItemRow | None:
    rows = store.query(f"SELECT {_ITEM} FROM suite_items WHERE suite_hash = ? AND item_id = ?", [suite_hash, item_id])
    return _item(rows[0]) if rows else None


def item_texts(store: Store, suite_hash: str) -> list[tuple[str, str, str]]:
    """(item_id, prompt, reference) of every item of a suite, in order (a search that folds diacritics reads
    these: SQL cannot fold a language's letters)."""
    return [
        (i, p, r)
        for i, p, r in store.query(
            "SELECT item_id, prompt, reference FROM suite_items WHERE suite_hash = ? ORDER BY position", [suite_hash]
        )
    ]


def find_items(store: Store, suite_hash: str, search: str = "", limit: int = 200) -> list[tuple[str, str]]:
    """(item_id, prompt) of a suite, optionally those whose id, prompt or reference contain `search`."""
    text = search.strip()
    if not text:
        return [
            (i, p)
            for i, p in store.query(
                "SELECT item_id, prompt FROM suite_items WHERE suite_hash = ? ORDER BY position LIMIT ?",
                [suite_hash, limit],
            )
        ]
    like = f"%{text}%"
    return [
        (i, p)
        for i, p in store.query(
            "SELECT item_id, prompt FROM suite_items WHERE suite_hash = ? AND (item_id ILIKE ? OR prompt ILIKE ? "
            "OR reference ILIKE ?) ORDER BY position LIMIT ?",
            [suite_hash, like, like, like, limit],
        )
    ]


def facets(store: Store, hashes: Sequence[str]) -> tuple[list[str], list[str]]:
    """Directions and tags present in these suite versions (for filter boxes)."""
    if not hashes:
        return [], []
    with store.connect() as con:
        directions = [
            r[0]
            for r in con.rows(
                "SELECT DISTINCT direction FROM suite_items WHERE suite_hash = ANY(?) ORDER BY 1", [list(hashes)]
            )
        ]
        tags = [
            r[0]
            for r in con.rows(
                "SELECT DISTINCT tag FROM (SELECT unnest(tags) AS tag FROM suite_items WHERE suite_hash = ANY(?)) t "
                "ORDER BY 1",
                [list(hashes)],
            )
        ]
    return directions, tags
