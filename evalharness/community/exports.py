"""Accepted corrections as training and evaluation data.

Three JSONL shapes, one line per accepted correction:

* **triplets** — `{id, prompt, disallowed, narrative, direction, tags[, system]}`: the distillation triplet.
  Each line is also a valid narrative-correction suite item, so a triplets file re-imports as a suite.
* **openai-chat** — `{"messages": [system?, user: prompt, assistant: narrative]}` for chat fine-tuning.
* **preference** — `{id, prompt, chosen: narrative, rejected: disallowed}` for preference tuning (DPO-style).

All three are training data: every suite the corrected items come from must allow `training`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .. import governance
from ..errors import InputError
from ..jsonl import nfc, read_jsonl, write_jsonl
from ..store import Store
from ..store import reviews as rows
from ..suites import Item, Suite, SuiteMeta, make_suite, parse_item
from .reviews import Correction

FORMATS: tuple[str, ...] = ("triplets", "openai-chat", "preference")
CORRECTION_TAG = "reviewer-correction"


def accepted_items(store: Store) -> list[tuple[Correction, Item]]:
    """Accepted corrections with the suite item each one corrects (for its direction, tags, system prompt)."""
    return [
        (correction, correction_item(correction, direction=direction, tags=tags, system=system))
        for correction, direction, tags, system in rows.accepted_with_items(store)
    ]


def correction_item(c: Correction, *, direction: str | None, tags: Iterable[str] | None, system: str | None) -> Item:
    """A narrative-correction suite item. Its id is the correction's, so it stays stable across versions."""
    source_tags = [t for t in (tags or ()) if t != CORRECTION_TAG and not t.startswith("item:")]
    # NFC throughout (model answers may arrive decomposed), so the item equals itself after a save and load.
    return Item(
        id=c.correction_id,
        prompt=nfc(c.prompt),
        reference=nfc(c.narrative),
        direction=direction or "unknown",
        system=nfc(system) if system is not None else None,
        tags=tuple(nfc(t) for t in source_tags + [CORRECTION_TAG, f"item:{c.item_id}"]),
        disallowed=nfc(c.disallowed),
        narrative=nfc(c.narrative),
    )


def triplet(item: Item) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": item.id,
        "prompt": item.prompt,
        "disallowed": item.disallowed,
        "narrative": item.narrative,
        "direction": item.direction,
        "tags": list(item.tags),
    }
    if item.system is not None:
        row["system"] = item.system
    return row


def openai_chat(item: Item) -> dict[str, Any]:
    messages: list[dict[str, str | None]] = [{"role": "system", "content": item.system}] if item.system else []
    messages += [{"role": "user", "content": item.prompt}, {"role": "assistant", "content": item.narrative}]
    return {"messages": messages}


def preference(item: Item) -> dict[str, Any]:
    return {"id": item.id, "prompt": item.prompt, "chosen": item.narrative, "rejected": item.disallowed}


_SHAPERS = {"triplets": triplet, "openai-chat": openai_chat, "preference": preference}


def export_rows(store: Store, fmt: str, *, search_dirs: Sequence[Path] = ()) -> list[dict[str, Any]]:
    """Every format is training data, so every suite the corrected items come from must allow `training` —
    as its suite.toml says now (a suite whose file cannot be read allows nothing)."""
    if fmt not in _SHAPERS:
        raise InputError(f"unknown export format '{fmt}'", field="format", hint=f"use one of {', '.join(FORMATS)}")
    pairs = accepted_items(store)
    sources = governance.current(store, [c.suite_hash for c, _ in pairs], search_dirs=search_dirs)
    governance.require_sources(sources, "training", purpose=f"exporting corrections as {fmt} training data")
    return [_SHAPERS[fmt](item) for _, item in pairs]


def export_text(store: Store, fmt: str, *, search_dirs: Sequence[Path] = ()) -> str:
    """The JSONL as text (for a download button); UTF-8, diacritics kept as characters, not escapes."""
    return "".join(
        json.dumps(row, ensure_ascii=False) + "\n" for row in export_rows(store, fmt, search_dirs=search_dirs)
    )


def export_file(store: Store, fmt: str, path: str | Path, *, search_dirs: Sequence[Path] = ()) -> int:
    """Write the export atomically; refuse to write an empty file (it would look like a finished export)."""
    rows = export_rows(store, fmt, search_dirs=search_dirs)
    if not rows:
        raise InputError(
            "there are no accepted corrections to export yet",
            hint="an admin accepts corrections on the dashboard's Corrections page",
        )
    write_jsonl(path, rows)
    return len(rows)


def triplets_to_suite(path: str | Path, meta: SuiteMeta) -> Suite:
    """Read a triplets file back as a narrative-correction suite, with the same line-by-line checks."""
    if meta.kind != "narrative_correction":
        raise InputError("triplets become a narrative_correction suite", field="kind")
    items = [parse_item(obj, path=path, line=line, kind="narrative_correction") for line, obj in read_jsonl(path)]
    return make_suite(meta, items, path=None)
