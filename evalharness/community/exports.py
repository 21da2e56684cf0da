"""Accepted corrections as training and evaluation data.

Three JSONL shapes, one line per accepted correction:

* **triplets** — `{id, prompt, disallowed, narrative, direction, tags[, system]}`: the distillation triplet.
  Each line is also a valid narrative-correction suite item, so a triplets file re-imports as a suite.
* **openai-chat** — `{"messages": [system?, user: prompt, assistant: narrative]}` for chat fine-tuning.
* **preference** — `{id, prompt, chosen: narrative, rejected: disallowed}` for preference tuning (DPO-style).

All three are training data: every suite the corrected items come from must allow `training`.

Spoken corrections travel with them: each recording is written beside the JSONL as `audio/<sha256>.wav`, and
`<name>.audio.jsonl` says which line (and correction id) each belongs to. A triplet also names its recording
in a tag (`audio:<first 32 hex digits of the sha256>`, so the line stays a valid suite item); a preference
pair in an `audio` field; the
OpenAI chat format has no room for it, so only the index links those lines to their recordings.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import governance
from ..errors import InputError
from ..jsonl import nfc, read_jsonl, write_jsonl
from ..store import Store
from ..store import audio as audio_sql
from ..store import reviews as review_rows
from ..suites import Item, Suite, SuiteMeta, make_suite, parse_item
from .audio import file_name
from .reviews import Correction

FORMATS: tuple[str, ...] = ("triplets", "openai-chat", "preference")
CORRECTION_TAG = "reviewer-correction"


def accepted_items(store: Store) -> list[tuple[Correction, Item]]:
    """Accepted corrections with the suite item each one corrects (for its direction, tags, system prompt)."""
    return [
        (correction, correction_item(correction, direction=direction, tags=tags, system=system))
        for correction, direction, tags, system in review_rows.accepted_with_items(store)
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


@dataclass(frozen=True)
class Recording:
    """One exported recording: where it goes (relative to the JSONL) and the index line that describes it."""

    path: str
    data: bytes
    index: dict[str, Any]


@dataclass(frozen=True)
class Export:
    rows: list[dict[str, Any]]
    recordings: list[Recording] = field(default_factory=list)

    def jsonl(self) -> str:
        """UTF-8, diacritics kept as characters, not escapes."""
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in self.rows)

    def index_jsonl(self) -> str:
        return "".join(json.dumps(r.index, ensure_ascii=False) + "\n" for r in self.recordings)


def export(store: Store, fmt: str, *, search_dirs: Sequence[Path] = ()) -> Export:
    """Every format is training data, so every suite the corrected items come from must allow `training` —
    as its suite.toml says now (a suite whose file cannot be read allows nothing). Recordings go with the
    corrections they belong to, under the same rule."""
    if fmt not in _SHAPERS:
        raise InputError(f"unknown export format '{fmt}'", field="format", hint=f"use one of {', '.join(FORMATS)}")
    pairs = accepted_items(store)
    sources = governance.current(store, [c.suite_hash for c, _ in pairs], search_dirs=search_dirs)
    governance.require_sources(sources, "training", purpose=f"exporting corrections as {fmt} training data")
    spoken = audio_sql.infos(store, [c.correction_id for c, _ in pairs])
    rows, recordings = [], []
    for line, (correction, item) in enumerate(pairs, start=1):
        info = spoken.get(correction.correction_id)
        if info is not None:
            # a tag is at most 64 characters: the first 128 bits of the hash name the file unambiguously
            item = dataclasses.replace(item, tags=(*item.tags, f"audio:{info.audio_sha256[:32]}"))
        row = _SHAPERS[fmt](item)
        if info is not None:
            path = file_name(info.audio_sha256, info.mime)
            if fmt == "preference":
                row["audio"] = path
            found = audio_sql.data(store, correction.correction_id)
            assert found is not None  # read in the same export; corrections are never deleted
            recordings.append(
                Recording(
                    path=path,
                    data=found[1],
                    index={
                        "line": line,
                        "id": correction.correction_id,
                        "item_id": correction.item_id,
                        "file": path,
                        "sha256": info.audio_sha256,
                        "mime": info.mime,
                        "seconds": info.seconds,
                        "recorded_by": info.recorded_by,
                        "recorded_at": info.created_at.isoformat() if info.created_at else None,
                    },
                )
            )
        rows.append(row)
    return Export(rows, recordings)


def export_rows(store: Store, fmt: str, *, search_dirs: Sequence[Path] = ()) -> list[dict[str, Any]]:
    return export(store, fmt, search_dirs=search_dirs).rows


def export_text(store: Store, fmt: str, *, search_dirs: Sequence[Path] = ()) -> str:
    """The JSONL as text (for a download button); UTF-8, diacritics kept as characters, not escapes."""
    return export(store, fmt, search_dirs=search_dirs).jsonl()


def index_name(jsonl_name: str) -> str:
    """`triplets.jsonl` → `triplets.audio.jsonl`: which recording belongs to which line."""
    stem = jsonl_name[: -len(".jsonl")] if jsonl_name.endswith(".jsonl") else jsonl_name
    return stem + ".audio.jsonl"


def export_zip(store: Store, fmt: str, *, search_dirs: Sequence[Path] = ()) -> bytes:
    """A download with the recordings: the JSONL, its audio index and audio/<sha256>.wav in one zip file."""
    done = export(store, fmt, search_dirs=search_dirs)
    name = f"corrections-{fmt}.jsonl"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, done.jsonl())
        if done.recordings:
            archive.writestr(index_name(name), done.index_jsonl())
            for recording in {r.path: r for r in done.recordings}.values():
                archive.writestr(recording.path, recording.data)
    return buffer.getvalue()


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def export_file(store: Store, fmt: str, path: str | Path, *, search_dirs: Sequence[Path] = ()) -> int:
    """Write the export (see `export_to`); returns how many corrections it holds."""
    return len(export_to(store, fmt, path, search_dirs=search_dirs).rows)


def export_to(store: Store, fmt: str, path: str | Path, *, search_dirs: Sequence[Path] = ()) -> Export:
    """Write the export — recordings first, then their index, the JSONL last, each atomically — so a finished
    JSONL means a finished export. Refuses to write an empty file (it would look like a finished export)."""
    path = Path(path)
    done = export(store, fmt, search_dirs=search_dirs)
    if not done.rows:
        raise InputError(
            "there are no accepted corrections to export yet",
            hint="an admin accepts corrections on the dashboard's Corrections page",
        )
    for recording in done.recordings:
        _write_bytes(path.parent / recording.path, recording.data)
    if done.recordings:
        write_jsonl(path.with_name(index_name(path.name)), [r.index for r in done.recordings])
    write_jsonl(path, done.rows)
    return done


def triplets_to_suite(path: str | Path, meta: SuiteMeta) -> Suite:
    """Read a triplets file back as a narrative-correction suite, with the same line-by-line checks."""
    if meta.kind != "narrative_correction":
        raise InputError("triplets become a narrative_correction suite", field="kind")
    items = [parse_item(obj, path=path, line=line, kind="narrative_correction") for line, obj in read_jsonl(path)]
    return make_suite(meta, items, path=None)
